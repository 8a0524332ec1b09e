"""Designations decided before the platform existed, recorded by an admin with the decision document."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body
from tests.services.companies.workflow import APPLICATION, APPS, URL

HISTORICAL = f"{APPS}/historical"
STATUS = f"{URL}/org-vendor-3/designation-status"


def record(**over: Any) -> dict[str, Any]:
    return {
        "fields": ["INFO-MES"],
        "decided_on": "2022-01-01",
        "total_score": 81.5,
        "reason": "2021년 제4차 지정위원회 심의 결과 지정",
        "document_ref": "중소벤처기업부 공고 제2021-900호",
    } | over


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator", username="admin1")


@pytest.fixture
def vendor(client: TestClient, auth: Auth) -> dict[str, str]:
    headers = auth("vendor", org_id="org-vendor-3")
    assert client.post(URL, json=company_body(), headers=headers).status_code == 201
    return headers


def test_recorded_designations_renew_each_other_and_are_audited(
    client: TestClient, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    first = client.post(HISTORICAL, json=record(), headers=admin)
    assert first.status_code == 201, first.text
    old = first.json()
    kst = ZoneInfo("Asia/Seoul")
    assert datetime.fromisoformat(old["valid_from"]) == datetime(2022, 1, 1, tzinfo=kst)
    assert datetime.fromisoformat(old["valid_until"]) == datetime(2025, 1, 1, tzinfo=kst)
    assert (old["status"], old["total_score"], old["document_ref"]) == (
        "expired",
        81.5,
        "중소벤처기업부 공고 제2021-900호",
    )
    assert [(e["action"], e["reason"]) for e in old["events"]] == [
        ("recorded", "2021년 제4차 지정위원회 심의 결과 지정 (중소벤처기업부 공고 제2021-900호)")
    ]
    assert client.get(STATUS, params={"on": "2024-12-31"}).json()["designated"] is True
    assert client.get(STATUS, params={"on": "2021-12-31"}).json()["status"] == "none"
    assert client.get(f"{URL}/registry").json()["items"] == []  # expired

    # The next period, starting the day the first ends, renews it; the decision may precede the period.
    second = client.post(
        HISTORICAL,
        json=record(decided_on="2024-12-20", valid_from="2025-01-01", document_ref="공고 제2024-777호"),
        headers=admin,
    ).json()
    assert second["renewal_of"] == old["id"] and second["status"] == "designated"
    previous = client.get(f"{APPS}/{old['id']}", headers=admin).json()
    assert previous["status"] == "renewed" and [e["action"] for e in previous["events"]] == [
        "recorded",
        "renewed",
    ]
    assert client.get(STATUS, params={"on": "2025-01-01"}).json()["designation_id"] == second["id"]
    registry = client.get(f"{URL}/registry").json()["items"]
    assert [(r["designation_id"], r["renewal"]) for r in registry] == [(second["id"], True)]
    # In force now: the company's next application is a renewal of it.
    applied = client.post(APPS, json=APPLICATION, headers=vendor).json()
    assert applied["renewal_of"] == second["id"]


def test_recording_is_refused_for_bad_dates_overlaps_and_non_admins(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    assert client.post(HISTORICAL, json=record(), headers=vendor).status_code == 403
    assert client.post(HISTORICAL, json=record()).status_code == 401
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    answer = client.post(HISTORICAL, json=record(decided_on=tomorrow), headers=admin)
    assert answer.status_code == 422
    assert {f["loc"] for f in answer.json()["fields"]} == {"body.decided_on", "body.valid_from"}
    answer = client.post(HISTORICAL, json=record(valid_until="2021-06-01"), headers=admin)
    assert [f["loc"] for f in answer.json()["fields"]] == ["body.valid_until"]
    answer = client.post(HISTORICAL, json=record(valid_from="2021-12-01"), headers=admin)
    assert [f["loc"] for f in answer.json()["fields"]] == ["body.valid_from"]
    answer = client.post(HISTORICAL, json=record(document_ref=""), headers=admin)
    assert answer.json()["fields"][0]["loc"] == "body.document_ref"
    assert (
        client.post(f"{URL}/nobody/designations/historical", json=record(), headers=admin).status_code == 404
    )
    sme = auth("sme", org_id="org-sme-1")
    body = company_body(company_id="org-sme-1", kind="sme", brn_first9="123456789")
    assert client.post(URL, json=body, headers=sme).status_code == 201
    assert (
        client.post(f"{URL}/org-sme-1/designations/historical", json=record(), headers=admin).status_code
        == 409
    )

    assert client.post(HISTORICAL, json=record(), headers=admin).status_code == 201
    overlap = client.post(HISTORICAL, json=record(decided_on="2024-06-01"), headers=admin)
    assert overlap.status_code == 409 and overlap.json()["fields"][0]["loc"] == "body.valid_from"
    # A period reaching into the present cannot be recorded beside an application under way.
    assert client.post(APPS, json=APPLICATION, headers=vendor).status_code == 201
    recent = (date.today() - timedelta(days=30)).isoformat()
    assert client.post(HISTORICAL, json=record(decided_on=recent), headers=admin).status_code == 409
