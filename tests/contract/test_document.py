"""The OpenAPI document says what the server does (services.kit.contract: the route table and @answers).

The document depends on the code alone: the process's ``served`` app answers it, fetched once for the
module."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def document(served: TestClient) -> dict[str, Any]:
    answer = served.get("/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _responses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_error_statuses_are_the_declared_and_the_implied_ones(document: dict[str, Any]) -> None:
    # Declared by the route: a state the service refuses, another service unreachable.
    assert "409" in _responses(document, "post", "/api/v1/standards/{model_id}/versions/{version}/publish")
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


def test_lists_document_the_shape_of_their_cursor(document: dict[str, Any]) -> None:
    # What services.kit.pagination mints: unpadded URL-safe base64 of a JSON array (so "W" first).
    pattern = "^W[A-Za-z0-9_-]{3}(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"
    for path in ("/api/v1/usecases", "/api/v1/usecases/search", "/api/v1/analytics/readings"):
        (cursor,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "cursor"]
        assert cursor["schema"]["pattern"] == pattern, path
        assert cursor["schema"]["type"] == "string" and "anyOf" not in cursor["schema"], path


def test_if_match_is_an_entity_tag_and_never_null(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/api/v1/deployments/{record_id}"]["patch"]["parameters"]
    (if_match,) = [p for p in parameters if p["name"] == "If-Match"]
    assert if_match["in"] == "header" and if_match.get("required") is not True
    assert if_match["schema"]["pattern"] == '^(\\*|(W/)?"[!#-~]*")$'
    assert if_match["schema"]["type"] == "string" and "anyOf" not in if_match["schema"]
