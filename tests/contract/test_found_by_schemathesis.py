"""Server bugs schemathesis found (tests/contract/test_schemathesis.py), each pinned by a focused test."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body, usecase_body


def test_405_names_every_method_of_the_path(client: TestClient) -> None:
    # Each method of a path is a route of its own; Starlette's 405 named only those of the first one.
    answer = client.request("OPTIONS", "/api/v1/deployments/some-record")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, PATCH"
    # A fixed path next to a templated one: the methods of the path routing picks, not of its neighbour.
    answer = client.request("OPTIONS", "/api/v1/companies/registry")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"


def test_a_long_company_name_is_stored(client: TestClient, auth: Auth) -> None:
    # The search index joined both names (4000 characters each) into a 1000-character column: PostgreSQL
    # refused the valid request with 422.
    admin = auth("admin")
    assert client.post("/api/v1/companies", json=company_body(), headers=admin).status_code == 201
    name = {"ko": "한" * 4000, "en": "e" * 4000}
    answer = client.patch("/api/v1/companies/org-vendor-3", json={"name": name}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == name


def test_values_of_another_json_type_are_refused(client: TestClient, auth: Auth) -> None:
    # pydantic's lax mode read 0 as false, false as 0 and 0 as 1970-01-01: requests the schema refuses.
    admin = auth("admin")
    assert client.post("/api/v1/companies", json=company_body(), headers=admin).status_code == 201
    for field, value in (("employees", False), ("founded_year", True)):
        answer = client.patch("/api/v1/companies/org-vendor-3", json={field: value}, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["fields"][0]["loc"] == f"body.{field}"
    answer = client.post(
        "/api/v1/companies/org-vendor-3/overseas",
        json={"country": "VN", "partner": "Thanh Cong Textile JSC", "contract_krw": 1, "signed_on": 0},
        headers=admin,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"][0]["loc"] == "body.signed_on"
    for query in ("on=0", "on=1.5"):
        answer = client.get(f"/api/v1/companies/org-vendor-3/designation-status?{query}")
        assert answer.status_code == 422, answer.text
    assert client.get("/api/v1/companies/org-vendor-3/designation-status?on=2025-11-24").status_code == 200
    answer = client.get("/api/v1/identity/audit?since=0.5", headers=admin)
    assert answer.status_code == 422, answer.text


def test_a_case_citing_a_record_id_with_a_slash_is_refused_by_field(client: TestClient, auth: Auth) -> None:
    # The id went into the deployments path unquoted: "=/" became a redirect the server answered 500 to.
    vendor = auth("vendor", org_id="org-vendor-1")
    for record_id in ("=/", "a/b", "../x", "?q"):
        answer = client.post("/api/v1/usecases", json=usecase_body(deployment_id=record_id), headers=vendor)
        assert answer.status_code == 422, answer.text
        assert answer.json()["fields"][0]["loc"] == "body.deployment_id"


def test_an_if_match_that_is_no_entity_tag_is_refused_by_field(client: TestClient, auth: Auth) -> None:
    # The header was a plain string: "null" (a client's None) reached the version check and got 412.
    admin = auth("admin")
    for value in ("null", "3", "W/3"):
        answer = client.patch(
            "/api/v1/deployments/some-record", json={}, headers={**admin, "If-Match": value}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["fields"][0]["loc"] == "header.If-Match"


def test_a_cursor_of_the_documented_shape_that_no_list_minted_is_refused(client: TestClient) -> None:
    # Cursors were plain strings; now their shape is in the schema, but only the server knows positions.
    # [0] and three NUL bytes; bytes that are no JSON; [0], a cursor of another list (one key, not two)
    for cursor in ("WzBdAAAA", "WWWWWWWW", "WzBd", "garbage"):
        answer = client.get("/api/v1/usecases", params={"cursor": cursor})
        assert answer.status_code == 400, answer.text
        assert answer.json()["fields"][0]["loc"] == "query.cursor"
