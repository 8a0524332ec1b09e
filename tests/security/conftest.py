"""The platform against the real Keycloak realm ``smartmfg`` (infra/keycloak/realm.json).

Tokens of the realm's demo users and gateway come from Keycloak's token endpoint. To forge precisely
wrong tokens (expired, other issuer, other audience) that still carry a signature the realm vouches for,
the session registers a signing key of its own in the realm as a low-priority key provider: Keycloak keeps
signing with its own key, but publishes ours in its JWKS. The provider is removed at the end. Identities the
realm has no user for (a second vendor, a user holding only ``public``) are signed with that key too.

Each generated test adds what it covered to the session's ``SecurityReport``: it is printed at the end of
the run and written to ``build/security-coverage.json`` (``SMARTMFG_SECURITY_REPORT`` names another file;
tests/security/report.py).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

from platform_api.app import create_app
from services.kit.contract import operations
from services.kit.settings import PlatformSettings
from tests.security.report import REPORT, SecurityReport

KEYCLOAK_URL = os.environ.get("SMARTMFG_KEYCLOAK_URL", "http://127.0.0.1:58080")
REALM = "smartmfg"
ISSUER = f"{KEYCLOAK_URL}/realms/{REALM}"
TOKEN_URL = f"{ISSUER}/protocol/openid-connect/token"
API_CLIENT = {"client_id": "smartmfg-api", "client_secret": "smartmfg-api-secret"}
TOKEN_REUSE_S = 200  # Keycloak's access tokens live 300 s in this realm


@pytest.fixture(scope="session")
def report() -> SecurityReport:
    return REPORT


def keycloak_token(**form: str) -> str:
    try:
        answer = httpx.post(TOKEN_URL, data=form, timeout=10)
    except httpx.HTTPError as exc:
        pytest.fail(
            f"Keycloak is not reachable at {KEYCLOAK_URL} ({exc}); run `make infra-up`", pytrace=False
        )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


class Tokens:
    """Real Keycloak tokens of the realm's demo identities, fetched once and renewed before they expire."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, who: str) -> str:
        fetched, token = self._cache.get(who, (0.0, ""))
        if time.monotonic() - fetched > TOKEN_REUSE_S:
            if who.startswith("edge-gw-"):
                token = keycloak_token(
                    grant_type="client_credentials", client_id=who, client_secret=f"{who}-secret"
                )
            else:
                token = keycloak_token(
                    grant_type="password", username=who, password=f"{who}-pass", **API_CLIENT
                )
            self._cache[who] = (time.monotonic(), token)
        return token

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self(who)}"}


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


def master_admin() -> KeycloakAdmin:
    connection = KeycloakOpenIDConnection(
        server_url=KEYCLOAK_URL,
        username=os.environ.get("SMARTMFG_KEYCLOAK_ADMIN", "admin"),
        password=os.environ.get("SMARTMFG_KEYCLOAK_ADMIN_PASSWORD", "admin"),
        realm_name=REALM,
        user_realm_name="master",
        client_id="admin-cli",
    )
    return KeycloakAdmin(connection=connection)


@dataclass(frozen=True)
class RealmKey:
    """A signing key the realm publishes: tokens it signs pass the signature check, nothing else."""

    key: rsa.RSAPrivateKey
    kid: str

    def sign(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": ["smartmfg-api", "account"],
            "sub": f"forged-{uuid.uuid4().hex[:6]}",
            "azp": "smartmfg-api",
            "typ": "Bearer",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "realm_access": {"roles": ["admin"]},
            "org_id": "org-operator",
            "preferred_username": "forged",
        }
        claims.update(overrides)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def identity(self, username: str, roles: list[str], org_id: str | None) -> dict[str, str]:
        """Headers of a person the realm has no user for (a second vendor, a ``public``-only user)."""
        token = self.sign(
            sub=f"forged-{username}",
            preferred_username=username,
            realm_access={"roles": roles},
            org_id=org_id,
        )
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def published_key(admin: KeycloakAdmin, *, priority: int = -100) -> Iterator[RealmKey]:
    """A new RSA key in the realm's key providers (so in its JWKS), removed again on exit.

    With a priority below the realm's own key Keycloak never signs with it; it only vouches for it."""
    name = f"smartmfg-security-tests-{uuid.uuid4().hex[:8]}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    component = admin.create_component(
        {
            "name": name,
            "providerId": "rsa",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": admin.get_realm(REALM)["id"],
            "config": {
                "priority": [str(priority)],
                "enabled": ["true"],
                "active": ["true"],
                "algorithm": ["RS256"],
                "privateKey": [pem],
            },
        }
    )
    try:
        modulus = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)["n"]
        jwks = httpx.get(f"{ISSUER}/protocol/openid-connect/certs", timeout=10).json()
        kid = next(k["kid"] for k in jwks["keys"] if k.get("n") == modulus)
        yield RealmKey(key, kid)
    finally:
        admin.delete_component(component)


@pytest.fixture(scope="session")
def realm_key() -> Iterator[RealmKey]:
    with published_key(master_admin()) as key:
        yield key


@pytest.fixture
def keycloak_settings(settings: PlatformSettings, realm_key: RealmKey) -> PlatformSettings:
    """The embedded process, but tokens and the identity directory are Keycloak's.

    The anonymous rate limit is lifted: the matrix sends hundreds of bad-token requests from one address
    (tests/security/test_rate_limits.py tests the limits)."""
    return settings.replaced(oidc={"issuer": ISSUER}, rate_limit={"public_per_minute": 0})


@pytest.fixture
def kc_client(keycloak_settings: PlatformSettings) -> Iterator[TestClient]:
    with TestClient(create_app(keycloak_settings)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    protected: bool  # depends on current_principal: a token is required
    reads_token: bool  # depends on optional_principal or current_principal: a sent token is verified
    role_sets: tuple[frozenset[str], ...]  # each require_roles(...) on the way: one role of each is needed

    def url(self) -> str:
        return self.path.replace("{", "").replace("}", "-sec-test").replace(":path", "")

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::path)?}", self.path)

    @property
    def admin_only(self) -> bool:
        return any(roles == {"admin"} for roles in self.role_sets)

    def allows(self, roles: set[str]) -> bool:
        """Whether a principal holding ``roles`` passes the route's role checks (admins pass all)."""
        return "admin" in roles or all(roles & needed for needed in self.role_sets)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every operation of the route table, classified by its dependencies (services.kit.contract)."""
    return [Endpoint(o.method, o.path, o.protected, o.reads_token, o.role_sets) for o in operations(app)]


def operation(document: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = document["paths"][endpoint.path][endpoint.method.lower()]
    return op


def body_schema(document: dict[str, Any], endpoint: Endpoint) -> dict[str, Any] | None:
    """The JSON request body's schema (references resolved one level), if the operation takes one."""
    content = operation(document, endpoint).get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    if schema and "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_example(document: dict[str, Any], endpoint: Endpoint) -> dict[str, Any] | None:
    """The documented example of the JSON request body (every body schema of the platform has one)."""
    schema = body_schema(document, endpoint)
    if schema is None:
        return None
    examples = schema.get("examples") or []
    return dict(examples[0]) if examples else {}


def required_query(document: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """The required query parameters, each with its documented example (``None`` when it has none)."""
    found: dict[str, Any] = {}
    for p in operation(document, endpoint).get("parameters", []):
        if p["in"] == "query" and p.get("required"):
            examples = p.get("schema", {}).get("examples") or [p.get("example")]
            found[p["name"]] = examples[0]
    return found


from tests.security.world import tenants  # noqa: E402, F401 (a fixture of both generated tests)
