"""Two tenants with one record of every resource type, created through the API with real Keycloak tokens:
sme1's organisation and vendor1's. Used by the cross-tenant attempts and by schemathesis (which fuzzes the
requests that address existing records, not only unknown ids)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from services.identity.models import GatewayClient
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from tests.factories import company_body, deployment_body, model_body, usecase_body

if TYPE_CHECKING:  # conftest imports this module's fixture
    from tests.security.conftest import Endpoint, RealmKey, Tokens

ID = "/api/v1/identity"
READING = {
    "readings": [
        {
            "equipment_id": "eq-sec-victim",
            "model_id": "spot-welder",
            "model_version": "1.0.0",
            "item_id": "spindle_speed",
            "ts": "2025-11-24T09:00:00+09:00",
            "value": 1.0,
        }
    ]
}


def _created(answer: Any) -> dict[str, Any]:
    assert answer.status_code in (200, 201, 202), answer.text
    body: dict[str, Any] = answer.json()
    return body


@dataclass
class Tenant:
    """One organisation's records: path and query values addressing them, and ids nobody else may see."""

    org_id: str
    owner: dict[str, str]
    intruder: dict[str, str]
    intruder_name: str
    values: dict[str, str]
    private: set[str] = field(default_factory=set)

    def request(self, endpoint: Endpoint, query: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """Path and query addressing this tenant's records; None if the tenant has no value for a parameter.

        Query parameters the tenant has no value for take their documented example (dates, data items)."""
        if not all(n in self.values for n in endpoint.path_params):
            return None
        params = {name: self.values.get(name, example) for name, example in query.items()}
        if any(v is None for v in params.values()):
            return None
        path = endpoint.path
        for name in endpoint.path_params:
            path = path.replace(f"{{{name}}}", self.values[name])
        return path, params


@pytest.fixture
def tenants(kc_client: TestClient, tokens: Tokens, realm_key: RealmKey) -> list[Tenant]:
    """sme1's company, factory, deployment, draft use case, consent, gateway client and batch; vendor1's
    company, draft standard and designation application."""
    c = kc_client
    admin, sme1, vendor1 = tokens.headers("admin1"), tokens.headers("sme1"), tokens.headers("vendor1")
    for org_id, kind in (("org-sme-1", "sme"), ("org-vendor-1", "vendor")):
        _created(
            c.post(
                f"{ID}/organisations",
                json={"id": org_id, "kind": kind, "name": {"ko": org_id}},
                headers=admin,
            )
        )
    sme_company = company_body(company_id="org-sme-1", kind="sme", brn_first9="123456789")
    _created(c.post("/api/v1/companies", json=sme_company, headers=sme1))
    factory = {"id": "factory-sme-1-a", "name": "제1공장", "region_code": "48", "industry_code": "C29"}
    _created(c.post("/api/v1/companies/org-sme-1/factories", json=factory, headers=sme1))
    _created(c.post("/api/v1/companies", json=company_body(company_id="org-vendor-1"), headers=vendor1))
    # Published models the documented examples refer to; and the vendor's private draft.
    # (Not cnc-lathe: the example of POST /api/v1/standards creates that one.)
    _created(c.post("/api/v1/standards", json=model_body(model_id="spot-welder"), headers=vendor1))
    _created(c.post("/api/v1/standards/spot-welder/versions/1.0.0/publish", headers=admin))
    # The vendor's private draft, imported from a document: its mapping report is private too.
    document = c.get("/api/v1/standards/spot-welder/versions/1.0.0/aas-environment").content
    draft = _created(
        c.post(
            "/api/v1/standards/imports/aas",
            params={"model_id": "sec-draft-model", "version": "1.0.0"},
            content=document,
            headers=vendor1,
        )
    )["model"]
    application = _created(
        c.post(
            "/api/v1/companies/org-vendor-1/designations",
            json={
                "fields": ["INFO-MES"],
                "declared": {"patents": 2},
                "evidence": [{"indicator": "patents", "title": "특허 등록원부"}],
            },
            headers=vendor1,
        )
    )
    # A support programme vendor1 applied to, and a regional centre (its dashboard: HAND_CASES).
    today = date.today()
    _created(
        c.post(
            "/api/v1/companies/support-centres",
            json={"id": "sec-centre", "function": "기술개발", "name": {"ko": "센터", "en": "Centre"}},
            headers=admin,
        )
    )
    programme = {
        "id": "sec-programme",
        "name": {"ko": "지원사업", "en": "Programme"},
        "stages": ["창업", "성장", "글로벌"],
        "opens_on": str(today - timedelta(days=1)),
        "closes_on": str(today + timedelta(days=1)),
        "budget_krw": 1,
    }
    _created(c.post("/api/v1/companies/support-centres/sec-centre/programmes", json=programme, headers=admin))
    programme_application = _created(
        c.post(
            "/api/v1/companies/programmes/sec-programme/applications",
            json={"company_id": "org-vendor-1", "plan": "기술개발 계획"},
            headers=vendor1,
        )
    )
    regional = {
        "id": "sec-region",
        "name": {"ko": "센터", "en": "Centre"},
        "regions": ["48"],
        "industries": ["C29"],
    }
    _created(c.post("/api/v1/companies/regional-centres", json=regional, headers=admin))
    deployment = _created(
        c.post("/api/v1/deployments", json=deployment_body(supplier="org-vendor-1"), headers=sme1)
    )
    # Its completion inspection a week ago starts the after-care period: sme1 opens a ticket.
    inspected = str(date.today() - timedelta(days=7))
    stages = [
        {k: s[k] for k in ("code", "planned_start", "planned_end")}
        | ({"actual_start": inspected, "actual_end": inspected} if s["code"] == "INSPECT" else {})
        for s in deployment["stages"]
    ]
    _created(c.patch(f"/api/v1/deployments/{deployment['id']}", json={"stages": stages}, headers=sme1))
    ticket = _created(
        c.post(
            f"/api/v1/deployments/{deployment['id']}/tickets",
            json={"title": "설비 정지", "description": "MES 응답 없음", "severity": "major"},
            headers=sme1,
        )
    )
    case = _created(c.post("/api/v1/usecases", json=usecase_body(), headers=sme1))
    consent = _created(
        c.post(f"{ID}/consents", json={"grantee_org_id": "org-vendor-1", "scope": "telemetry"}, headers=sme1)
    )
    # A registered gateway client of sme1 (the registry row is enough: intruders never reach Keycloak).
    with state_of(c.app).get(DATABASE).session() as session, session.begin():
        session.add(
            GatewayClient(client_id="gw-sec-victim", org_id="org-sme-1", factory_id="factory-sme-1-a")
        )
    batch_headers = {
        **tokens.headers("edge-gw-demo-1"),
        "X-Batch-Id": "sec-batch-1",
        "X-Factory-Id": "factory-sme-1-a",
    }
    _created(c.post("/api/v1/ingest/batches", json=READING, headers=batch_headers))
    _wait_for_the_lake(c, sme1)
    sme = Tenant(
        org_id="org-sme-1",
        owner=sme1,
        intruder=tokens.headers("sme2"),
        intruder_name="sme2",
        values={
            "company_id": "org-sme-1",
            "org_id": "org-sme-1",
            "owner_org_id": "org-sme-1",
            "factory_id": "factory-sme-1-a",
            "record_id": deployment["id"],
            "code": "INSPECT",
            "ticket_id": ticket["id"],
            "kind": "productivity",
            "case_id": case["id"],
            "consent_id": consent["id"],
            "client_id": "gw-sec-victim",
            "batch_id": "sec-batch-1",
            "grantee_org_id": "org-vendor-1",
            "scope": "telemetry",
        },
        private={case["id"], consent["id"], "gw-sec-victim", "eq-sec-victim", "sec-batch-1"},
    )
    vendor = Tenant(
        org_id="org-vendor-1",
        owner=vendor1,
        intruder=realm_key.identity("vendor2", ["vendor"], "org-vendor-2"),
        intruder_name="vendor2",
        values={
            "company_id": "org-vendor-1",
            "org_id": "org-vendor-1",
            "owner_org_id": "org-vendor-1",
            "model_id": draft["id"],
            "version": "1.0.0",
            "application_id": application["id"],
            "programme_id": "sec-programme",
        },
        private={draft["id"], application["id"], programme_application["id"]},
    )
    return [sme, vendor]


def _wait_for_the_lake(client: TestClient, owner: dict[str, str], timeout_s: float = 30.0) -> None:
    """Until the owner sees its reading through analytics: the intruder's queries then meet real data."""
    if "/api/v1/analytics/readings" not in client.get("/openapi.json").json()["paths"]:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = client.get(
            "/api/v1/analytics/readings", params={"factory_id": "factory-sme-1-a"}, headers=owner
        )
        if answer.status_code == 200 and "eq-sec-victim" in answer.text:
            return
        time.sleep(0.5)
    raise AssertionError(
        f"the uploaded reading never reached analytics: {answer.status_code} {answer.text[:300]}"
    )
