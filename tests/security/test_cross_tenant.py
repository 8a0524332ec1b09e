"""Cross-tenant attempts, generated over the route table: another organisation reaches nothing of a tenant.

Two tenants own one record of every resource type (sme1's organisation and vendor1's), created through the
API with real Keycloak tokens. For every endpoint that reads a token:
- with path parameters: the intruder of the same role (sme2; a second vendor) is refused (403/404) with the
  tenant's ids in the path and the documented example as body; a read by the owner itself succeeds;
- a create whose body names an ``owner_org_id``: creating for the tenant is refused (403);
- a list: the answer holds none of the tenant's private ids (drafts, consents, clients, applications).
An endpoint none of these reach must be admin-only, be listed in ``HAND_CASES``, or name in ``COVERED_BY`` the
test that refuses other organisations: a new endpoint cannot be forgotten.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import company_body
from tests.onnx_models import window_mean
from tests.security.conftest import (
    Endpoint,
    SecurityReport,
    Tokens,
    body_example,
    body_schema,
    endpoints,
    required_query,
)
from tests.security.world import READING, Tenant

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

ID = "/api/v1/identity"


def resource_type(endpoint: Endpoint) -> str:
    """What a path addresses: the collection before its last id (``.../factories/{factory_id}/...``)."""
    segments = endpoint.path.strip("/").split("/")
    ids = [i for i, segment in enumerate(segments) if segment.startswith("{")]
    return segments[ids[-1] - 1] if ids else segments[-1]


# Endpoints whose tenancy the generated cases cannot reach (the tenant is named in a header or is the
# created record's own id): each with its attempt, the intruder and the refusals accepted.
MODEL_SIGNATURE = {
    "model_id": "cnc-lathe",
    "model_version": "1.0.0",
    "items": ["spindle_speed"],
    "window_length": 4,
    "interval_seconds": 60,
    "outputs": [{"name": "score", "kind": "score"}],
}
HAND_CASES: dict[str, dict[str, Any]] = {
    "POST /api/v1/companies": {
        "who": "sme2",
        "json": company_body(company_id="org-sme-1", kind="sme", brn_first9="987654321"),
        "refusals": {403},
    },
    # Centre staff are agency users scoped by region: a tenant's user is no staff (the regional scoping
    # itself is tested in tests/services/companies/test_centres.py).
    "GET /api/v1/companies/regional-centres/{centre_id}/dashboard": {
        "who": "sme2",
        "url": "/api/v1/companies/regional-centres/sec-region/dashboard",
        "json": None,
        "refusals": {403},
    },
    # An evaluator acts only on itself ("me"): others cannot even register or declare conflicts.
    "PUT /api/v1/companies/evaluators/me": {"who": "sme2", "json": {"name": "침입자"}, "refusals": {403}},
    "POST /api/v1/companies/evaluators/me/conflicts": {
        "who": "vendor1",
        "json": {"company_id": "org-sme-1", "reason": "이해충돌"},
        "refusals": {403},
    },
    # KPIs measured from another SME's telemetry: its raw readings' tenancy applies.
    "POST /api/v1/analytics/kpis/measure": {
        "who": "sme2",
        "json": {
            "factory_id": "factory-sme-1-a",
            "kpi": "oee",
            "baseline": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-02T00:00:00Z"},
            "after": {"start": "2025-11-02T00:00:00Z", "end": "2025-11-03T00:00:00Z"},
            "snapshot_id": None,
        },
        "refusals": {403},
    },
    # An import names its owner in the query: only admins may name another organisation.
    "POST /api/v1/standards/imports/{source}": {
        "who": "sme2",
        "url": "/api/v1/standards/imports/aas?model_id=sec-import&owner_org_id=org-vendor-1",
        "json": {"modelType": "Submodel", "idShort": "Intruder", "submodelElements": []},
        "refusals": {403},
    },
    # A model is a multipart upload (the generated attempt's JSON example is refused as malformed first).
    "PUT /api/v1/usecases/{case_id}/model": {
        "who": "sme2",
        "json": None,
        "files": {"file": ("model.onnx", window_mean(4), "application/octet-stream")},
        "data": {"signature": json.dumps(MODEL_SIGNATURE)},
        "refusals": {403, 404},
    },
    # The world's case has no model (an owner reading one: tests/services/usecases/test_case_models.py).
    "GET /api/v1/usecases/{case_id}/model": {"who": "sme2", "json": None, "refusals": {404}},
    "POST /api/v1/ingest/batches": {
        "who": "edge-gw-demo-2",
        "json": READING,
        "headers": {"X-Batch-Id": "sec-evil", "X-Factory-Id": "factory-sme-1-a"},
        "refusals": {403},
    },
}
# Endpoints whose tenancy needs lake data the security world does not hold (three machines of one model with
# readings, a trained model, a run): each is refused to other organisations by the test named, on the real
# servers with the tenancy code these endpoints share.
RUNS = "tests/catalog/test_ai_runs.py::test_nobody_but_the_sme_sees_its_runs_and_predictions"
DATASETS = "tests/catalog/datasets/test_datasets.py::"
COVERED_BY: dict[str, str] = {
    "POST /api/v1/analytics/ai-runs": RUNS,
    "GET /api/v1/analytics/ai-runs/{run_id}": RUNS,
    "GET /api/v1/analytics/ai-predictions": RUNS,
    "POST /api/v1/datasets": DATASETS + "test_only_your_own_factories",
    "POST /api/v1/datasets/{dataset_id}/versions": DATASETS + "test_only_your_own_factories",
    "POST /api/v1/datasets/{dataset_id}/licence-acceptance": DATASETS + "test_publish_download_and_audit",
    "GET /api/v1/datasets/{dataset_id}/versions/{version}/files/{name}": DATASETS
    + "test_publish_download_and_audit",
    "POST /api/v1/datasets/{dataset_id}/versions/{version}/claims": DATASETS
    + "test_a_claim_is_re_measured_and_ranked",
    # The world's record holds no document: another vendor, the SME that did not upload it, the agency.
    "DELETE /api/v1/deployments/{record_id}/documents/{document_id}": (
        "tests/services/deployments/test_document_removal.py::test_who_may_remove"
    ),
}
# Reads any signed-in user may make: the organisation directory, and a programme's applications, of which
# a company sees its own only (tests/services/companies/test_centres.py checks that filter).
SHARED_READS = {
    "GET /api/v1/identity/organisations/{org_id}",
    "GET /api/v1/companies/programmes/{programme_id}/applications",
}


def test_no_tenant_reaches_another_tenants_records(
    kc_client: TestClient, tokens: Tokens, tenants: list[Tenant], report: SecurityReport
) -> None:
    document = kc_client.get("/openapi.json").json()
    failures: list[str] = []
    counts: Counter[str] = Counter()
    resource_types: set[str] = set()
    uncovered: list[str] = []

    def attempt(
        endpoint: Endpoint, tenant: Tenant, url: str, params: dict[str, Any], body: Any, refusals: set[int]
    ) -> None:
        answer = kc_client.request(endpoint.method, url, params=params, json=body, headers=tenant.intruder)
        counts["cases"] += 1
        resource_types.add(resource_type(endpoint))
        if answer.status_code not in refusals:
            failures.append(
                f"{endpoint} as {tenant.intruder_name} on {tenant.org_id}'s: {url} answered "
                f"{answer.status_code}: {answer.text[:150]}"
            )

    for endpoint in endpoints(kc_client.app):  # type: ignore[arg-type]
        if not endpoint.reads_token or str(endpoint) in HAND_CASES:
            continue
        query = required_query(document, endpoint)
        reached = False
        for tenant in tenants:
            addressed = tenant.request(endpoint, query)
            if addressed is None:
                continue
            url, params = addressed
            if endpoint.path_params:
                reached = True
                if str(endpoint) in SHARED_READS:
                    continue
                counts["endpoints addressing a tenant's record"] += 1
                attempt(endpoint, tenant, url, params, body_example(document, endpoint), {403, 404})
                if endpoint.method == "GET":
                    control = kc_client.get(url, params=params, headers=tenant.owner)
                    counts["owner controls"] += 1
                    if control.status_code != 200:
                        failures.append(f"control: {endpoint} as the owner answered {control.status_code}")
            elif endpoint.method == "GET":
                reached = True
                counts["list endpoints"] += 1
                resource_types.add(resource_type(endpoint))
                answer = kc_client.get(url, params=params, headers=tenant.intruder)
                counts["cases"] += 1
                asked = {str(v) for v in params.values()}  # an answer may echo what it was asked
                leaked = {i for i in tenant.private - asked if i in answer.text}
                if answer.status_code >= 500 or leaked:
                    failures.append(
                        f"{endpoint} as {tenant.intruder_name} shows {leaked or answer.status_code}: "
                        f"{answer.text[:300]}"
                    )
            elif "owner_org_id" in (body_schema(document, endpoint) or {}).get("properties", {}):
                reached = True
                counts["creates naming an owner"] += 1
                body = {**(body_example(document, endpoint) or {}), "owner_org_id": tenant.org_id}
                attempt(endpoint, tenant, url, params, body, {403})
        if not reached and endpoint.protected and not endpoint.admin_only and str(endpoint) not in COVERED_BY:
            uncovered.append(str(endpoint))

    for name, case in HAND_CASES.items():
        method, path = name.split(" ", 1)
        who = tokens.headers(case["who"])
        answer = kc_client.request(
            method,
            case.get("url", path).format(**tenants[0].values),
            json=case["json"],
            files=case.get("files"),
            data=case.get("data"),
            headers={**who, **case.get("headers", {})},
        )
        counts["hand cases"] += 1
        if answer.status_code not in case["refusals"]:
            failures.append(f"{name} as {case['who']} answered {answer.status_code}: {answer.text[:150]}")

    report.add(
        "cross-tenant attempts (test_cross_tenant.py)",
        **dict(counts),
        resource_types=len(resource_types),
        which="; ".join(sorted(resource_types)),
    )
    assert not uncovered, (
        "endpoints no cross-tenant case reaches; give their tenant ids a value in the tenants fixture "
        f"or add a HAND_CASES entry: {uncovered}"
    )
    assert not failures, "\n".join(failures)


def test_vendor_sees_consented_data_only_through_consent(
    kc_client: TestClient, tokens: Tokens, tenants: list[Tenant]
) -> None:
    consent = tenants[0].values["consent_id"]
    check = f"{ID}/consents/check?owner_org_id=org-sme-1&grantee_org_id=org-vendor-1&scope=telemetry"
    readings = "/api/v1/analytics/readings?factory_id=factory-sme-1-a"
    analytics = "/api/v1/analytics/readings" in kc_client.get("/openapi.json").json()["paths"]
    vendor, sme1 = tokens.headers("vendor1"), tokens.headers("sme1")
    assert kc_client.get(check, headers=vendor).json()["granted"] is True
    assert kc_client.get(f"{ID}/consents/{consent}", headers=vendor).status_code == 200
    if analytics:  # the consent opens the SME's telemetry to the vendor...
        shared = kc_client.get(readings, headers=vendor)
        assert shared.status_code == 200 and "eq-sec-victim" in shared.text, shared.text
    assert kc_client.delete(f"{ID}/consents/{consent}", headers=vendor).status_code == 403
    assert kc_client.delete(f"{ID}/consents/{consent}", headers=sme1).status_code == 200
    assert kc_client.get(check, headers=vendor).json()["granted"] is False
    if analytics:  # ...until it is revoked
        closed = kc_client.get(readings, headers=vendor)
        assert closed.status_code == 403, closed.text
        assert "eq-sec-victim" in kc_client.get(readings, headers=sme1).text  # the owner still reads them


def test_a_gateway_uploads_only_for_its_factory(kc_client: TestClient, tokens: Tokens) -> None:
    def upload(who: str, factory: str) -> int:
        headers = {**tokens.headers(who), "X-Batch-Id": "b-x", "X-Factory-Id": factory}
        return kc_client.post("/api/v1/ingest/batches", json=READING, headers=headers).status_code

    assert upload("edge-gw-demo-2", "factory-sme-1-a") == 403
    assert upload("sme1", "factory-sme-1-a") == 403  # a person of the factory's organisation is no gateway
