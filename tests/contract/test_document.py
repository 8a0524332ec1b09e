"""The OpenAPI document says what the server does (services.kit.contract, services.kit.raises)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _responses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_error_statuses_follow_the_code_of_each_route(document: dict[str, Any]) -> None:
    # Raised in the service a route calls (Conflict in services.standards.service).
    assert "409" in _responses(document, "post", "/api/v1/standards/{model_id}/versions/{version}/publish")
    # Raised by the client of another service (services.kit.clients) that checks the references.
    assert "503" in _responses(document, "post", "/api/v1/usecases")
    # An If-Match precondition, an upload's limits.
    assert "412" in _responses(document, "patch", "/api/v1/deployments/{record_id}")
    assert {"413", "415"} <= _responses(document, "post", "/api/v1/ingest/batches")
    # A read that raises none of them does not list them.
    assert not {"409", "412", "503"} & _responses(document, "get", "/api/v1/reference/regions")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "{" not in path or "404" in codes, f"{method} {path}"
            assert "cursor" not in names or "400" in codes, f"{method} {path}"
            assert "requestBody" not in operation or {"400", "422"} <= codes, f"{method} {path}"


def test_a_patch_field_is_nullable_only_where_null_clears_it(document: dict[str, Any]) -> None:
    patch = document["components"]["schemas"]["CompanyPatch"]["properties"]
    assert "anyOf" not in patch["growth_stage"] and "null" not in str(patch["growth_stage"])
    assert {"type": "null"} in patch["address"]["anyOf"]  # clearable


def test_create_operations_link_to_what_they_created(document: dict[str, Any]) -> None:
    links = document["paths"]["/api/v1/deployments"]["post"]["responses"]["201"]["links"]
    detail = document["paths"]["/api/v1/deployments/{record_id}"]["get"]["operationId"]
    assert links[detail] == {"operationId": detail, "parameters": {"record_id": "$response.body#/id"}}
    nested = document["paths"]["/api/v1/standards/{model_id}/versions"]["post"]["responses"]["201"]["links"]
    version = document["paths"]["/api/v1/standards/{model_id}/versions/{version}"]["get"]["operationId"]
    assert nested[version]["parameters"] == {
        "model_id": "$request.path.model_id",
        "version": "$response.body#/version",
    }


def test_code_lists_are_enums_and_the_dev_issuer_is_not_in_the_contract(document: dict[str, Any]) -> None:
    industries = document["components"]["schemas"]["ModelCreate"]["properties"]["industries"]
    assert "C29" in industries["items"]["enum"] and industries["uniqueItems"] is True
    assert not [path for path in document["paths"] if path.startswith("/dev-oidc")]
