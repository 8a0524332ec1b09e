"""The companies API (전문기업) against SQLite and real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.companies.brn import check_digit, problem
from tests.conftest import Auth
from tests.factories import brn, company_body
from tests.services.deployments.conftest import build_world

URL = "/api/v1/companies"


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


@pytest.fixture
def vendor(client: TestClient, auth: Auth) -> dict[str, str]:
    headers = auth("vendor", org_id="org-vendor-3")
    assert client.post(URL, json=company_body(), headers=headers).status_code == 201
    return headers


@pytest.fixture
def sme(client: TestClient, auth: Auth) -> dict[str, str]:
    headers = auth("sme", org_id="org-sme-1")
    body = company_body(
        company_id="org-sme-1",
        kind="sme",
        brn_first9="101862345",
        region="48",
        name={"ko": "대성정밀(주)", "en": "Daesung Precision"},
    )
    assert client.post(URL, json=body, headers=headers).status_code == 201
    return headers


def test_brn_checksum() -> None:
    assert check_digit("220816251") == int(brn("220816251")[-1])
    assert problem("220-81-6251" + brn("220816251")[-1])[1] is None
    wrong = brn("123456789")[:-1] + str((int(brn("123456789")[-1]) + 1) % 10)
    assert str(problem(wrong)[1]) == "check digit does not match"
    assert str(problem("12345")[1]) == "must be 10 digits (e.g. 123-45-67890)"


def test_brn_check_endpoint(client: TestClient) -> None:
    good = brn("220816251")
    dashed = f"{good[:3]}-{good[3:5]}-{good[5:]}"
    assert client.get(f"{URL}/brn/{dashed}/check").json() == {
        "valid": True,
        "normalized": good,
        "reason": None,
    }
    assert client.get(f"{URL}/brn/1234567890/check").json()["valid"] is (check_digit("123456789") == 0)


def test_register_list_filter_and_update(
    client: TestClient, vendor: dict[str, str], sme: dict[str, str], admin: dict[str, str]
) -> None:
    company = client.get(f"{URL}/org-vendor-3").json()
    assert company["business_registration_number"] == brn("220816251")
    assert company["designated"] is False and company["expertise"] == ["INFO-MES"]
    assert len(client.get(URL).json()["items"]) == 2
    assert [c["id"] for c in client.get(URL, params={"kind": "sme"}).json()["items"]] == ["org-sme-1"]
    assert [c["id"] for c in client.get(URL, params={"expertise": "INFO-MES"}).json()["items"]] == [
        "org-vendor-3"
    ]
    assert [c["id"] for c in client.get(URL, params={"region": "48", "industry": "C29"}).json()["items"]] == [
        "org-sme-1"
    ]
    assert client.get(URL, params={"q": "한국mes"}).json()["items"][0]["id"] == "org-vendor-3"
    assert client.get(URL, params={"designated": True}).json()["items"] == []
    page = client.get(URL, params={"limit": 1}).json()
    assert len(client.get(URL, params={"limit": 1, "cursor": page["next_cursor"]}).json()["items"]) == 1
    updated = client.patch(
        f"{URL}/org-vendor-3", json={"growth_stage": "글로벌", "expertise": ["INTL-AI"]}, headers=vendor
    ).json()
    assert updated["growth_stage"] == "글로벌"
    assert [c["id"] for c in client.get(URL, params={"expertise": "INTL-AI"}).json()["items"]] == [
        "org-vendor-3"
    ]
    assert client.patch(f"{URL}/org-vendor-3", json={"employees": 1}, headers=sme).status_code == 403
    assert client.patch(f"{URL}/org-vendor-3", json={"employees": 1}, headers=admin).status_code == 200
    assert client.get(f"{URL}/org-nobody").status_code == 404


def test_registration_rules(
    client: TestClient, vendor: dict[str, str], auth: Auth, admin: dict[str, str]
) -> None:
    other = company_body(company_id="org-vendor-4", brn_first9="220816252")
    assert client.post(URL, json=other, headers=vendor).status_code == 403  # not its own organisation
    assert client.post(URL, json=other).status_code == 401
    wrong_role = company_body(company_id="org-x-1", kind="sme", brn_first9="220816253")
    assert client.post(URL, json=wrong_role, headers=auth("vendor", org_id="org-x-1")).status_code == 403
    assert client.post(URL, json=company_body(brn_first9="220816254"), headers=admin).status_code == 409
    same_brn = client.post(URL, json=company_body(company_id="org-vendor-5"), headers=admin)
    assert same_brn.status_code == 409
    assert same_brn.json()["fields"][0]["loc"] == "body.business_registration_number"
    assert client.post(URL, json=other, headers=admin).status_code == 201


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (
            {"business_registration_number": "1234567891" if check_digit("123456789") != 1 else "1234567892"},
            "body.business_registration_number",
        ),
        ({"business_registration_number": "12-34"}, "body.business_registration_number"),
        ({"region_code": "00"}, "body.region_code"),
        ({"kind": "bank"}, "body.kind"),
        ({"expertise": ["AI"]}, "body.expertise[0]"),
        ({"capability_level": 6}, "body.capability_level"),
        ({"id": "Org With Spaces"}, "body.id"),
        ({"growth_stage": "unicorn"}, "body.growth_stage"),
    ],
)
def test_invalid_companies_name_the_field(
    client: TestClient, admin: dict[str, str], change: dict, loc: str
) -> None:
    response = client.post(URL, json=company_body(**change), headers=admin)
    assert response.status_code == 422
    assert [f["loc"] for f in response.json()["fields"]] == [loc]


def test_factories_are_tenant_data(client: TestClient, sme: dict[str, str], auth: Auth) -> None:
    factory: dict[str, Any] = {
        "id": "factory-sme-1-a",
        "name": "제1공장",
        "region_code": "48",
        "industry_code": "C29",
        "equipment": [{"equipment_id": "eq-1", "model_id": "cnc-lathe", "model_version": "1.0.0"}],
    }
    url = f"{URL}/org-sme-1/factories"
    assert client.post(url, json=factory, headers=sme).status_code == 201
    assert client.post(url, json=factory, headers=sme).status_code == 409
    twice = {**factory, "id": "factory-2", "equipment": factory["equipment"] * 2}
    assert client.post(url, json=twice, headers=sme).json()["fields"][0]["loc"] == "body.equipment"
    assert client.get(url, headers=sme).json()["items"][0]["equipment"][0]["equipment_id"] == "eq-1"
    other = auth("sme", org_id="org-sme-2")
    assert client.get(url, headers=other).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(f"{url}/factory-sme-1-a", headers=other).status_code == 404
    gateway = auth("gateway", org_id="org-sme-1", factory_id="factory-sme-1-a")
    assert client.get(f"{url}/factory-sme-1-a", headers=gateway).json()["name"] == "제1공장"
    wrong_gateway = auth("gateway", org_id="org-sme-1", factory_id="factory-sme-1-b")
    assert client.get(f"{url}/factory-sme-1-a", headers=wrong_gateway).status_code == 404
    assert client.post(url, json={**factory, "id": "f-3"}, headers=other).status_code == 403
    patched = client.patch(f"{url}/factory-sme-1-a", json={"name": "창원공장"}, headers=sme).json()
    assert patched["name"] == "창원공장"
    for nulled in ({"equipment": None}, {"name": None}):
        refused = client.patch(f"{url}/factory-sme-1-a", json=nulled, headers=sme)
        assert refused.status_code == 422
        assert refused.json()["fields"][0]["loc"] == f"body.{next(iter(nulled))}"
    cleared = client.patch(f"{url}/factory-sme-1-a", json={"address": None}, headers=sme)
    assert cleared.status_code == 200 and cleared.json()["address"] is None
    company = client.patch(f"{URL}/org-sme-1", json={"name": None, "expertise": None}, headers=sme)
    assert company.status_code == 422
    assert {f["loc"] for f in company.json()["fields"]} == {"body.name", "body.expertise"}
    assert client.patch(f"{url}/factory-sme-1-a", json={"name": "x"}, headers=other).status_code == 403
    assert client.delete(f"{url}/factory-sme-1-a", headers=other).status_code == 403
    assert client.delete(f"{url}/factory-sme-1-a", headers=sme).status_code == 204
    assert client.get(f"{url}/factory-sme-1-a", headers=sme).status_code == 404


def test_track_record_comes_from_published_deployment_records(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    for region, after in (("48", 120), ("48", 140)):
        kpis = [{"kind": "productivity", "baseline": 100, "after": after, "unit": "ea/h"}]
        world.publish(world.finish_stages(world.create(region=region, supplier="org-vendor-3", kpis=kpis)))
    record = client.get(f"{URL}/org-vendor-3/track-record").json()
    assert record["deployment_count"] == 2
    assert record["regions"] == [{"code": "48", "count": 2}]
    assert record["median_kpi_improvement_pct"] == {"productivity": 30.0}
    assert record["name"]["ko"] == "(주)한국MES" and record["designated"] is False
    assert record["aftercare"] == {"open": 0, "late": 0, "resolved": 0}
    assert client.get(f"{URL}/org-nobody/track-record").status_code == 404
