"""The designation workflow driven through the API, shared by the companies tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth

URL = "/api/v1/companies"
APPS = f"{URL}/org-vendor-3/designations"
JUDGED = ("technology_judgement", "organisation_judgement", "finance_judgement")

APPLICATION: dict[str, Any] = {
    "fields": ["INFO-MES", "INTL-AI"],
    "declared": {"patents": 2, "certifications": 1, "technical_staff": 10, "revenue": 3e9, "exports": 0},
    "evidence": [
        {"indicator": "patents", "title": "특허 제10-2345678호"},
        {"indicator": "certifications", "title": "GS인증서"},
        {"indicator": "technical_staff", "title": "4대보험 가입자 명부"},
        {"indicator": "revenue", "title": "2025년 재무제표"},
    ],
}


def judgements(tech: float, org: float, fin: float) -> dict[str, Any]:
    scores = dict(zip(JUDGED, (tech, org, fin), strict=True))
    return {
        "judgements": {k: {"score": v, "reason": f"{k} 근거: 검토 결과 {v}점"} for k, v in scores.items()}
    }


def evaluator(client: TestClient, auth: Auth, subject: str, org_id: str = "org-eval-1") -> dict[str, str]:
    headers = auth("evaluator", org_id=org_id, subject=subject)
    registered = client.put(f"{URL}/evaluators/me", json={"name": subject}, headers=headers)
    assert registered.status_code == 200, registered.text
    return headers


def designate(
    client: TestClient,
    auth: Auth,
    admin: dict[str, str],
    vendor: dict[str, str],
    *,
    company_id: str = "org-vendor-3",
    scores: tuple[float, float, float] = (90, 90, 90),
) -> dict[str, Any]:
    """The whole workflow with two fresh evaluators; returns the designated application."""
    apps = f"{URL}/{company_id}/designations"
    app = client.post(apps, json=APPLICATION, headers=vendor).json()
    url = f"{apps}/{app['id']}"
    assert client.post(f"{url}/completeness", json={"complete": True}, headers=admin).status_code == 200
    for n in (1, 2):
        subject = f"eval-{app['id'][:6]}-{n}"
        headers = evaluator(client, auth, subject)
        assert (
            client.post(f"{url}/assignments", json={"evaluator_id": subject}, headers=admin).status_code
            == 200
        )
        assert client.put(f"{url}/evaluation", json=judgements(*scores), headers=headers).status_code == 200
    decision = {"decision": "designated", "reason": "위원회 의결", "override_reason": "시범 지정"}
    done = client.post(f"{url}/decision", json=decision, headers=admin)
    assert done.status_code == 200, done.text
    return done.json()
