"""Support programmes (caps, shares, sub-fields, required stages), the two processes, after-care."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.deployments.models import Ticket
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from tests.factories import deployment_body
from tests.services.deployments.conftest import PDF, URL, World, signed_today, with_actuals

BASIC = {"programme_code": "BASIC"}


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        # 기초: at most 100 M KRW of support, at most half of the project cost.
        (
            {**BASIC, "support_amount_krw": 100_000_001, "company_share_krw": 200_000_000},
            "body.support_amount_krw",
        ),
        (
            {**BASIC, "support_amount_krw": 60_000_000, "company_share_krw": 40_000_000},
            "body.support_amount_krw",
        ),
        (
            {**BASIC, "support_amount_krw": 60_000_000, "company_share_krw": 40_000_000},
            "body.company_share_krw",
        ),
        (
            {
                **BASIC,
                "support_amount_krw": 50_000_000,
                "company_share_krw": 50_000_000,
                "subfield": "INTL-AI",
            },
            "body.solutions[0].subfield_code",
        ),
        (
            {
                "programme_code": "ADVANCED1",
                "support_amount_krw": 200_000_001,
                "company_share_krw": 300_000_000,
            },
            "body.support_amount_krw",
        ),
    ],
)
def test_programme_caps_shares_and_subfields(world: World, change: dict[str, Any], loc: str) -> None:
    answer = world.client.post(URL, json=deployment_body(**change), headers=world.sme)
    assert answer.status_code == 422, answer.text
    assert loc in [f["loc"] for f in answer.json()["fields"]]


def test_amounts_within_the_programme_pass_and_are_checked_on_change(world: World) -> None:
    record = world.create(
        **BASIC, support_amount_krw=100_000_000, company_share_krw=100_000_000, subfield="INFO-LOG"
    )
    assert record["programme"] == {"code": "BASIC", "name": {"ko": "기초", "en": "Basic"}}
    url = f"{URL}/{record['id']}"
    over = world.client.patch(url, json={"support_amount_krw": 120_000_000}, headers=world.sme)
    assert over.status_code == 422 and "body.support_amount_krw" in [f["loc"] for f in over.json()["fields"]]
    upgraded = world.client.patch(
        url,
        json={
            "programme_code": "ADVANCED2",
            "support_amount_krw": 120_000_000,
            "company_share_krw": 130_000_000,
        },
        headers=world.sme,
    )
    assert upgraded.status_code == 200 and upgraded.json()["after_service_months"] == 24


def test_designated_supplier_at_contract_date_runs_the_simplified_process(world: World) -> None:
    simplified = world.create(supplier="org-vendor-9", contract=signed_today())
    assert simplified["process"] == "simplified" and simplified["supplier_designated"] is True
    assert [s["code"] for s in simplified["stages"]] == [
        "APPLY",
        "ASSESS",
        "SELECT",
        "DESIGN",
        "BUILD",
        "INSPECT",
        "SETTLE",
        "AFTER",
    ]
    assert simplified["target_months"] == 14 and simplified["planned_months"] == pytest.approx(14, abs=0.1)
    assert simplified["after_service_months"] == 6  # 집중 AS 의무 완화 (ADVANCED1: 12 → 6)
    # The same supplier before its designation: the standard process.
    before = world.create(supplier="org-vendor-9", year=2024)
    assert (before["process"], len(before["stages"]), before["after_service_months"]) == ("standard", 12, 12)
    # Stages that do not follow the process are refused, naming it.
    eight = [{k: s[k] for k in ("code", "planned_start", "planned_end")} for s in simplified["stages"]]
    refused = world.client.post(URL, json=deployment_body(stages=eight), headers=world.sme)
    assert refused.status_code == 422 and refused.json()["fields"][0]["loc"] == "body.stages"
    assert "standard process has 12 stages" in refused.json()["fields"][0]["msg"]
    # Changing the contract date re-decides the process.
    url = f"{URL}/{before['id']}"
    moved = world.client.patch(url, json={"contract": signed_today(), "stages": eight}, headers=world.sme)
    assert moved.status_code == 200, moved.text
    assert moved.json()["process"] == "simplified"


def test_durations_against_the_target(world: World) -> None:
    record = world.create(supplier="org-vendor-9", contract=signed_today())
    url = f"{URL}/{record['id']}"
    on_time = world.client.patch(url, json={"stages": with_actuals(record, 0)}, headers=world.sme).json()
    assert on_time["actual_months"] == pytest.approx(14, abs=0.1) and on_time["meets_target"] is True
    assert on_time["stages"][4]["actual_days"] == on_time["stages"][4]["planned_days"]
    late = with_actuals(record, 0)
    late[-1]["actual_end"] = str(date.fromisoformat(late[-1]["actual_end"]) + timedelta(days=90))
    slow = world.client.patch(url, json={"stages": late}, headers=world.sme).json()
    assert slow["actual_months"] == pytest.approx(17, abs=0.1) and slow["meets_target"] is False
    inspect = next(s for s in slow["stages"] if s["code"] == "INSPECT")
    assert slow["go_live"] == inspect["actual_end"]


def test_required_stages_gate_submission_and_verification(world: World) -> None:
    record = world.create()  # ADVANCED1: DESIGN, INSPECT and SETTLE required
    url = f"{URL}/{record['id']}"
    early = world.act(record, "submit", world.sme)
    assert early.status_code == 409
    assert {f["loc"] for f in early.json()["fields"]} == {
        "record.stages[6].actual_end",
        "record.stages[9].actual_end",
        "record.stages[10].actual_end",
    }
    world.client.patch(url, json={"stages": with_actuals(record, 0)}, headers=world.sme)
    assert world.act(record, "submit", world.sme).status_code == 200
    assert world.act(record, "confirm", world.vendor).status_code == 200
    unproven = world.act(record, "verify", world.agency)
    assert unproven.status_code == 409
    assert "record.stages[9].document_ids" in {f["loc"] for f in unproven.json()["fields"]}
    assert world.act(record, "return", world.agency, comment="증빙 문서를 올려 주세요").status_code == 200
    for code in ("DESIGN", "INSPECT", "SETTLE"):
        files = {"file": (f"{code}.pdf", PDF, "application/pdf")}
        assert (
            world.client.post(
                f"{url}/documents", files=files, data={"stage_code": code}, headers=world.vendor
            ).status_code
            == 201
        )
    for action, who in (("submit", world.sme), ("confirm", world.vendor), ("verify", world.agency)):
        assert world.act(record, action, who).status_code == 200, action


def test_after_care_tickets_and_the_suppliers_record(world: World) -> None:
    record = world.live_on(world.create(), date.today() - timedelta(days=30))
    url = f"{URL}/{record['id']}/tickets"
    ticket = {
        "title": "MES 화면 멈춤",
        "description": "2라인 작업지시 화면 응답 없음",
        "severity": "critical",
    }
    assert world.client.post(url, json=ticket, headers=world.vendor).status_code == 403
    assert world.client.post(url, json=ticket, headers=world.sme2).status_code == 404
    bad = world.client.post(url, json={**ticket, "severity": "apocalyptic"}, headers=world.sme)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "body.severity"
    fast = world.client.post(url, json=ticket, headers=world.sme).json()
    slow = world.client.post(url, json={**ticket, "severity": "minor"}, headers=world.sme).json()
    forgotten = world.client.post(url, json={**ticket, "severity": "major"}, headers=world.sme).json()
    assert fast["supplier_company_id"] == "org-vendor-3"
    assert fast["due_at"] > fast["opened_at"] and fast["late"] is False
    # Time passes for two of them: their service level ran out.
    with state_of(world.client.app).get(DATABASE).session() as session, session.begin():
        for ticket_id in (slow["id"], forgotten["id"]):
            row = session.get(Ticket, ticket_id)
            row.opened_at, row.due_at = row.opened_at - timedelta(days=10), row.due_at - timedelta(days=10)
    answer = {"answer": "서버 재기동 후 정상화"}
    assert world.client.post(f"{url}/{fast['id']}/answer", json=answer, headers=world.sme).status_code == 403
    assert (
        world.client.post(f"{url}/{fast['id']}/answer", json=answer, headers=world.outsider).status_code
        == 404
    )
    assert (
        world.client.post(f"{url}/{fast['id']}/answer", json=answer, headers=world.vendor).json()["late"]
        is False
    )
    assert (
        world.client.post(f"{url}/{slow['id']}/answer", json=answer, headers=world.vendor).json()["late"]
        is True
    )
    resolved = world.client.post(f"{url}/{fast['id']}/resolve", headers=world.sme)
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    assert world.client.post(f"{url}/{fast['id']}/resolve", headers=world.sme).status_code == 409
    assert world.client.post(f"{url}/{slow['id']}/resolve", headers=world.vendor).status_code == 403
    counts = {"open": 2, "late": 2, "resolved": 1}
    listed = world.client.get(url, headers=world.agency).json()["items"]
    assert [t["id"] for t in listed] == [slow["id"], forgotten["id"], fast["id"]]  # by opening time
    assert world.client.get(url, headers=world.sme2).status_code == 404
    assert world.client.get(f"{URL}/{record['id']}", headers=world.sme).json()["aftercare"] == counts
    # Late tickets weigh on the supplier's record even while the record is unpublished.
    track = world.client.get(f"{URL}/suppliers/org-vendor-3/track-record").json()
    assert track["aftercare"] == counts and track["deployment_count"] == 0


def test_tickets_only_within_the_obligation_period(world: World) -> None:
    ticket = {"title": "고장", "description": "설비 정지", "severity": "major"}
    not_live = world.create()
    answer = world.client.post(f"{URL}/{not_live['id']}/tickets", json=ticket, headers=world.sme)
    assert answer.status_code == 409
    # 12 months of after-care are over
    expired = world.live_on(world.create(), date.today() - timedelta(days=500))
    answer = world.client.post(f"{URL}/{expired['id']}/tickets", json=ticket, headers=world.sme)
    assert answer.status_code == 409 and "ended" in answer.json()["detail"]
