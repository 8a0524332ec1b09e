"""The deployments API (구축정보) against SQLite and real PostgreSQL: records, integrity, figures."""

from __future__ import annotations

import statistics

import pytest

from tests.factories import deployment_body
from tests.services.deployments.conftest import URL, World


def test_create_returns_derived_figures(world: World) -> None:
    record = world.create(
        kpis=[
            {"kind": "productivity", "baseline": 100, "after": 130, "unit": "ea/h"},
            {"kind": "defect_rate", "baseline": 5, "after": 2, "unit": "%"},
        ]
    )
    assert record["owner_org_id"] == "org-sme-1" and record["drafted_by"] == "sme"
    assert record["status"] == "draft" and record["revision"] == 1
    assert record["year"] == 2025 and record["programme"]["code"] == "ADVANCED1"
    # org-vendor-3 is not designated: the standard process, planned over its 23 months from the contract.
    assert record["process"] == "standard" and record["target_months"] == 23
    assert [s["code"] for s in record["stages"]][:3] == ["ANNOUNCE", "APPLY", "REVIEW"]
    assert record["stages"][0]["planned_start"] == "2025-01-01"
    # 23 calendar months: 2025-01-01 to 2026-12-01, the last stage ending the day before
    assert record["stages"][-1]["planned_end"] == "2026-11-30"
    assert record["planned_months"] == pytest.approx(23, abs=0.1)
    assert record["meets_target"] is None and record["go_live"] is None
    assert record["after_service_months"] == 12  # ADVANCED1, not relaxed
    kpis = {k["kind"]: k for k in record["kpis"]}
    assert kpis["productivity"]["improvement_pct"] == 30.0
    assert kpis["defect_rate"]["improvement_pct"] == 60.0  # lower is better
    assert world.client.get(f"{URL}/{record['id']}", headers=world.sme).json() == record


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"level_before": "중간2", "level_after": "기초"}, "body.level_after"),
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
        (
            {"kpis": [{"kind": "cost", "baseline": 1, "after": 2, "unit": "KRW", "source": "telemetry"}]},
            "body.kpis[0].source",
        ),
        ({"programme_code": "GOLD"}, "body.programme_code"),
        ({"contract": {"number": "x"}}, "body.contract.signed_on"),
        ({"unknown_field": 1}, "body.unknown_field"),
    ],
)
def test_invalid_records_name_the_field(world: World, change: dict, loc: str) -> None:
    response = world.client.post(URL, json=deployment_body(**change), headers=world.sme)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "ValidationFailed"
    assert loc in [f["loc"] for f in response.json()["fields"]]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"sme_company_id": "org-sme-404"}, "body.sme_company_id"),
        ({"sme_company_id": "org-vendor-5"}, "body.sme_company_id"),  # a vendor, not an SME
        ({"supplier": "org-vendor-404"}, "body.supplier_company_ids[0]"),
        ({"supplier_company_ids": ["org-vendor-3", "org-sme-2"]}, "body.supplier_company_ids[1]"),
        (
            {
                "factory": {
                    "factory_id": "factory-sme-2-a",
                    "name": "남의 공장",
                    "region_code": "11",
                    "industry_code": "C29",
                }
            },
            "body.factory.factory_id",
        ),
        ({"region": "26"}, "body.factory.region_code"),  # the registered factory is in 48
        ({"industry": "C30"}, "body.factory.industry_code"),
    ],
)
def test_parties_and_factory_are_checked_in_the_registry(world: World, change: dict, loc: str) -> None:
    body = deployment_body(**change)
    if body["sme_company_id"] != "org-sme-1":
        answer = world.client.post(URL, json=body, headers=world.admin)
    else:
        answer = world.client.post(URL, json=body, headers=world.sme)
    assert answer.status_code == 422, answer.text
    assert loc in [f["loc"] for f in answer.json()["fields"]]


def test_who_may_draft_a_record(world: World, auth) -> None:  # type: ignore[no-untyped-def]
    client = world.client
    assert client.post(URL, json=deployment_body()).status_code == 401
    assert client.post(URL, json=deployment_body(), headers=auth("public", org_id="x")).status_code == 403
    assert client.post(URL, json=deployment_body(), headers=auth("sme")).status_code == 403
    # Another SME cannot record a project of org-sme-1; a vendor only projects it supplied.
    assert client.post(URL, json=deployment_body(), headers=world.sme2).status_code == 403
    assert client.post(URL, json=deployment_body(), headers=world.outsider).status_code == 403
    assert client.post(URL, json=deployment_body(), headers=world.agency).status_code == 403
    by_vendor = world.create(world.vendor)
    assert by_vendor["drafted_by"] == "vendor" and by_vendor["owner_org_id"] == "org-vendor-3"
    by_admin = client.post(URL, json=deployment_body(owner_org_id="org-vendor-3"), headers=world.admin)
    assert by_admin.json()["drafted_by"] == "vendor"
    stranger = client.post(URL, json=deployment_body(owner_org_id="org-sme-2"), headers=world.admin)
    assert stranger.status_code == 422 and stranger.json()["fields"][0]["loc"] == "body.owner_org_id"


def test_filters_and_pagination_show_published_records_only(world: World) -> None:
    world.published(subfield="INTL-AI", year=2023)
    world.published(subfield="INFO-MES", year=2024, level_after="고도화")
    world.published(subfield="INTL-AI", year=2024, title_ko="창원 용접 라인 AI")
    draft = world.create(subfield="INTL-AI", year=2024)

    def count(**params: object) -> int:
        return len(world.client.get(URL, params=params).json()["items"])

    assert count() == 3
    assert count(region="48") == 3 and count(region="11") == 0
    assert count(subfield="INTL-AI") == 2
    assert count(supplier="org-vendor-3", year=2024) == 2
    assert count(level_after="고도화") == 1
    assert count(q="용접") == 1
    assert count(process="standard", programme="ADVANCED1") == 3
    first = world.client.get(URL, params={"limit": 2}).json()
    second = world.client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert draft["id"] not in {i["id"] for i in first["items"] + second["items"]}
    assert all(i["support_amount_krw"] is None for i in first["items"])  # private in public lists
    assert world.client.get(URL, params={"limit": 201}).status_code == 422
    assert world.client.get(URL, params={"cursor": "garbage!"}).json()["fields"][0]["loc"] == "query.cursor"
    assert world.client.get(URL, params={"region": "99"}).json()["fields"][0]["loc"] == "query.region"


def test_workspace_lists_every_state_the_caller_takes_part_in(world: World) -> None:
    mine = world.create()
    published = world.published()
    theirs = world.client.post(
        URL,
        json=deployment_body(
            sme_company_id="org-sme-2",
            region="11",
            factory={
                "factory_id": "factory-sme-2-a",
                "name": "서울 공장",
                "region_code": "11",
                "industry_code": "C29",
            },
        ),
        headers=world.sme2,
    ).json()

    def ids(headers: dict[str, str], **params: str) -> set[str]:
        answer = world.client.get(f"{URL}/workspace", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return {i["id"] for i in answer.json()["items"]}

    assert ids(world.sme) == {mine["id"], published["id"]}
    assert ids(world.sme, status="draft") == {mine["id"]}
    assert ids(world.vendor) == {mine["id"], published["id"], theirs["id"]}  # supplier of all three
    assert ids(world.agency) == {mine["id"], published["id"]}  # region 48
    assert ids(world.agency_seoul) == {theirs["id"]}
    assert ids(world.outsider) == set()
    assert ids(world.admin) == {mine["id"], published["id"], theirs["id"]}
    assert world.client.get(f"{URL}/workspace").status_code == 401


def test_aggregates_count_published_records_and_disclose_amounts_of_big_groups(world: World) -> None:
    gains = [10, 30, 50]
    amounts = [90_000_000, 120_000_000, 150_000_000]
    for gain, amount in zip(gains, amounts, strict=True):
        world.published(
            kpis=[{"kind": "productivity", "baseline": 100, "after": 100 + gain, "unit": "ea/h"}],
            support_amount_krw=amount,
            company_share_krw=amount,
        )
    world.published(
        subfield="INTL-TWIN",
        year=2024,
        kpis=[{"kind": "energy", "baseline": 200, "after": 150, "unit": "kWh"}],
    )
    world.create(
        kpis=[{"kind": "energy", "baseline": 200, "after": 10, "unit": "kWh"}]
    )  # a draft: not counted
    by_region = world.client.get(f"{URL}/aggregates", params={"by": "region"}).json()
    assert by_region["total"] == 4 and by_region["min_group_size"] == 3
    groups = {g["key"]: g for g in by_region["groups"]}
    assert len(groups) == 17 and groups["11"]["count"] == 0
    assert groups["48"]["count"] == 4
    assert groups["48"]["median_kpi_improvement_pct"] == {
        "energy": 25.0,
        "productivity": statistics.median(gains),
    }
    assert groups["48"]["support_amount_krw_sum"] == sum(amounts) + 150_000_000
    assert groups["48"]["label"] == {"ko": "경상남도", "en": "Gyeongnam"}
    by_subfield = {g["key"]: g for g in world.client.get(f"{URL}/aggregates?by=subfield").json()["groups"]}
    assert by_subfield["INFO-MES"]["count"] == 3
    assert by_subfield["INFO-MES"]["support_amount_krw_median"] == statistics.median(amounts)
    assert by_subfield["INTL-TWIN"]["count"] == 1
    assert by_subfield["INTL-TWIN"]["support_amount_krw_sum"] is None  # one record: suppressed
    years = {g["key"]: g["count"] for g in world.client.get(f"{URL}/aggregates?by=year").json()["groups"]}
    assert years == {"2024": 1, "2025": 3}
    assert world.client.get(f"{URL}/aggregates?by=color").status_code == 422


def test_supplier_track_record_counts_published_records(world: World) -> None:
    world.published(kpis=[{"kind": "defect_rate", "baseline": 4, "after": 1, "unit": "%"}])
    world.published(
        subfield="INTL-AI", kpis=[{"kind": "defect_rate", "baseline": 4, "after": 3, "unit": "%"}]
    )
    world.create(kpis=[{"kind": "defect_rate", "baseline": 4, "after": 0.1, "unit": "%"}])  # a draft
    record = world.client.get(f"{URL}/suppliers/org-vendor-3/track-record").json()
    assert record == {
        "company_id": "org-vendor-3",
        "deployment_count": 2,
        "regions": [{"code": "48", "count": 2}],
        "subfields": [{"code": "INFO-MES", "count": 1}, {"code": "INTL-AI", "count": 1}],
        "median_kpi_improvement_pct": {"defect_rate": 50.0},
        "telemetry_backed_kpis": 0,
        "verified_kpis": 0,
        "aftercare": {"open": 0, "late": 0, "resolved": 0},
    }
    assert world.client.get(f"{URL}/suppliers/nobody/track-record").json()["deployment_count"] == 0
    # The companies service shows the same figures with the company's name.
    via_companies = world.client.get("/api/v1/companies/org-vendor-3/track-record").json()
    assert via_companies["deployment_count"] == 2


def test_update_put_kpi_and_delete_with_tenancy(world: World) -> None:
    record = world.create()
    url = f"{URL}/{record['id']}"
    client = world.client
    assert client.patch(url, json={"sme_name": "x"}, headers=world.sme2).status_code == 404  # a draft
    assert client.patch(url, json={"sme_name": "x"}).status_code == 401
    changed = client.patch(url, json={"level_after": "중간2", "support_amount_krw": 99}, headers=world.vendor)
    assert changed.status_code == 200, changed.text
    assert changed.json()["level_after"] == "중간2" and changed.json()["support_amount_krw"] == 99
    bad = client.patch(url, json={"level_before": "고도화"}, headers=world.sme)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "body.level_after"
    kpi = {"baseline": 5, "after": 1, "unit": "%"}
    put = client.put(f"{url}/kpis/defect_rate", json=kpi, headers=world.sme).json()
    assert {k["kind"]: k["improvement_pct"] for k in put["kpis"]}["defect_rate"] == 80.0
    claimed = client.put(f"{url}/kpis/defect_rate", json={**kpi, "source": "telemetry"}, headers=world.sme)
    assert claimed.status_code == 422 and claimed.json()["fields"][0]["loc"] == "body.source"
    assert client.put(f"{url}/kpis/defect_rate", json=kpi, headers=world.outsider).status_code == 404
    assert client.put(f"{url}/kpis/mood", json=kpi, headers=world.sme).status_code == 422
    assert client.delete(url, headers=world.sme2).status_code == 404
    assert client.delete(url, headers=world.sme).status_code == 204
    assert client.get(url, headers=world.sme).status_code == 404
    assert client.delete(url, headers=world.sme).json()["error"] == "NotFound"
    # A record that was published stays; only an admin deletes it.
    published = world.published()
    assert client.delete(f"{URL}/{published['id']}", headers=world.sme).status_code == 403
    assert client.delete(f"{URL}/{published['id']}", headers=world.admin).status_code == 204


def test_catalogue_of_programmes_and_processes(world: World) -> None:
    programmes = {p["code"]: p for p in world.client.get(f"{URL}/programmes").json()}
    assert set(programmes) == {"BASIC", "ADVANCED1", "ADVANCED2"}
    assert programmes["BASIC"]["cap_krw"] == 100_000_000 and programmes["BASIC"]["name"]["ko"] == "기초"
    processes = {p["code"]: p for p in world.client.get(f"{URL}/processes").json()}
    assert (len(processes["standard"]["stages"]), processes["standard"]["target_months"]) == (12, 23)
    assert (len(processes["simplified"]["stages"]), processes["simplified"]["target_months"]) == (8, 14)
