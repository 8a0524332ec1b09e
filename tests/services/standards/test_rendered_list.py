"""The model list joins each model's JSON, rendered once per state (services.kit.rendered): an item is always
what the model's own page answers for the same caller, through review, publication, new versions,
deprecation and edits of the model."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import model_body

URL = "/api/v1/standards"
MODEL = f"{URL}/cnc-lathe"
V1 = f"{MODEL}/versions/1.0.0"


def _agree(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The model's own answer, after checking every list shows the same (twice: built, then kept)."""
    own = client.get(MODEL, headers=headers or {})
    assert own.status_code == 200, own.text
    for _ in range(2):
        for path in (URL, f"{URL}?q=cnc", f"{URL}?limit=1"):
            answer = client.get(path, headers=headers or {})
            assert answer.status_code == 200, answer.text
            assert [i for i in answer.json()["items"] if i["id"] == "cnc-lathe"] == [own.json()]
    return dict(own.json())


def test_list_items_are_the_models_own_answer_through_its_lifecycle(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-1")
    admin = auth("admin", org_id="org-operator")
    assert client.post(URL, json=model_body(), headers=vendor).status_code == 201
    assert _agree(client, vendor)["versions"][0]["status"] == "draft"

    assert client.post(f"{V1}/propose", json={}, headers=vendor).status_code == 200
    assert _agree(client, vendor)["versions"][0]["status"] == "proposed"
    approved = client.post(f"{V1}/reviews", json={"decision": "approve"}, headers=admin)
    assert approved.status_code == 200, approved.text
    assert _agree(client)["latest_published_version"] == "1.0.0"

    added = client.post(f"{MODEL}/versions", json={"version": "1.1.0"}, headers=vendor)
    assert added.status_code == 201, added.text
    assert [v["version"] for v in _agree(client, vendor)["versions"]] == ["1.0.0", "1.1.0"]
    assert client.post(f"{MODEL}/versions/1.1.0/publish", headers=admin).status_code == 200
    assert client.post(f"{V1}/deprecate", headers=admin).status_code == 200
    assert [v["status"] for v in _agree(client)["versions"]] == ["deprecated", "published"]

    renamed = client.patch(MODEL, json={"name": {"ko": "CNC 선반 (개정)", "en": "CNC lathe"}}, headers=vendor)
    assert renamed.status_code == 200, renamed.text
    assert _agree(client)["name"]["ko"] == "CNC 선반 (개정)"
