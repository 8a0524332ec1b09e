"""The deployments API (구축정보) against SQLite and real PostgreSQL."""

from __future__ import annotations

import statistics

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import deployment_body

URL = "/api/v1/deployments"


@pytest.fixture
def sme(auth: Auth) -> dict[str, str]:
    return auth("sme", org_id="org-sme-1")


def create(client: TestClient, headers: dict[str, str], **kw: object) -> dict:
    response = client.post(URL, json=deployment_body(**kw), headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_derived_figures(client: TestClient, sme: dict[str, str]) -> None:
    body = deployment_body(
        kpis=[
            {"kind": "productivity", "baseline": 100, "after": 130, "unit": "ea/h"},
            {"kind": "defect_rate", "baseline": 5, "after": 2, "unit": "%", "source": "telemetry"},
        ]
    )
    body["stages"][-1]["actual_start"] = "2025-08-01"
    record = client.post(URL, json=body, headers=sme).json()
    assert record["owner_org_id"] == "org-sme-1"
    assert record["year"] == 2025
    assert record["stages"][0]["planned_days"] == 25
    assert record["planned_months"] == pytest.approx(236 / 30.44, abs=0.05)
    assert record["meets_target"] is None
    assert record["after_service_end"] == "2026-02-25"
    kpis = {k["kind"]: k for k in record["kpis"]}
    assert kpis["productivity"]["improvement_pct"] == 30.0
    assert kpis["defect_rate"]["improvement_pct"] == 60.0  # lower is better
    assert client.get(f"{URL}/{record['id']}").json() == record


def test_finished_project_reports_actual_months_and_target(client: TestClient, sme: dict[str, str]) -> None:
    body = deployment_body()
    for stage in body["stages"]:
        stage["actual_start"], stage["actual_end"] = stage["planned_start"], stage["planned_end"]
    record = client.post(URL, json=body, headers=sme).json()
    assert record["actual_months"] == record["planned_months"]
    assert record["meets_target"] is True


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"level_before": "중간2", "level_after": "기초"}, "body.level_after"),
        ({"factory": {"name": "x", "region_code": "99", "industry_code": "C29"}}, "body.factory.region_code"),
        (
            {"factory": {"name": "x", "region_code": "11", "industry_code": "C99"}},
            "body.factory.industry_code",
        ),
        ({"supplier_company_ids": []}, "body.supplier_company_ids"),
        ({"support_amount_krw": -1}, "body.support_amount_krw"),
        ({"kpis": [{"kind": "speed", "baseline": 1, "after": 2, "unit": "x"}]}, "body.kpis[0].kind"),
        ({"kpis": [{"kind": "cost", "baseline": -1, "after": 2, "unit": "KRW"}]}, "body.kpis[0].baseline"),
        (
            {
                "kpis": [
                    {"kind": "cost", "baseline": 1, "after": 2, "unit": "KRW"},
                    {"kind": "cost", "baseline": 1, "after": 3, "unit": "KRW"},
                ]
            },
            "body.kpis[1].kind",
        ),
        ({"unknown_field": 1}, "body.unknown_field"),
    ],
)
def test_invalid_records_name_the_field(
    client: TestClient, sme: dict[str, str], change: dict, loc: str
) -> None:
    response = client.post(URL, json=deployment_body(**change), headers=sme)
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationFailed"
    assert loc in [f["loc"] for f in response.json()["fields"]]


def test_stage_order_and_dates_are_checked(client: TestClient, sme: dict[str, str]) -> None:
    body = deployment_body()
    body["stages"][2]["code"] = "BUILD"
    body["stages"][3]["planned_end"] = "2025-03-01"
    body["stages"][5]["actual_end"] = "2025-06-20"
    locs = [f["loc"] for f in client.post(URL, json=body, headers=sme).json()["fields"]]
    assert locs == ["body.stages[2].code", "body.stages[3].planned_end", "body.stages[5].actual_start"]


def test_nan_is_refused(client: TestClient, sme: dict[str, str]) -> None:
    raw = '{"support_amount_krw": 1, "kpis": [{"kind": "cost", "baseline": NaN, "after": 1, "unit": "x"}]}'
    response = client.post(URL, content=raw, headers={**sme, "Content-Type": "application/json"})
    assert response.status_code == 422


def test_filters_and_pagination(client: TestClient, sme: dict[str, str]) -> None:
    create(client, sme, region="11", subfield="INTL-AI", supplier="org-vendor-1", year=2023)
    create(
        client,
        sme,
        region="11",
        subfield="INFO-MES",
        supplier="org-vendor-2",
        year=2024,
        level_after="고도화",
    )
    create(
        client,
        sme,
        region="26",
        subfield="INTL-AI",
        supplier="org-vendor-1",
        year=2024,
        title_ko="부산 용접 라인 AI",
        industry="C30",
    )

    def ids(**params: object) -> int:
        return len(client.get(URL, params=params).json()["items"])

    assert ids(region="11") == 2
    assert ids(subfield="INTL-AI") == 2
    assert ids(supplier="org-vendor-1", year=2024) == 1
    assert ids(level_after="고도화") == 1
    assert ids(industry="C30") == 1
    assert ids(q="용접") == 1
    assert ids(sme_company_id="org-sme-1") == 3
    first = client.get(URL, params={"limit": 2}).json()
    second = client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    seen = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert len(seen) == 3
    assert client.get(URL, params={"limit": 201}).status_code == 422
    assert client.get(URL, params={"cursor": "garbage!"}).json()["fields"][0]["loc"] == "query.cursor"
    assert client.get(URL, params={"region": "99"}).json()["fields"][0]["loc"] == "query.region"


def test_aggregates_medians_by_region_and_subfield(client: TestClient, sme: dict[str, str]) -> None:
    gains = [10, 30, 50]
    for gain in gains:
        create(
            client,
            sme,
            region="44",
            kpis=[{"kind": "productivity", "baseline": 100, "after": 100 + gain, "unit": "ea/h"}],
        )
    create(
        client,
        sme,
        region="47",
        subfield="INTL-TWIN",
        kpis=[{"kind": "energy", "baseline": 200, "after": 150, "unit": "kWh"}],
    )
    by_region = client.get(f"{URL}/aggregates", params={"by": "region"}).json()
    assert by_region["total"] == 4
    groups = {g["key"]: g for g in by_region["groups"]}
    assert len(groups) == 17 and groups["11"]["count"] == 0
    assert groups["44"]["count"] == 3
    assert groups["44"]["median_kpi_improvement_pct"] == {"productivity": statistics.median(gains)}
    assert groups["47"]["median_kpi_improvement_pct"] == {"energy": 25.0}
    assert groups["44"]["label"] == {"ko": "충청남도", "en": "Chungnam"}
    by_subfield = {g["key"]: g["count"] for g in client.get(f"{URL}/aggregates?by=subfield").json()["groups"]}
    assert by_subfield["INFO-MES"] == 3 and by_subfield["INTL-TWIN"] == 1 and len(by_subfield) == 14
    years = client.get(f"{URL}/aggregates?by=year").json()["groups"]
    assert years == [
        {
            "key": "2025",
            "label": None,
            "count": 4,
            "median_kpi_improvement_pct": {"energy": 25.0, "productivity": 30.0},
        }
    ]
    assert client.get(f"{URL}/aggregates?by=color").status_code == 422


def test_supplier_track_record(client: TestClient, sme: dict[str, str]) -> None:
    create(
        client,
        sme,
        region="11",
        supplier="org-vendor-9",
        kpis=[{"kind": "defect_rate", "baseline": 4, "after": 1, "unit": "%", "source": "telemetry"}],
    )
    create(
        client,
        sme,
        region="11",
        supplier="org-vendor-9",
        subfield="INTL-AI",
        kpis=[{"kind": "defect_rate", "baseline": 4, "after": 3, "unit": "%"}],
    )
    create(client, sme, region="27", supplier="org-vendor-8")
    record = client.get(f"{URL}/suppliers/org-vendor-9/track-record").json()
    assert record == {
        "company_id": "org-vendor-9",
        "deployment_count": 2,
        "regions": [{"code": "11", "count": 2}],
        "subfields": [{"code": "INFO-MES", "count": 1}, {"code": "INTL-AI", "count": 1}],
        "median_kpi_improvement_pct": {"defect_rate": 50.0},
        "telemetry_backed_kpis": 1,
    }
    assert client.get(f"{URL}/suppliers/nobody/track-record").json()["deployment_count"] == 0


def test_update_put_kpi_and_delete_with_tenancy(client: TestClient, sme: dict[str, str], auth: Auth) -> None:
    record = create(client, sme)
    url = f"{URL}/{record['id']}"
    other = auth("sme", org_id="org-sme-2")
    assert client.patch(url, json={"support_amount_krw": 1}, headers=other).status_code == 403
    assert client.patch(url, json={"support_amount_krw": 1}).status_code == 401
    changed = client.patch(url, json={"level_after": "중간2", "support_amount_krw": 99}, headers=sme).json()
    assert changed["level_after"] == "중간2" and changed["support_amount_krw"] == 99
    bad = client.patch(url, json={"level_before": "고도화"}, headers=sme)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "body.level_after"
    kpi = {
        "baseline": 5,
        "after": 1,
        "unit": "%",
        "source": "telemetry",
        "telemetry_ref": "telemetry.readings",
    }
    put = client.put(f"{url}/kpis/defect_rate", json=kpi, headers=sme).json()
    assert {k["kind"]: k["improvement_pct"] for k in put["kpis"]}["defect_rate"] == 80.0
    assert client.put(f"{url}/kpis/defect_rate", json=kpi, headers=other).status_code == 403
    assert client.put(f"{url}/kpis/mood", json=kpi, headers=sme).status_code == 422
    admin = auth("admin", org_id="org-operator")
    assert client.patch(url, json={"sme_name": "관리자 수정"}, headers=admin).status_code == 200
    assert client.delete(url, headers=other).status_code == 403
    assert client.delete(url, headers=sme).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url, headers=sme).json()["error"] == "NotFound"


def test_writes_need_a_writer_role_and_an_org(client: TestClient, auth: Auth) -> None:
    assert client.post(URL, json=deployment_body()).status_code == 401
    assert client.post(URL, json=deployment_body(), headers=auth("public", org_id="x")).status_code == 403
    assert client.post(URL, json=deployment_body(), headers=auth("sme")).status_code == 403
    foreign = client.post(
        URL, json=deployment_body(owner_org_id="org-sme-2"), headers=auth("sme", org_id="org-sme-1")
    )
    assert foreign.status_code == 403
    by_admin = client.post(
        URL, json=deployment_body(owner_org_id="org-sme-2"), headers=auth("admin", org_id="op")
    )
    assert by_admin.json()["owner_org_id"] == "org-sme-2"
