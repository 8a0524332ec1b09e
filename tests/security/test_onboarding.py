"""Onboarding through the API against the real Keycloak admin API, as docs/identity.md tells it: an admin
creates an organisation and its user, the user signs in at Keycloak, registers a gateway client for its
factory, the gateway gets tokens from Keycloak and uploads; its secret is rotated, then it is disabled.
Every step is in the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import company_body, model_body
from tests.security.conftest import API_CLIENT, TOKEN_URL, Tokens, master_admin

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

ID = "/api/v1/identity"


def keycloak_token_answer(**form: str) -> httpx.Response:
    return httpx.post(TOKEN_URL, data=form, timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def names() -> Iterator[dict[str, str]]:
    """Unique names in the shared realm; whatever the test created there is deleted afterwards."""
    suffix = uuid.uuid4().hex[:6]
    made = {
        "org": f"org-sme-onb-{suffix}",
        "user": f"onb-{suffix}",
        "factory": f"factory-onb-{suffix}",
        "client": f"edge-onb-{suffix}",
    }
    yield made
    admin = master_admin()
    for user in admin.get_users({"username": made["user"], "exact": True}):
        admin.delete_user(user["id"])
    client_uuid = admin.get_client_id(made["client"])
    if client_uuid:
        admin.delete_client(client_uuid)


def test_onboarding_with_the_keycloak_admin_api(
    kc_client: TestClient, tokens: Tokens, names: dict[str, str]
) -> None:
    c = kc_client
    admin = tokens.headers("admin1")
    org, username, factory, client_id = names["org"], names["user"], names["factory"], names["client"]

    # 1. The admin creates the organisation and its first user (in Keycloak, with role and org_id).
    created = c.post(
        f"{ID}/organisations", json={"id": org, "kind": "sme", "name": {"ko": "온보딩"}}, headers=admin
    )
    assert created.status_code == 201, created.text
    user = {
        "username": username,
        "password": "Onboard-2025-pass!",
        "role": "sme",
        "email": f"{username}@onboarding.example",
        "first_name": "민준",
        "last_name": "김",
    }
    assert (
        c.post(f"{ID}/organisations/{org}/users", json=user, headers=tokens.headers("sme1")).status_code
        == 403
    )
    made = c.post(f"{ID}/organisations/{org}/users", json=user, headers=admin)
    assert made.status_code == 201, made.text
    assert master_admin().get_user(made.json()["id"])["username"] == username
    assert c.post(f"{ID}/organisations/{org}/users", json=user, headers=admin).status_code == 409

    # 2. The user signs in at Keycloak; the platform reads role and organisation from the token.
    login = keycloak_token_answer(
        grant_type="password", username=username, password=user["password"], **API_CLIENT
    )
    assert login.status_code == 200, login.text
    person = bearer(login.json()["access_token"])
    me = c.get(f"{ID}/me", headers=person).json()
    assert (me["username"], me["roles"], me["org_id"]) == (username, ["sme"], org)
    assert me["organisation"]["id"] == org

    # 3. It registers its company and factory, and a gateway client for the factory (a Keycloak client).
    company = company_body(company_id=org, kind="sme", brn_first9="123456789")
    assert c.post("/api/v1/companies", json=company, headers=person).status_code == 201
    site = {"id": factory, "name": "온보딩 공장", "region_code": "48", "industry_code": "C29"}
    assert c.post(f"/api/v1/companies/{org}/factories", json=site, headers=person).status_code == 201
    url = f"{ID}/organisations/{org}/gateway-clients"
    registered = c.post(url, json={"factory_id": factory, "client_id": client_id}, headers=person)
    assert registered.status_code == 201, registered.text
    creds = registered.json()
    assert creds["token_endpoint"] == TOKEN_URL and creds["factory_id"] == factory

    # 4. The gateway gets a token from Keycloak and uploads for its factory, and only for it.
    def gateway_token(secret: str) -> httpx.Response:
        return keycloak_token_answer(
            grant_type="client_credentials", client_id=client_id, client_secret=secret
        )

    issued = gateway_token(creds["client_secret"])
    assert issued.status_code == 200, issued.text
    gateway = bearer(issued.json()["access_token"])
    me = c.get(f"{ID}/me", headers=gateway).json()
    assert (me["roles"], me["org_id"], me["factory_id"], me["client_id"]) == (
        ["gateway"],
        org,
        factory,
        client_id,
    )

    vendor1 = tokens.headers("vendor1")
    assert (
        c.post("/api/v1/standards", json=model_body(model_id="cnc-lathe"), headers=vendor1).status_code == 201
    )
    assert c.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    reading: dict[str, Any] = {
        "equipment_id": "eq-onb-01",
        "model_id": "cnc-lathe",
        "model_version": "1.0.0",
        "item_id": "spindle_speed",
        "ts": "2025-11-24T09:00:00+09:00",
        "value": 1200.5,
        "unit": "rpm",
    }

    def upload(headers: dict[str, str], factory_id: str, batch: str) -> httpx.Response:
        return c.post(
            "/api/v1/ingest/batches",
            json={"readings": [reading]},
            headers={**headers, "X-Batch-Id": batch, "X-Factory-Id": factory_id},
        )

    accepted = upload(gateway, factory, "onb-1")
    assert accepted.status_code == 202, accepted.text
    assert (accepted.json()["accepted"], accepted.json()["rejected"]) == (1, 0)
    assert upload(gateway, "factory-sme-1-a", "onb-2").status_code == 403

    # 5. Rotation: the old secret stops working at once, the new one works.
    assert c.post(f"{url}/{client_id}/rotate-secret", headers=tokens.headers("sme2")).status_code == 403
    rotated = c.post(f"{url}/{client_id}/rotate-secret", headers=person)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret != creds["client_secret"]
    assert gateway_token(creds["client_secret"]).status_code == 401
    assert gateway_token(new_secret).status_code == 200

    # 6. Disabled: Keycloak gives the client no more tokens.
    disabled = c.post(f"{url}/{client_id}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert gateway_token(new_secret).status_code in (400, 401)

    # 7. The audit log shows who did each write.
    def audit(**params: str) -> list[dict[str, Any]]:
        answer = c.get(f"{ID}/audit", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    (user_row,) = audit(resource_type="idn_users")
    assert user_row["actor_username"] == "admin1" and user_row["after"]["username"] == username
    client_rows = audit(resource_type="idn_gateway_clients", resource_id=client_id)
    assert [(r["action"], r["actor_username"]) for r in client_rows] == [
        ("create", username),
        ("update", username),  # rotation
        ("update", "admin1"),  # disabled
    ]
    assert client_rows[1]["after"]["secret_rotated_at"].startswith("20")  # a time, not a secret: not masked
    assert client_rows[2]["before"] == {"enabled": True} and client_rows[2]["after"] == {"enabled": False}
    batches = audit(actor=f"service-account-{client_id}")
    assert batches and all(r["actor_client_id"] == client_id for r in batches)
    assert c.get(f"{ID}/audit", headers=person).status_code == 403
