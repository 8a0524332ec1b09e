"""Every route declares the errors it answers (``services.kit.contract.answers``), and answers them.

The contract suite (``test_schemathesis.py``) fails on a status answered but not documented; here each
``/api/`` route must have declared at all, in one place, and routes driven into their own errors (those the
route table does not imply) must answer exactly the status they declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.kit.contract import declared_errors, operations
from tests.conftest import Auth
from tests.factories import register_factory


def _endpoint(app: FastAPI, method: str, path: str) -> Any:
    found = [o.route.endpoint for o in operations(app) if (o.method, o.path) == (method, path)]
    assert len(found) == 1, f"{method} {path}"
    return found[0]


def test_every_api_route_declares_its_errors_in_one_place(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    api = [o for o in operations(app) if o.path.startswith("/api/")]
    assert len(api) > 150
    undeclared = [f"{o.method} {o.path}" for o in api if declared_errors(o.route.endpoint) is None]
    assert not undeclared, f"declare with @answers(...) (or @answers() for none): {undeclared}"
    # Not also in responses=: the route's own errors are said once, by @answers.
    twice = [f"{o.method} {o.path}" for o in api if any(str(c)[0] in "45" for c in o.route.responses)]
    assert not twice, twice


def test_a_declaration_is_documented_with_its_meaning(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    publish = document["paths"]["/api/v1/usecases/{case_id}/publish"]["post"]["responses"]
    assert publish["409"]["description"] == "already published"
    assert publish["409"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
    }
    # A declared 403 keeps its meaning and names the roles the route table requires.
    designations = document["paths"]["/api/v1/companies/{company_id}/designations"]["post"]["responses"]
    assert designations["403"]["description"] == (
        "another organisation's application, or a missing role; requires role vendor (admins always)"
    )
    # A route that declared none documents only what its route table implies.
    regions = document["paths"]["/api/v1/reference/regions"]["get"]["responses"]
    assert sorted(regions) == ["200", "429"]


@dataclass(frozen=True)
class Provoked:
    """A request that drives a route into one of its own errors, and the status it must answer."""

    method: str
    path: str  # the route's template
    url: str
    status: int
    roles: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None


PROVOKED = [
    Provoked(
        "POST",
        "/api/v1/standards/imports/{source}",
        "/api/v1/standards/imports/aas?model_id=robot-arm-x",
        400,
        ("admin",),
        {"org_id": "org-operator"},
        {"Content-Type": "application/json"},
        content=b'{"assetAdministrationShells": [',
    ),
    Provoked(
        "GET",
        "/api/v1/analytics/readings",
        "/api/v1/analytics/readings?factory_id=factory-sme-1-a&from=2025-11-25T00:00:00Z"
        "&to=2025-11-24T00:00:00Z",
        400,
        ("admin",),
    ),
    Provoked(
        "GET",
        "/api/v1/identity/consents/check",
        "/api/v1/identity/consents/check?owner_org_id=org-sme-1&grantee_org_id=org-vendor-1&scope=telemetry",
        403,
        ("vendor",),
        {"org_id": "org-vendor-2"},
    ),
    Provoked("GET", "/api/v1/identity/consents", "/api/v1/identity/consents", 403, ("vendor",)),
    Provoked(
        "GET",
        "/api/v1/companies/{company_id}/factories",
        "/api/v1/companies/org-sme-1/factories",
        403,
        ("vendor",),
        {"org_id": "org-vendor-2"},
    ),
    Provoked(
        "POST",
        "/api/v1/ingest/batches",
        "/api/v1/ingest/batches",
        415,
        ("gateway",),
        {"org_id": "org-sme-1", "factory_id": "factory-sme-1-a"},
        {"Content-Type": "text/plain", "X-Batch-Id": "b-1", "X-Factory-Id": "factory-sme-1-a"},
        b"spindle_speed=1200",
    ),
]


@pytest.mark.parametrize("case", PROVOKED, ids=[f"{c.status} {c.method} {c.path}" for c in PROVOKED])
def test_a_route_answers_the_errors_it_declares(client: TestClient, auth: Auth, case: Provoked) -> None:
    register_factory(client, auth("admin"))
    headers = {**auth(*case.roles, **case.claims), **case.headers}
    answer = client.request(case.method, case.url, headers=headers, content=case.content)
    assert answer.status_code == case.status, answer.text
    declared = declared_errors(_endpoint(client.app, case.method, case.path))  # type: ignore[arg-type]
    assert declared is not None and case.status in declared
