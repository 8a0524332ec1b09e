"""The ministry dashboard: target progress counted by hand from a small world built through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.companies import dashboard
from tests.conftest import Auth
from tests.factories import company_body, model_body
from tests.services.companies.workflow import APPLICATION, URL, designate

STANDARDS = "/api/v1/standards"


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


def _vendor(client: TestClient, auth: Auth, company_id: str, brn9: str, region: str) -> dict[str, str]:
    headers = auth("vendor", org_id=company_id)
    body = company_body(company_id=company_id, brn_first9=brn9, region=region)
    assert client.post(URL, json=body, headers=headers).status_code == 201
    return headers


def _model(client: TestClient, headers: dict[str, str], admin: dict[str, str], model_id: str, kind: str, *,
           publish: bool = True) -> None:  # fmt: skip
    assert (
        client.post(
            STANDARDS, json=model_body(model_id=model_id, equipment_type=kind), headers=headers
        ).status_code
        == 201
    )
    if publish:
        assert client.post(f"{STANDARDS}/{model_id}/versions/1.0.0/publish", headers=admin).status_code == 200


def test_target_progress_counted_by_hand(client: TestClient, auth: Auth, admin: dict[str, str]) -> None:
    a = _vendor(client, auth, "org-vendor-3", "220816251", "41")
    b = _vendor(client, auth, "org-vendor-4", "220816252", "48")
    c = _vendor(client, auth, "org-vendor-5", "220816253", "48")
    designate(client, auth, admin, a)
    designate(client, auth, admin, b, company_id="org-vendor-4")
    contract = {"country": "DE", "partner": "Werk GmbH", "contract_krw": 10**9, "signed_on": "2026-04-01"}
    assert client.post(f"{URL}/org-vendor-4/overseas", json=contract, headers=b).status_code == 201
    assert client.post(f"{URL}/org-vendor-5/designations", json=APPLICATION, headers=c).status_code == 201
    _model(client, a, admin, "cnc-lathe", "CNC_LATHE")
    _model(client, b, admin, "cnc-lathe-b", "CNC_LATHE")  # same type: counts once
    _model(client, b, admin, "press-1", "PRESS")
    _model(client, c, admin, "robot-arm", "ROBOT_ARM", publish=False)  # a draft does not count
    surveys = f"{URL}/dashboard/tech-level-surveys"
    assert client.put(f"{surveys}/2026", json={"level": 77.5, "source": "조사"}, headers=a).status_code == 403
    assert (
        client.put(f"{surveys}/1999", json={"level": 77.5, "source": "조사"}, headers=admin).json()["fields"][
            0
        ]["loc"]
        == "path.year"
    )
    assert (
        client.put(f"{surveys}/2025", json={"level": 76.0, "source": "2025 조사"}, headers=admin).status_code
        == 200
    )
    assert (
        client.put(f"{surveys}/2026", json={"level": 70.0, "source": "잠정"}, headers=admin).status_code
        == 200
    )
    assert (
        client.put(f"{surveys}/2026", json={"level": 77.5, "source": "2026 조사"}, headers=admin).status_code
        == 200
    )
    assert [s["level"] for s in client.get(surveys).json()] == [76.0, 77.5]

    public = client.get(f"{URL}/dashboard/targets").json()
    by_code = {t["code"]: t for t in public["targets"]}
    specialist = by_code["specialist_companies"]
    assert (specialist["value"], specialist["target"], specialist["progress_pct"]) == (2, 500, 0.4)
    assert specialist["by_region"] == [{"key": "41", "count": 1}, {"key": "48", "count": 1}]
    assert specialist["by_subfield"] == [{"key": "INFO-MES", "count": 2}, {"key": "INTL-AI", "count": 2}]
    assert (by_code["global_companies"]["value"], by_code["global_companies"]["progress_pct"]) == (1, 0.5)
    assert by_code["global_companies"]["by_region"] == [{"key": "48", "count": 1}]
    assert (
        by_code["standardised_equipment_types"]["value"],
        by_code["standardised_equipment_types"]["target"],
    ) == (
        2,
        500,
    )
    level = public["tech_level"]
    # (77.5 - 74.9) / 74.9 = 3.47 %; 3.47 of the 5 % target = 69.4 %.
    assert (level["latest"]["year"], level["latest"]["gain_pct"], level["progress_pct"]) == (2026, 3.47, 69.4)
    assert [p["gain_pct"] for p in level["trend"]] == [1.47, 3.47]
    assert public["pipeline"] is None and public["level_transitions"] == []
    assert public["overseas"] == {"companies": 1, "contracts": 1, "by_country": [{"key": "DE", "count": 1}]}
    # No published record: every region (17) and sub-field (14) is listed, none with records.
    support = public["support_vs_results"]
    assert len(support) == 31 and not any(r["records"] for r in support)
    staff = client.get(f"{URL}/dashboard/targets", headers=auth("agency", regions=["48"])).json()
    assert staff["pipeline"]["applications_by_status"] == [{"key": "submitted", "count": 1}]
    assert staff["pipeline"]["overdue"] == 0
    exported = client.get(f"{URL}/dashboard/targets.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == "section,key,metric,value"
    assert "specialist_companies,total,value,2" in lines and "global_companies,region:48,value,1" in lines
    assert "tech_level,2026,level,77.5" in lines
    assert "overseas,country:DE,contracts,1" in lines


def test_transitions_and_support_counted_by_hand() -> None:
    def record(before: str, after: str) -> dict[str, Any]:
        return {"factory": {"region_code": "48"}, "level_before": before, "level_after": after}

    records = [record("기초", "고도화"), record("기초", "고도화"), record("중간1", "중간2")]
    assert [(t.level_before, t.level_after, t.count) for t in dashboard.level_transitions(records)] == [
        ("기초", "고도화", 2),
        ("중간1", "중간2", 1),
    ]
    aggregates = {
        "groups": [
            {"key": "48", "count": 7, "median_kpi_improvement_pct": {"productivity": 30.0},
             "support_amount_krw_sum": 700, "support_amount_krw_median": 100.0},
            {"key": "11", "count": 1, "median_kpi_improvement_pct": {}, "support_amount_krw_sum": None},
        ]
    }  # fmt: skip
    rows = dashboard.support_vs_results("region", aggregates)
    assert [(r.key, r.records, r.support_krw, r.median_kpi_improvement_pct) for r in rows] == [
        ("48", 7, 700, {"productivity": 30.0}),
        ("11", 1, None, {}),
    ]
