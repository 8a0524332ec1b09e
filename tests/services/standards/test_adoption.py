"""Adoption counts: how many registered factories use each model version, from the companies service's
equipment registry, shown with the model, in the list and in the key-equipment view; counts only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from tests.conftest import Auth
from tests.factories import model_body, register_factory

URL = "/api/v1/standards"
ADOPTION = "/api/v1/companies/equipment-adoption"


def equipment(n: int, version: str = "1.0.0", model_id: str = "cnc-lathe") -> list[dict[str, str]]:
    return [
        {
            "equipment_id": f"eq-{version}-{i}",
            "name": f"선반 {i}",
            "model_id": model_id,
            "model_version": version,
        }
        for i in range(n)
    ]


def publish(client: TestClient, admin: dict[str, str], **kw: Any) -> None:
    body = model_body(**kw)
    assert client.post(URL, json=body, headers=admin).status_code == 201
    answer = client.post(f"{URL}/{body['id']}/versions/{body['version']}/publish", headers=admin)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def uncached(settings: PlatformSettings) -> Iterator[TestClient]:
    """The platform reading the counts on every request (the default trusts them for a minute)."""
    with TestClient(create_app(settings.replaced(reference_cache_seconds=0))) as test_client:
        yield test_client


def test_adoption_counts_follow_the_factories_equipment(uncached: TestClient, auth: Auth) -> None:
    client = uncached
    admin = auth("admin", org_id="org-operator")
    publish(client, admin)
    publish(client, admin, model_id="cnc-mill", equipment_type="CNC_MILL", name={"ko": "밀링", "en": "Mill"})
    detail = client.get(f"{URL}/cnc-lathe").json()
    assert detail["adoption"] == []  # published, used nowhere yet

    sme1 = auth("sme", org_id="org-sme-1")
    sme2 = auth("sme", org_id="org-sme-2")
    register_factory(client, sme1, equipment=equipment(2))
    register_factory(
        client, sme2, company_id="org-sme-2", factory_id="factory-sme-2-a", equipment=equipment(1)
    )
    register_factory(
        client, sme2, company_id="org-sme-2", factory_id="factory-sme-2-b", equipment=equipment(4, "1.1.0")
    )
    detail = client.get(f"{URL}/cnc-lathe").json()
    assert detail["adoption"] == [
        {"version": "1.0.0", "factories": 2, "equipment": 3},
        {"version": "1.1.0", "factories": 1, "equipment": 4},
    ]
    listed = {m["id"]: m["adoption"] for m in client.get(URL).json()["items"]}
    assert listed == {"cnc-lathe": detail["adoption"], "cnc-mill": []}
    key = client.get(f"{URL}/key-equipment").json()
    assert key["equipment_in_use"] == 7
    assert {t["equipment_type"]: t["equipment_in_use"] for t in key["by_equipment_type"]} == {
        "CNC_LATHE": 7,
        "CNC_MILL": 0,
    }

    # Counts only, for anyone: no factory or company is named.
    public = client.get(ADOPTION, params={"model_id": ["cnc-lathe", "cnc-mill"]})
    assert public.status_code == 200
    assert public.json() == [
        {"model_id": "cnc-lathe", "model_version": "1.0.0", "factories": 2, "equipment": 3},
        {"model_id": "cnc-lathe", "model_version": "1.1.0", "factories": 1, "equipment": 4},
    ]
    assert "factory-sme" not in public.text and "org-sme" not in public.text
    bad = client.get(ADOPTION, params={"model_id": "Not A Model"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"].startswith("query.model_id")

    # A factory's equipment changed to the mill, another factory closed: the counts follow.
    moved = client.patch(
        "/api/v1/companies/org-sme-2/factories/factory-sme-2-b",
        json={"equipment": equipment(1, model_id="cnc-mill")},
        headers=sme2,
    )
    assert moved.status_code == 200, moved.text
    closed = client.delete("/api/v1/companies/org-sme-1/factories/factory-sme-1-a", headers=sme1)
    assert closed.status_code == 204
    assert client.get(ADOPTION).json() == [
        {"model_id": "cnc-lathe", "model_version": "1.0.0", "factories": 1, "equipment": 1},
        {"model_id": "cnc-mill", "model_version": "1.0.0", "factories": 1, "equipment": 1},
    ]
    assert client.get(f"{URL}/cnc-mill").json()["adoption"] == [
        {"version": "1.0.0", "factories": 1, "equipment": 1}
    ]


def test_the_models_show_counts_of_at_most_a_minute_ago(client: TestClient, auth: Auth) -> None:
    # Every list and model page shows the counts: one read of them serves the pages for a while.
    admin = auth("admin", org_id="org-operator")
    publish(client, admin)
    assert client.get(f"{URL}/cnc-lathe").json()["adoption"] == []
    register_factory(client, auth("sme", org_id="org-sme-1"), equipment=equipment(2))
    assert client.get(f"{URL}/cnc-lathe").json()["adoption"] == []
    # The companies service's own figure is current.
    assert client.get(ADOPTION).json()[0]["equipment"] == 2
    state_of(client.app).caches.reference.clear()  # as when the minute is over
    assert client.get(f"{URL}/cnc-lathe").json()["adoption"] == [
        {"version": "1.0.0", "factories": 1, "equipment": 2}
    ]
