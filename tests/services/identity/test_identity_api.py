"""The identity service in the embedded topology: onboarding, gateway clients, consents, audit, /me."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.identity import demo
from tests.conftest import Auth
from tests.factories import company_body

API = "/api/v1/identity"
REALM = Path(__file__).parents[3] / "infra" / "keycloak" / "realm.json"


def login(client: TestClient, username: str, password: str | None = None) -> dict[str, str]:
    answer = client.post(
        "/dev-oidc/token",
        data={
            "grant_type": "password",
            "client_id": "smartmfg-api",
            "username": username,
            "password": password or f"{username}-pass",
        },
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def gateway_token(client: TestClient, client_id: str, secret: str) -> Any:
    return client.post(
        "/dev-oidc/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def make_factory(client: TestClient, headers: dict[str, str], *, org_id: str, factory_id: str) -> None:
    brn = {"org-sme-1": "123456789", "org-sme-2": "220816251"}[org_id]
    body = company_body(company_id=org_id, kind="sme", brn_first9=brn)
    assert client.post("/api/v1/companies", json=body, headers=headers).status_code == 201
    factory = {"id": factory_id, "name": "제1공장", "region_code": "48", "industry_code": "C29"}
    answer = client.post(f"/api/v1/companies/{org_id}/factories", json=factory, headers=headers)
    assert answer.status_code == 201, answer.text


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return login(client, "admin1")


def test_demo_identities_are_those_of_the_keycloak_realm() -> None:
    realm = json.loads(REALM.read_text())
    roles = {"admin", "sme", "vendor", "public", "gateway", "agency", "evaluator"}
    users = {
        (u["username"], next(r for r in u["realmRoles"] if r in roles), u["attributes"]["org_id"][0])
        for u in realm["users"]
        if "attributes" in u
    }
    assert users == {(u.username, u.role, u.org_id) for u in demo.USERS}
    secrets = {u["username"]: u["credentials"][0]["value"] for u in realm["users"] if "credentials" in u}
    assert secrets == {u.username: u.password for u in demo.USERS}
    gateways = {
        (c["clientId"], c["secret"], *(m["config"]["claim.value"] for m in c["protocolMappers"]))
        for c in realm["clients"]
        if c["clientId"].startswith("edge-gw-")
    }
    assert gateways == {(g.client_id, g.secret, g.org_id, g.factory_id) for g in demo.GATEWAYS}


def test_me_reads_the_token(client: TestClient) -> None:
    me = client.get(f"{API}/me", headers=login(client, "sme2")).json()
    assert (me["username"], me["roles"], me["org_id"]) == ("sme2", ["sme"], "org-sme-2")
    assert me["organisation"]["kind"] == "sme" and me["subject"] == "dev-user-sme2"
    assert client.get(f"{API}/me").status_code == 401


def test_organisations_are_created_by_admins(client: TestClient, admin: dict[str, str]) -> None:
    body = {"id": "org-sme-7", "kind": "sme", "name": {"ko": "대성정밀(주)", "en": "Daesung"}}
    assert client.post(f"{API}/organisations", json=body, headers=login(client, "sme1")).status_code == 403
    created = client.post(f"{API}/organisations", json=body, headers=admin)
    assert created.status_code == 201 and created.json()["name"]["ko"] == "대성정밀(주)"
    assert client.post(f"{API}/organisations", json=body, headers=admin).status_code == 409
    bad = client.post(f"{API}/organisations", json={**body, "kind": "bank"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "body.kind"
    smes = client.get(f"{API}/organisations", params={"kind": "sme", "limit": 2}, headers=admin).json()
    assert [o["id"] for o in smes["items"]] == ["org-sme-1", "org-sme-2"] and smes["next_cursor"]
    rest = client.get(
        f"{API}/organisations", params={"kind": "sme", "cursor": smes["next_cursor"]}, headers=admin
    ).json()
    assert [o["id"] for o in rest["items"]] == ["org-sme-7"]
    assert client.get(f"{API}/organisations/org-nope", headers=admin).status_code == 404


def test_admin_creates_a_user_who_can_sign_in(client: TestClient, admin: dict[str, str]) -> None:
    body = {
        "username": "kim.minjun",
        "password": "Temp-2025-pass!",
        "role": "sme",
        "email": "minjun@daesung.example",
        "first_name": "민준",
        "last_name": "김",
    }
    url = f"{API}/organisations/org-sme-1/users"
    assert client.post(url, json=body, headers=login(client, "sme1")).status_code == 403
    wrong_role = client.post(url, json={**body, "role": "vendor"}, headers=admin)
    assert wrong_role.status_code == 422 and wrong_role.json()["fields"][0]["loc"] == "body.role"
    short = client.post(url, json={**body, "password": "short"}, headers=admin)
    assert short.status_code == 422 and short.json()["fields"][0]["loc"] == "body.password"
    created = client.post(url, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert "password" not in created.json() and created.json()["org_id"] == "org-sme-1"
    assert client.post(url, json=body, headers=admin).status_code == 409
    assert client.post(f"{API}/organisations/org-nope/users", json=body, headers=admin).status_code == 404
    me = client.get(f"{API}/me", headers=login(client, "kim.minjun", "Temp-2025-pass!")).json()
    assert (me["org_id"], me["roles"]) == ("org-sme-1", ["sme"])
    listed = client.get(url, headers=login(client, "sme1")).json()["items"]
    assert [u["username"] for u in listed] == ["kim.minjun", "sme1"]
    assert client.get(url, headers=login(client, "sme2")).status_code == 403


def test_gateway_client_lifecycle(client: TestClient, admin: dict[str, str]) -> None:
    sme1 = login(client, "sme1")
    make_factory(client, sme1, org_id="org-sme-1", factory_id="factory-sme-1-b")
    url = f"{API}/organisations/org-sme-1/gateway-clients"
    unknown = client.post(url, json={"factory_id": "factory-sme-9-z"}, headers=sme1)
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"] == "body.factory_id"
    assert (
        client.post(url, json={"factory_id": "factory-sme-1-b"}, headers=login(client, "sme2")).status_code
        == 403
    )
    assert (
        client.post(url, json={"factory_id": "factory-sme-1-b"}, headers=login(client, "vendor1")).status_code
        == 403
    )

    registered = client.post(
        url, json={"factory_id": "factory-sme-1-b", "client_id": "gw-line-b"}, headers=sme1
    )
    assert registered.status_code == 201, registered.text
    creds = registered.json()
    assert creds["token_endpoint"] == "http://testserver/dev-oidc/token"
    assert (
        client.post(
            url, json={"factory_id": "factory-sme-1-b", "client_id": "gw-line-b"}, headers=sme1
        ).status_code
        == 409
    )

    token = gateway_token(client, "gw-line-b", creds["client_secret"])
    assert token.status_code == 200
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()
    assert (me["roles"], me["org_id"], me["factory_id"], me["client_id"]) == (
        ["gateway"],
        "org-sme-1",
        "factory-sme-1-b",
        "gw-line-b",
    )

    rotated = client.post(f"{url}/gw-line-b/rotate-secret", headers=admin)
    assert rotated.status_code == 200 and rotated.json()["client_secret"] != creds["client_secret"]
    assert gateway_token(client, "gw-line-b", creds["client_secret"]).status_code == 401
    assert gateway_token(client, "gw-line-b", rotated.json()["client_secret"]).status_code == 200
    assert client.post(f"{url}/gw-line-b/rotate-secret", headers=login(client, "sme2")).status_code == 403
    assert client.post(f"{url}/gw-nope/rotate-secret", headers=sme1).status_code == 404

    listed = client.get(url, params={"factory_id": "factory-sme-1-b"}, headers=sme1).json()["items"]
    assert [(c["client_id"], c["enabled"]) for c in listed] == [("gw-line-b", True)]
    assert client.get(url, headers=login(client, "sme2")).status_code == 403

    disabled = client.post(f"{url}/gw-line-b/disable", headers=sme1)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert gateway_token(client, "gw-line-b", rotated.json()["client_secret"]).status_code == 401
    assert client.post(f"{url}/gw-line-b/disable", headers=sme1).status_code == 409


def test_consents(client: TestClient, admin: dict[str, str]) -> None:
    sme1, sme2, vendor = login(client, "sme1"), login(client, "sme2"), login(client, "vendor1")
    body = {"grantee_org_id": "org-vendor-1", "scope": "telemetry", "factory_id": "factory-sme-1-a"}
    assert client.post(f"{API}/consents", json=body, headers=vendor).status_code == 403
    not_vendor = client.post(f"{API}/consents", json={**body, "grantee_org_id": "org-sme-2"}, headers=sme1)
    assert not_vendor.status_code == 422 and not_vendor.json()["fields"][0]["loc"] == "body.grantee_org_id"
    on_behalf = client.post(f"{API}/consents", json={**body, "owner_org_id": "org-sme-2"}, headers=sme1)
    assert on_behalf.status_code == 403
    granted = client.post(f"{API}/consents", json=body, headers=sme1)
    assert granted.status_code == 201 and granted.json()["owner_org_id"] == "org-sme-1"
    assert client.post(f"{API}/consents", json=body, headers=sme1).status_code == 409

    check = {"owner_org_id": "org-sme-1", "grantee_org_id": "org-vendor-1", "scope": "telemetry"}
    answer = client.get(
        f"{API}/consents/check", params={**check, "factory_id": "factory-sme-1-a"}, headers=vendor
    )
    assert answer.json() == {"granted": True, "consent_id": granted.json()["id"]}
    # A one-factory consent does not open the other factories, nor another scope.
    assert client.get(f"{API}/consents/check", params=check, headers=vendor).json()["granted"] is False
    assert (
        client.get(f"{API}/consents/check", params={**check, "scope": "deployments"}, headers=vendor).json()[
            "granted"
        ]
        is False
    )
    assert client.get(f"{API}/consents/check", params=check, headers=sme2).status_code == 403

    assert [c["id"] for c in client.get(f"{API}/consents", headers=vendor).json()["items"]] == [
        granted.json()["id"]
    ]
    assert client.get(f"{API}/consents", headers=sme2).json()["items"] == []
    consent_url = f"{API}/consents/{granted.json()['id']}"
    assert client.get(consent_url, headers=sme2).status_code == 404
    assert client.delete(consent_url, headers=sme2).status_code == 403
    revoked = client.delete(consent_url, headers=sme1)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.delete(consent_url, headers=sme1).status_code == 409
    assert (
        client.get(
            f"{API}/consents/check", params={**check, "factory_id": "factory-sme-1-a"}, headers=vendor
        ).json()["granted"]
        is False
    )
    assert client.get(f"{API}/consents", params={"active": "true"}, headers=admin).json()["items"] == []


def test_every_write_is_audited_with_its_actor(client: TestClient, admin: dict[str, str]) -> None:
    sme1 = login(client, "sme1")
    make_factory(client, sme1, org_id="org-sme-1", factory_id="factory-sme-1-b")
    patched = client.patch("/api/v1/companies/org-sme-1", json={"employees": 92}, headers=sme1)
    assert patched.status_code == 200
    client.post(
        f"{API}/organisations/org-sme-1/gateway-clients", json={"factory_id": "factory-sme-1-b"}, headers=sme1
    )

    entries = client.get(
        f"{API}/audit", params={"resource_type": "co_companies", "actor": "sme1"}, headers=admin
    ).json()["items"]
    assert [e["action"] for e in entries] == ["create", "update"]
    create, update = entries
    assert (
        create["resource_id"] == "org-sme-1"
        and create["after"]["region_code"] == company_body()["region_code"]
    )
    assert update["before"]["employees"] != 92 and update["after"]["employees"] == 92
    assert update["actor_org_id"] == "org-sme-1" and update["request"] == "PATCH /api/v1/companies/org-sme-1"
    assert create["actor_subject"] == "dev-user-sme1"

    secrets = client.get(
        f"{API}/audit", params={"resource_type": "idn_dev_credentials"}, headers=admin
    ).json()
    registered = [e for e in secrets["items"] if e["actor_username"] == "sme1"]
    assert len(registered) == 1 and registered[0]["after"]["secret_hash"] == "***"

    first = client.get(f"{API}/audit", params={"limit": 1}, headers=admin).json()
    assert first["items"][0]["actor_subject"] == "system"  # the demo seed at start-up
    later = client.get(f"{API}/audit", params={"since": "2999-01-01T00:00:00Z"}, headers=admin).json()
    assert later["items"] == []
    naive = client.get(f"{API}/audit", params={"since": "2025-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422 and naive.json()["fields"][0]["loc"] == "query.since"
    assert client.get(f"{API}/audit", headers=sme1).status_code == 403


def test_the_audit_log_filters_by_action_and_end(client: TestClient, admin: dict[str, str]) -> None:
    sme1 = login(client, "sme1")
    make_factory(client, sme1, org_id="org-sme-1", factory_id="factory-sme-1-b")
    patched = client.patch("/api/v1/companies/org-sme-1", json={"employees": 92}, headers=sme1)
    assert patched.status_code == 200
    mine = {"resource_type": "co_companies", "actor": "sme1"}
    create, update = client.get(f"{API}/audit", params=mine, headers=admin).json()["items"]

    updates = client.get(f"{API}/audit", params={**mine, "action": "update"}, headers=admin).json()["items"]
    assert [(e["action"], e["id"]) for e in updates] == [("update", update["id"])]
    until = client.get(f"{API}/audit", params={**mine, "until": update["at"]}, headers=admin).json()["items"]
    assert [e["id"] for e in until] == [create["id"]], "the end is exclusive"
    window = {**mine, "since": create["at"], "until": "2999-01-01T00:00:00Z", "action": "create"}
    assert [e["id"] for e in client.get(f"{API}/audit", params=window, headers=admin).json()["items"]] == [
        create["id"]
    ]

    unknown = client.get(f"{API}/audit", params={"action": "rename"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"] == "query.action"
    backwards_period = {"since": "2026-12-07T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    backwards = client.get(f"{API}/audit", params=backwards_period, headers=admin)
    assert backwards.status_code == 422
    assert [f["loc"] for f in backwards.json()["fields"]] == ["query.until"]
    same = client.get(f"{API}/audit", params={"since": update["at"], "until": update["at"]}, headers=admin)
    assert same.status_code == 422, "an empty period is refused, not answered with nothing"
    korean = client.get(f"{API}/audit", params={"until": "2026-12-01T00:00:00", "lang": "ko"}, headers=admin)
    assert korean.status_code == 422 and korean.json()["fields"] == [
        {"loc": "query.until", "msg": "시간대를 붙이세요(예: +09:00 또는 Z)"}
    ]


def test_a_failed_request_leaves_no_audit_trail(
    client: TestClient, admin: dict[str, str], auth: Auth
) -> None:
    before = len(client.get(f"{API}/audit", params={"limit": 200}, headers=admin).json()["items"])
    body = {"id": "org-sme-1", "kind": "sme", "name": {"ko": "중복"}}
    assert client.post(f"{API}/organisations", json=body, headers=admin).status_code == 409
    after = len(client.get(f"{API}/audit", params={"limit": 200}, headers=admin).json()["items"])
    assert after == before


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_values_the_database_cannot_store_are_refused_not_crashed_on(
    client: TestClient, admin: dict[str, str]
) -> None:
    """PostgreSQL refuses NUL characters in text: the answer is 422 (services.kit.errors), never a 500."""
    answer = client.get(f"{API}/audit", params={"actor": "sme1\x00"}, headers=admin)
    assert answer.status_code == 422 and answer.json()["error"] == "ValidationFailed"
    assert "std_" not in answer.text and "idn_" not in answer.text  # the database's message stays in the log
