"""Keycloak is real and the `smartmfg` realm (infra/keycloak/realm.json) is what the platform relies on."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from .conftest import KEYCLOAK_REALM, KEYCLOAK_URL, Server

REALM_URL = f"{KEYCLOAK_URL}/realms/{KEYCLOAK_REALM}"
API_CLIENT = ("smartmfg-api", "smartmfg-api-secret")


@pytest.fixture
def oidc(keycloak_server: Server) -> dict[str, Any]:
    response = httpx.get(f"{REALM_URL}/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200, f"realm {KEYCLOAK_REALM} not served: {response.status_code}"
    return response.json()


def _token(oidc: dict[str, Any], **form: str) -> str:
    response = httpx.post(oidc["token_endpoint"], data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _verify(oidc: dict[str, Any], token: str) -> dict[str, Any]:
    """Signature (RS256, key from the JWKS), issuer, audience and expiry, as the platform checks them."""
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    key = jwt.PyJWKClient(oidc["jwks_uri"]).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="smartmfg-api", issuer=oidc["issuer"])


def _aud(claims: dict[str, Any]) -> list[str]:
    aud = claims["aud"]
    return [aud] if isinstance(aud, str) else list(aud)


def test_discovery(oidc: dict[str, Any]) -> None:
    assert oidc["issuer"] == REALM_URL
    assert oidc["jwks_uri"].startswith(REALM_URL)
    assert "client_credentials" in oidc["grant_types_supported"]
    assert "RS256" in oidc["id_token_signing_alg_values_supported"]


@pytest.mark.parametrize(
    ("client_id", "org_id", "factory_id"),
    [("edge-gw-demo-1", "org-sme-1", "factory-sme-1-a"), ("edge-gw-demo-2", "org-sme-2", "factory-sme-2-a")],
)
def test_edge_gateway_client_credentials(
    oidc: dict[str, Any], client_id: str, org_id: str, factory_id: str
) -> None:
    token = _token(
        oidc, grant_type="client_credentials", client_id=client_id, client_secret=f"{client_id}-secret"
    )
    claims = _verify(oidc, token)
    assert claims["iss"] == REALM_URL
    assert "smartmfg-api" in _aud(claims)
    assert claims["azp"] == client_id
    assert claims["org_id"] == org_id
    assert claims["factory_id"] == factory_id
    assert "gateway" in claims["realm_access"]["roles"]
    assert claims["exp"] - claims["iat"] == 300


def test_edge_gateway_has_no_password_grant(oidc: dict[str, Any]) -> None:
    response = httpx.post(
        oidc["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "password",
            "client_id": "edge-gw-demo-1",
            "client_secret": "edge-gw-demo-1-secret",
            "username": "sme1",
            "password": "sme1-pass",
        },
    )
    assert response.status_code in (400, 401), response.text


def test_wrong_secret_is_refused(oidc: dict[str, Any]) -> None:
    response = httpx.post(
        oidc["token_endpoint"],
        timeout=10,
        data={"grant_type": "client_credentials", "client_id": "edge-gw-demo-1", "client_secret": "wrong"},
    )
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    ("username", "role", "org_id"),
    [
        ("admin1", "admin", "org-operator"),
        ("sme1", "sme", "org-sme-1"),
        ("sme2", "sme", "org-sme-2"),
        ("vendor1", "vendor", "org-vendor-1"),
    ],
)
def test_password_grant_users(oidc: dict[str, Any], username: str, role: str, org_id: str) -> None:
    token = _token(
        oidc,
        grant_type="password",
        client_id=API_CLIENT[0],
        client_secret=API_CLIENT[1],
        username=username,
        password=f"{username}-pass",
    )
    claims = _verify(oidc, token)
    assert claims["preferred_username"] == username
    assert claims["org_id"] == org_id
    assert role in claims["realm_access"]["roles"]
    assert claims["email_verified"] is True


@pytest.mark.parametrize(
    ("username", "role", "regions"),
    [
        ("agency1", "agency", ["48", "26", "31"]),
        ("evaluator1", "evaluator", None),
        ("evaluator2", "evaluator", None),
    ],
)
def test_reviewers_and_their_regions(oidc: dict[str, Any], username: str, role: str, regions: Any) -> None:
    """An agency reviewer's 시·도 arrive as a JSON array claim ``regions``; others carry no such claim."""
    token = _token(
        oidc,
        grant_type="password",
        client_id=API_CLIENT[0],
        client_secret=API_CLIENT[1],
        username=username,
        password=f"{username}-pass",
    )
    claims = _verify(oidc, token)
    assert role in claims["realm_access"]["roles"]
    assert claims.get("regions") == regions


def test_platform_service_account_onboards_an_organisation(oidc: dict[str, Any], unique: str) -> None:
    """smartmfg-api's service account manages users and clients through the admin API; a client created
    there gets the realm's default scopes, so its tokens carry aud=smartmfg-api as well."""
    admin_token = _token(
        oidc, grant_type="client_credentials", client_id=API_CLIENT[0], client_secret=API_CLIENT[1]
    )
    assert "admin" in _verify(oidc, admin_token)["realm_access"]["roles"]
    admin = httpx.Client(
        base_url=f"{KEYCLOAK_URL}/admin/realms/{KEYCLOAK_REALM}",
        timeout=10,
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    client_id, username = f"edge-gw-test-{unique}", f"user-{unique}"
    created_client = created_user = None
    try:
        r = admin.post(
            "/clients",
            json={
                "clientId": client_id,
                "publicClient": False,
                "serviceAccountsEnabled": True,
                "standardFlowEnabled": False,
                "directAccessGrantsEnabled": False,
            },
        )
        assert r.status_code == 201, r.text
        created_client = r.headers["Location"].rsplit("/", 1)[-1]
        secret = admin.get(f"/clients/{created_client}/client-secret").json()["value"]
        claims = _verify(
            oidc, _token(oidc, grant_type="client_credentials", client_id=client_id, client_secret=secret)
        )
        assert "smartmfg-api" in _aud(claims)

        r = admin.post(
            "/users",
            json={
                "username": username,
                "enabled": True,
                "email": f"{username}@example.org",
                "emailVerified": True,
                "firstName": "Test",
                "lastName": "User",
                "attributes": {"org_id": ["org-test"]},
                "credentials": [{"type": "password", "value": "pw-123456", "temporary": False}],
            },
        )
        assert r.status_code == 201, r.text
        created_user = r.headers["Location"].rsplit("/", 1)[-1]
        assert admin.get(f"/users/{created_user}").json()["attributes"]["org_id"] == ["org-test"]
        claims = _verify(
            oidc,
            _token(
                oidc,
                grant_type="password",
                client_id=API_CLIENT[0],
                client_secret=API_CLIENT[1],
                username=username,
                password="pw-123456",
            ),
        )
        assert claims["org_id"] == "org-test"
    finally:
        if created_user:
            admin.delete(f"/users/{created_user}")
        if created_client:
            admin.delete(f"/clients/{created_client}")
        admin.close()


def test_users_cannot_change_their_own_org_id(oidc: dict[str, Any]) -> None:
    """org_id is tenant identity: the user profile lets admins, not users, edit unmanaged attributes."""
    form = {
        "grant_type": "password",
        "client_id": API_CLIENT[0],
        "client_secret": API_CLIENT[1],
        "username": "sme2",
        "password": "sme2-pass",
    }
    headers = {"Authorization": f"Bearer {_token(oidc, **form)}", "Accept": "application/json"}
    account = httpx.Client(base_url=f"{REALM_URL}/account", headers=headers, timeout=10)
    try:
        me = account.get("/").json()
        me["attributes"] = {"org_id": ["org-sme-1"]}
        account.post("/", json=me)  # accepted or refused: either way org_id must not change
    finally:
        account.close()
    assert _verify(oidc, _token(oidc, **form))["org_id"] == "org-sme-2"
