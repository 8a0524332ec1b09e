"""Growth stages, overseas expansion, regional AI centres (scoped staff) and support programmes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from services.companies import growth
from services.kit.reference import GrowthStage
from tests.conftest import Auth
from tests.factories import company_body

URL = "/api/v1/companies"
THIS_YEAR = date.today().year
CENTRE = {
    "id": "aic-gyeongnam",
    "name": {"ko": "경남 제조AI센터", "en": "Gyeongnam Manufacturing AI Centre"},
    "regions": ["48"],
    "industries": ["C29", "C30"],
}


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


@pytest.fixture
def vendor(client: TestClient, auth: Auth) -> dict[str, str]:
    headers = auth("vendor", org_id="org-vendor-3")
    body = company_body(founded_year=THIS_YEAR - 3)
    assert client.post(URL, json=body, headers=headers).status_code == 201
    return headers


@pytest.mark.parametrize(
    ("founded", "revenue", "exports", "contracts", "expected"),
    [
        (THIS_YEAR - 3, 10**9, 0, 0, GrowthStage.STARTUP),  # under 7 years
        (THIS_YEAR - 7, 10**9, 0, 0, GrowthStage.GROWTH),  # 7 years is no longer a start-up
        (THIS_YEAR - 3, 10**9, 10**8, 0, GrowthStage.GLOBAL),  # 100 M KRW and 10 % of revenue
        (THIS_YEAR - 20, 2 * 10**9, 10**8, 0, GrowthStage.GROWTH),  # 100 M KRW but only 5 %
        (THIS_YEAR - 20, 10**8, 9 * 10**7, 0, GrowthStage.GROWTH),  # 90 % but under 100 M KRW
        (None, None, None, 1, GrowthStage.GLOBAL),  # an overseas contract
    ],
)
def test_growth_stage_rules(
    founded: int | None, revenue: int | None, exports: int | None, contracts: int, expected: GrowthStage
) -> None:
    assert (
        growth.stage(
            founded_year=founded,
            revenue_krw=revenue,
            export_krw=exports,
            overseas_contracts=contracts,
            this_year=THIS_YEAR,
        )
        == expected
    )


def test_stage_is_computed_once_figures_are_declared(
    client: TestClient, auth: Auth, vendor: dict[str, str], admin: dict[str, str]
) -> None:
    company = client.get(f"{URL}/org-vendor-3").json()
    assert (company["growth_stage"], company["growth_stage_basis"]) == ("성장", "declared")
    patched = client.patch(f"{URL}/org-vendor-3", json={"revenue_krw": 10**9}, headers=vendor).json()
    assert (patched["growth_stage"], patched["growth_stage_basis"]) == ("창업", "computed")
    contract = {
        "country": "VN",
        "partner": "Thanh Cong JSC",
        "contract_krw": 850_000_000,
        "signed_on": "2026-05-14",
    }
    other = auth("vendor", org_id="org-other")
    assert client.post(f"{URL}/org-vendor-3/overseas", json=contract, headers=other).status_code == 403
    home = client.post(f"{URL}/org-vendor-3/overseas", json={**contract, "country": "KR"}, headers=vendor)
    assert home.status_code == 422 and home.json()["fields"][0]["loc"] == "body.country"
    lower = client.post(f"{URL}/org-vendor-3/overseas", json={**contract, "country": "vn"}, headers=vendor)
    assert lower.json()["fields"][0]["loc"] == "body.country"
    assert client.post(f"{URL}/org-vendor-3/overseas", json=contract, headers=vendor).status_code == 201
    assert client.get(f"{URL}/org-vendor-3").json()["growth_stage"] == "글로벌"
    assert [
        c["country"] for c in client.get(f"{URL}/org-vendor-3/overseas", headers=vendor).json()["items"]
    ] == ["VN"]
    assert client.get(f"{URL}/org-vendor-3/overseas", headers=other).status_code == 403
    assert (
        client.get(f"{URL}/registry", params={"growth_stage": "글로벌"}).json()["items"] == []
    )  # not designated


def test_regional_centre_staff_are_scoped(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    centres = f"{URL}/regional-centres"
    assert client.post(centres, json=CENTRE, headers=auth("agency", regions=["48"])).status_code == 403
    assert client.post(centres, json=CENTRE, headers=admin).status_code == 201
    assert client.post(centres, json=CENTRE, headers=admin).status_code == 409
    overlap = client.post(centres, json={**CENTRE, "id": "aic-south", "regions": ["26", "48"]}, headers=admin)
    assert overlap.status_code == 409 and overlap.json()["fields"][0]["loc"] == "body.regions"
    bad = client.post(
        centres, json={**CENTRE, "id": "aic-x", "regions": ["99"], "industries": ["A01"]}, headers=admin
    )
    assert {f["loc"] for f in bad.json()["fields"]} == {"body.regions[0]", "body.industries[0]"}
    sme = auth("sme", org_id="org-sme-1")
    body = company_body(company_id="org-sme-1", kind="sme", brn_first9="101862345", region="48")
    assert client.post(URL, json=body, headers=sme).status_code == 201
    assert client.get(f"{centres}/aic-gyeongnam").json()["industries"] == ["C29", "C30"]

    staff = auth("agency", org_id="org-ctr", regions=["48"])
    elsewhere = auth("agency", org_id="org-ctr-2", regions=["11"])
    dashboard = f"{centres}/aic-gyeongnam/dashboard"
    mine = client.get(f"{centres}/mine", headers=staff).json()
    assert [c["id"] for c in mine] == ["aic-gyeongnam"]
    assert client.get(f"{centres}/mine", headers=elsewhere).json() == []
    assert client.get(f"{centres}/mine", headers=sme).status_code == 403
    figures = client.get(dashboard, headers=staff)
    assert figures.status_code == 200, figures.text
    result = figures.json()
    assert (result["smes"], result["vendors"], result["designated"]) == (1, 0, 0)  # the vendor is in 41
    assert result["usecases"] == [{"key": "48", "count": 0}]
    assert (result["uploads"], result["telemetry_benchmarks"]) == ([], [])  # an empty lake
    assert result["telemetry_benchmarks_withheld"]["oee"] == ["48/C29", "48/C30"]
    assert result["disclosure"] == {"min_group_size": 3, "max_share": 0.5}
    assert client.get(dashboard, headers=elsewhere).status_code == 403
    assert client.get(dashboard, headers=sme).status_code == 403
    assert client.get(dashboard).status_code == 401
    assert client.get(dashboard, headers=admin).status_code == 200
    assert client.get(f"{centres}/nowhere/dashboard", headers=staff).status_code == 404


def test_support_programmes(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    centre = {
        "id": "sc-global",
        "function": "해외진출",
        "name": {"ko": "해외진출 지원센터", "en": "Export centre"},
    }
    assert client.post(f"{URL}/support-centres", json=centre, headers=vendor).status_code == 403
    assert client.post(f"{URL}/support-centres", json=centre, headers=admin).status_code == 201
    wrong = client.post(
        f"{URL}/support-centres", json={**centre, "id": "sc-2", "function": "홍보"}, headers=admin
    )
    assert wrong.json()["fields"][0]["loc"] == "body.function"
    assert [
        c["id"] for c in client.get(f"{URL}/support-centres", params={"function": "해외진출"}).json()["items"]
    ] == ["sc-global"]
    today = date.today()
    programme = {
        "id": "prog-export",
        "name": {"ko": "해외 실증 지원", "en": "Overseas pilots"},
        "stages": ["성장", "글로벌"],
        "opens_on": str(today - timedelta(days=1)),
        "closes_on": str(today + timedelta(days=30)),
        "budget_krw": 2_000_000_000,
    }
    made = client.post(f"{URL}/support-centres/sc-global/programmes", json=programme, headers=admin)
    assert made.status_code == 201 and made.json()["function"] == "해외진출"
    backwards = {**programme, "id": "prog-2", "closes_on": str(today - timedelta(days=5))}
    refused = client.post(f"{URL}/support-centres/sc-global/programmes", json=backwards, headers=admin)
    assert refused.json()["fields"][0]["loc"] == "body.closes_on"
    assert (
        client.post(f"{URL}/support-centres/nope/programmes", json=programme, headers=admin).status_code
        == 404
    )
    apply = f"{URL}/programmes/prog-export/applications"
    plan = {"company_id": "org-vendor-3", "plan": "베트남 섬유공장 MES 실증"}
    assert client.post(apply, json=plan, headers=auth("vendor", org_id="org-other")).status_code == 403
    client.patch(f"{URL}/org-vendor-3", json={"revenue_krw": 10**9}, headers=vendor)  # computed: 창업
    assert client.post(apply, json=plan, headers=vendor).status_code == 409  # serves 성장/글로벌 only
    client.patch(f"{URL}/org-vendor-3", json={"founded_year": 2000}, headers=vendor)  # now 성장
    application = client.post(apply, json=plan, headers=vendor)
    assert application.status_code == 201 and application.json()["status"] == "applied"
    assert client.post(apply, json=plan, headers=vendor).status_code == 409  # once
    assert [a["company_id"] for a in client.get(apply, headers=vendor).json()["items"]] == ["org-vendor-3"]
    assert client.get(apply, headers=auth("vendor", org_id="org-other")).json()["items"] == []  # not theirs
    assert client.get(apply).status_code == 401
    assert len(client.get(apply, headers=auth("agency", regions=["11"])).json()["items"]) == 1
    decide = f"{URL}/programme-applications/{application.json()['id']}/decision"
    no_money = client.post(decide, json={"decision": "selected", "reason": "적합"}, headers=admin)
    assert no_money.json()["fields"][0]["loc"] == "body.support_krw"
    assert (
        client.post(
            decide, json={"decision": "selected", "support_krw": 1, "reason": "적합"}, headers=vendor
        ).status_code
        == 403
    )
    chosen = client.post(
        decide, json={"decision": "selected", "support_krw": 150_000_000, "reason": "적합"}, headers=admin
    )
    assert chosen.json()["status"] == "selected" and chosen.json()["support_krw"] == 150_000_000
    assert (
        client.post(decide, json={"decision": "rejected", "reason": "다시"}, headers=admin).status_code == 409
    )
