"""Specialist designation: the explained capability diagnosis, evaluators, every workflow step by role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from services.companies import diagnosis
from tests.conftest import Auth
from tests.factories import company_body
from tests.services.companies.workflow import APPLICATION, APPS, URL, designate, evaluator, judgements


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


@pytest.fixture
def vendor(client: TestClient, auth: Auth) -> dict[str, str]:
    headers = auth("vendor", org_id="org-vendor-3")
    assert client.post(URL, json=company_body(), headers=headers).status_code == 201
    return headers


def test_scoring_rules_by_hand() -> None:
    by_code = {i.code: i for i in diagnosis.indicators()}
    assert by_code["patents"].score(2) == 55.0  # halfway between 1 -> 40 and 3 -> 70
    assert by_code["patents"].score(9) == 100.0 and by_code["patents"].score(0) == 0.0
    assert round(by_code["technical_staff"].score(10), 3) == 53.333  # 40 + 40 * 5/15
    assert by_code["after_care"].score(30) == 0.0  # below the first breakpoint
    assert sum(i.weight for i in diagnosis.indicators()) == 100
    figures = {
        "deployment_count": 10,
        "median_kpi_improvement_pct": {"productivity": 20.0, "defect_rate": 40.0},
        "telemetry_backed_kpis": 3,
        "after_care": {"open": 1, "resolved": 9, "late": 2},
        "standards_published": 1,
        "ai_cases": 0,
    }
    values = diagnosis.platform_values(figures)
    assert values == {
        "standards_published": 1,
        "deployments": 10,
        "kpi_improvement": 30.0,
        "telemetry_kpis": 3,
        "after_care": 80.0,
        "ai_cases": 0,
    }
    result = diagnosis.breakdown("2026.1", platform=figures, declared={}, evidence=[], judgements=[])
    # Counted: the six platform indicators (weights 5+10+10+5+5+5 = 40); points 50, 66.67, 100, 60, 60, 0.
    assert result["counted_weight"] == 40
    assert result["total"] == round((50 * 5 + 200 / 3 * 10 + 100 * 10 + 60 * 5 + 60 * 5 + 0) / 40, 2)


def test_hand_computed_application_is_explained(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    app = client.post(APPS, json=APPLICATION, headers=vendor)
    assert app.status_code == 201, app.text
    body = app.json()
    assert body["status"] == "submitted" and body["model_version"] == "2026.1"
    assert body["platform"]["deployment_count"] == 0 and body["platform"]["ai_cases"] == 0
    rows = {r["code"]: r for r in body["diagnosis"]["indicators"]}
    assert rows["patents"]["points"] == 55.0 and rows["patents"]["evidence"] == ["특허 제10-2345678호"]
    assert rows["kpi_improvement"]["value"] is None and "left out" in rows["kpi_improvement"]["note"]
    # Before the evaluators: patents 55x10 + certifications 50x5 + staff 53.33x5 + revenue 55x5 over the
    # counted weight 55 (platform 0-figures count, KPI improvement and after-care have no value).
    assert body["total_score"] == round((550 + 250 + 800 / 3 + 275) / 55, 2) == 24.39
    url = f"{APPS}/{body['id']}"
    assert client.post(f"{url}/completeness", json={"complete": True}, headers=admin).status_code == 200
    for n, scores in ((1, (80, 70, 60)), (2, (90, 60, 70))):
        headers = evaluator(client, auth, f"eval-{n}")
        assert (
            client.post(f"{url}/assignments", json={"evaluator_id": f"eval-{n}"}, headers=admin).status_code
            == 200
        )
        assert client.put(f"{url}/evaluation", json=judgements(*scores), headers=headers).status_code == 200
    done = client.get(url, headers=vendor).json()
    assert done["status"] == "evaluated"
    rows = {r["code"]: r for r in done["diagnosis"]["indicators"]}
    assert (
        rows["technology_judgement"]["points"] == 85.0 and len(rows["technology_judgement"]["reasons"]) == 2
    )
    # + technology 85x15 + organisation 65x10 + finance 65x5, counted weight 85.
    assert done["total_score"] == round((550 + 250 + 800 / 3 + 275 + 1275 + 650 + 325) / 85, 2) == 42.25
    assert done["diagnosis"]["areas"]["technology"] == round(
        rows["patents"]["contribution"]
        + rows["certifications"]["contribution"]
        + rows["standards_published"]["contribution"]
        + rows["technology_judgement"]["contribution"],
        2,
    )
    assert all(a["evaluator_id"] is None for a in done["assignments"])  # hidden from the applicant
    assert [a["evaluator_id"] for a in client.get(url, headers=admin).json()["assignments"]] == [
        "eval-1",
        "eval-2",
    ]


def test_bad_applications_name_the_field(client: TestClient, vendor: dict[str, str], auth: Auth) -> None:
    unknown = client.post(APPS, json={**APPLICATION, "declared": {"deployments": 99}}, headers=vendor)
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"] == "body.declared"
    evidence = {**APPLICATION, "evidence": [{"indicator": "wishes", "title": "소원"}]}
    assert (
        client.post(APPS, json=evidence, headers=vendor).json()["fields"][0]["loc"]
        == "body.evidence[0].indicator"
    )
    negative = client.post(APPS, json={**APPLICATION, "declared": {"patents": -1}}, headers=vendor)
    assert negative.json()["fields"][0]["loc"] == "body.declared.patents"
    assert client.post(APPS, json={**APPLICATION, "fields": []}, headers=vendor).json()["fields"][0][
        "loc"
    ] == ("body.fields")
    assert client.post(APPS, json=APPLICATION).status_code == 401
    assert client.post(APPS, json=APPLICATION, headers=auth("sme", org_id="org-vendor-3")).status_code == 403
    assert client.post(APPS, json=APPLICATION, headers=auth("vendor", org_id="org-other")).status_code == 403
    assert (
        client.post(f"{URL}/org-nobody/designations", json=APPLICATION, headers=auth("admin")).status_code
        == 404
    )


def test_workflow_steps_by_role(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    unbacked = {**APPLICATION, "evidence": APPLICATION["evidence"][:1]}
    app = client.post(APPS, json=unbacked, headers=vendor).json()
    assert client.post(APPS, json=APPLICATION, headers=vendor).status_code == 409  # one under way
    url = f"{APPS}/{app['id']}"
    assert client.post(f"{url}/completeness", json={"complete": True}, headers=vendor).status_code == 403
    missing = client.post(f"{url}/completeness", json={"complete": True}, headers=admin)
    assert missing.status_code == 409 and "certifications" in missing.json()["detail"]
    no_note = client.post(f"{url}/completeness", json={"complete": False}, headers=admin)
    assert no_note.status_code == 422 and no_note.json()["fields"][0]["loc"] == "body.note"
    returned = client.post(
        f"{url}/completeness", json={"complete": False, "note": "증빙 누락"}, headers=admin
    )
    assert returned.json()["status"] == "returned"
    assert (
        client.post(f"{url}/resubmit", json=APPLICATION, headers=auth("vendor", org_id="org-x")).status_code
        == 403
    )
    assert client.post(f"{url}/resubmit", json=APPLICATION, headers=vendor).json()["status"] == "submitted"
    assert client.post(f"{url}/resubmit", json=APPLICATION, headers=vendor).status_code == 409
    assign = f"{url}/assignments"
    assert (
        client.post(assign, json={"evaluator_id": "e-1"}, headers=admin).status_code == 409
    )  # not in review
    assert (
        client.post(f"{url}/completeness", json={"complete": True}, headers=admin).json()["status"]
        == "in_review"
    )

    # Evaluator assignment rules: registered, not of the applicant, no declared conflict, once.
    assert client.post(assign, json={"evaluator_id": "ghost"}, headers=admin).status_code == 404
    evaluator(client, auth, "insider", org_id="org-vendor-3")
    own = client.post(assign, json={"evaluator_id": "insider"}, headers=admin)
    assert own.status_code == 409 and own.json()["fields"][0]["loc"] == "body.evaluator_id"
    conflicted = evaluator(client, auth, "adviser")
    declared = client.post(
        f"{URL}/evaluators/me/conflicts",
        json={"company_id": "org-vendor-3", "reason": "자문 계약"},
        headers=conflicted,
    )
    assert declared.status_code == 201 and declared.json()["conflicts"] == ["org-vendor-3"]
    assert client.post(assign, json={"evaluator_id": "adviser"}, headers=admin).status_code == 409
    e1, e2, e3 = (evaluator(client, auth, s) for s in ("e-1", "e-2", "e-3"))
    assert client.post(assign, json={"evaluator_id": "e-1"}, headers=e1).status_code == 403  # admins assign
    assert client.post(assign, json={"evaluator_id": "e-1"}, headers=admin).status_code == 200
    assert client.post(assign, json={"evaluator_id": "e-1"}, headers=admin).status_code == 409  # twice
    evaluate = f"{url}/evaluation"
    partial = {
        "judgements": {"technology_judgement": judgements(1, 1, 1)["judgements"]["technology_judgement"]}
    }
    refused = client.put(evaluate, json=partial, headers=e1)
    assert refused.status_code == 422
    assert {f["loc"] for f in refused.json()["fields"]} == {
        "body.judgements.organisation_judgement",
        "body.judgements.finance_judgement",
    }
    short = judgements(80, 80, 80)
    short["judgements"]["finance_judgement"]["reason"] = "좋음"
    assert client.put(evaluate, json=short, headers=e1).json()["fields"][0]["loc"] == (
        "body.judgements.finance_judgement.reason"
    )
    assert client.put(evaluate, json=judgements(80, 80, 80), headers=e3).status_code == 403  # not assigned
    assert client.get(url, headers=e3).status_code == 404
    assert client.put(evaluate, json=judgements(80, 80, 80), headers=e1).json()["status"] == "in_review"
    assert client.get(url, headers=e1).status_code == 200
    mine = client.get(f"{URL}/evaluators/me/assignments", headers=e1).json()["items"]
    assert [a["id"] for a in mine] == [app["id"]]
    decision = {"decision": "designated", "reason": "위원회 의결"}
    assert client.post(f"{url}/decision", json=decision, headers=admin).status_code == 409  # one evaluator
    assert client.post(assign, json={"evaluator_id": "e-2"}, headers=admin).status_code == 200
    assert client.put(evaluate, json=judgements(60, 60, 60), headers=e2).json()["status"] == "evaluated"
    assert client.put(evaluate, json=judgements(60, 60, 60), headers=e2).status_code == 409  # closed
    assert client.post(f"{url}/decision", json=decision, headers=vendor).status_code == 403
    assert client.post(f"{url}/decision", json=decision, headers=e1).status_code == 403
    no_reason = client.post(f"{url}/decision", json={"decision": "rejected"}, headers=admin)
    assert no_reason.json()["fields"][0]["loc"] == "body.reason"
    below = client.post(f"{url}/decision", json=decision, headers=admin)
    assert below.status_code == 422 and below.json()["fields"][0]["loc"] == "body.override_reason"
    rejected = client.post(
        f"{url}/decision", json={"decision": "rejected", "reason": "점수 미달"}, headers=admin
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "점수 미달"
    assert client.post(f"{url}/decision", json=decision, headers=admin).status_code == 409
    appealed = client.post(f"{url}/appeal", json={"note": "재심 요청"}, headers=vendor).json()
    assert appealed["appeal_note"] == "재심 요청"
    assert [e["action"] for e in appealed["events"]] == [
        "submitted", "returned", "resubmitted", "complete", "assigned", "evaluated", "assigned", "evaluated",
        "rejected", "appealed",
    ]  # fmt: skip
    assert client.post(f"{url}/suspend", json={"reason": "x1"}, headers=admin).status_code == 409
    assert client.get(f"{URL}/org-vendor-3/designation-status", params={"on": str(date.today())}).json() == {
        "company_id": "org-vendor-3",
        "on": str(date.today()),
        "designated": False,
        "designation_id": None,
        "valid_from": None,
        "valid_until": None,
        "status": "none",
    }


def test_suspension_revocation_and_renewal(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    status_url = f"{URL}/org-vendor-3/designation-status"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()  # a day whose end follows every decision here
    first = designate(client, auth, admin, vendor)
    assert first["valid_until"][:4] == str(int(first["valid_from"][:4]) + 3)
    status = client.get(status_url, params={"on": tomorrow}).json()
    assert status["designated"] is True and status["designation_id"] == first["id"]
    registry = client.get(f"{URL}/registry").json()["items"]
    assert [(r["company_id"], r["region_code"], r["renewal"]) for r in registry] == [
        ("org-vendor-3", "41", False)
    ]
    assert client.get(f"{URL}/registry", params={"field": "INTL-AI"}).json()["items"][0]["fields"] == [
        "INFO-MES",
        "INTL-AI",
    ]
    assert client.get(f"{URL}/registry", params={"field": "AUTO-ROBOT"}).json()["items"] == []
    assert client.get(f"{URL}/registry", params={"region": "48"}).json()["items"] == []
    assert client.get(f"{URL}/org-vendor-3").json()["designated"] is True
    url = f"{APPS}/{first['id']}"
    assert client.post(f"{url}/suspend", json={"reason": "사후관리 지연"}, headers=vendor).status_code == 403
    assert (
        client.post(f"{url}/suspend", json={"reason": "사후관리 지연"}, headers=admin).json()["status"]
        == "suspended"
    )
    assert client.get(f"{URL}/registry").json()["items"] == []
    assert client.get(status_url, params={"on": tomorrow}).json()["status"] == "suspended"
    assert client.post(f"{url}/suspend", json={"reason": "again"}, headers=admin).status_code == 409
    assert (
        client.post(
            f"{url}/appeal", json={"note": "지연은 고객사 일정 변경"}, headers=auth("vendor", org_id="x")
        ).status_code
        == 403
    )
    assert (
        client.post(f"{url}/appeal", json={"note": "지연은 고객사 일정 변경"}, headers=vendor).status_code
        == 200
    )
    assert (
        client.post(f"{url}/reinstate", json={"reason": "소명 인정"}, headers=admin).json()["status"]
        == "designated"
    )
    assert client.get(status_url, params={"on": tomorrow}).json()["designated"] is True

    # Renewal: a fresh application and diagnosis; when designated, the old designation ends.
    renewal = designate(client, auth, admin, vendor)
    assert renewal["renewal_of"] == first["id"]
    assert client.get(url, headers=vendor).json()["status"] == "renewed"
    status = client.get(status_url, params={"on": tomorrow}).json()
    assert status["designation_id"] == renewal["id"] and status["designated"] is True
    assert [r["designation_id"] for r in client.get(f"{URL}/registry").json()["items"]] == [renewal["id"]]
    after_expiry = (date.today() + timedelta(days=365 * 3 + 2)).isoformat()
    assert client.get(status_url, params={"on": after_expiry}).json()["status"] == "expired"
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert client.get(status_url, params={"on": yesterday}).json()["status"] == "none"

    renewed_url = f"{APPS}/{renewal['id']}"
    revoked = client.post(
        f"{renewed_url}/revoke", json={"reason": "구축정보 허위 등록"}, headers=admin
    ).json()
    assert revoked["status"] == "revoked" and revoked["ended_at"] is not None
    assert client.post(f"{renewed_url}/revoke", json={"reason": "again"}, headers=admin).status_code == 409
    assert client.post(f"{renewed_url}/reinstate", json={"reason": "x1"}, headers=admin).status_code == 409
    assert client.get(f"{URL}/registry").json()["items"] == []
    status = client.get(status_url, params={"on": tomorrow}).json()
    assert status == {**status, "designated": False, "status": "revoked", "designation_id": renewal["id"]}
    assert client.get(f"{URL}/org-vendor-3").json()["designated"] is False
    assert client.get(f"{URL}/nobody/designation-status", params={"on": tomorrow}).status_code == 404
    assert client.get(status_url, params={"on": "2026-13-01"}).json()["fields"][0]["loc"] == "query.on"
    far = client.get(status_url, params={"on": "9999-12-31"}).json()
    assert (far["status"], far["designation_id"]) == ("revoked", renewal["id"])


def test_admin_queue_and_model(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    app = client.post(APPS, json=APPLICATION, headers=vendor).json()
    queue = client.get(f"{URL}/designation-queue", headers=admin).json()["items"]
    assert [(q["designation_id"], q["waiting_for"], q["overdue"]) for q in queue] == [
        (app["id"], "completeness check", False)
    ]
    assert (
        queue[0]["due_at"][:10]
        == (date.fromisoformat(app["created_at"][:10]) + timedelta(days=7)).isoformat()
    )
    client.post(f"{APPS}/{app['id']}/completeness", json={"complete": True}, headers=admin)
    assert client.get(f"{URL}/designation-queue", headers=admin).json()["items"][0]["waiting_for"] == (
        "evaluator assignment"
    )
    assert client.get(f"{URL}/designation-queue", headers=vendor).status_code == 403
    assert client.get(f"{URL}/designation-queue").status_code == 401
    assert client.get(f"{URL}/evaluators", headers=vendor).status_code == 403
    model = client.get(f"{URL}/diagnosis-model").json()
    assert model[0]["version"] == "2026.1" and len(model[0]["indicators"]) == 14
    assert {i["source"] for i in model[0]["indicators"]} == {"platform", "declared", "evaluator"}
    assert model[0]["indicators"][0]["definition"]["en"].startswith("Registered")


def test_a_conflict_declared_later_withdraws_a_pending_assignment(
    client: TestClient, auth: Auth, admin: dict[str, str], vendor: dict[str, str]
) -> None:
    app = client.post(APPS, json=APPLICATION, headers=vendor).json()
    url = f"{APPS}/{app['id']}"
    client.post(f"{url}/completeness", json={"complete": True}, headers=admin)
    late = evaluator(client, auth, "late-adviser")
    assert (
        client.post(f"{url}/assignments", json={"evaluator_id": "late-adviser"}, headers=admin).status_code
        == 200
    )
    conflict = {"company_id": "org-vendor-3", "reason": "배정 후 자문 이력 확인"}
    assert client.post(f"{URL}/evaluators/me/conflicts", json=conflict, headers=late).status_code == 201
    after = client.get(url, headers=admin).json()
    assert after["assignments"] == [] and after["events"][-1]["action"] == "unassigned"
    assert client.put(f"{url}/evaluation", json=judgements(70, 70, 70), headers=late).status_code == 403
    assert (
        client.post(f"{url}/assignments", json={"evaluator_id": "late-adviser"}, headers=admin).status_code
        == 409
    )
    unknown = {"company_id": "org-nobody", "reason": "없음"}
    assert client.post(f"{URL}/evaluators/me/conflicts", json=unknown, headers=late).status_code == 404
    stranger = auth("evaluator", org_id="org-eval-9", subject="unregistered")
    assert client.post(f"{URL}/evaluators/me/conflicts", json=conflict, headers=stranger).status_code == 404
    listed = client.get(f"{URL}/evaluators", headers=admin).json()["items"]
    assert [(e["id"], e["conflicts"]) for e in listed] == [("late-adviser", ["org-vendor-3"])]
