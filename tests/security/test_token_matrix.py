"""Generated over the route table: every endpoint that reads a token refuses bad ones (401), and a valid
token without the route's role is refused (403). A new endpoint is covered without touching this file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from tests.security.conftest import ISSUER, RealmKey, SecurityReport, Tokens, endpoints

# The route table does not depend on the database: one backend is enough (PostgreSQL, as in production).
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

Header = Callable[[], str | None]
# Without a bearer token the caller is anonymous: refused by protected endpoints, welcome at public ones.
ANONYMOUS = {"missing", "not-bearer"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def bad_tokens(realm_key: RealmKey, tokens: Tokens) -> dict[str, Header]:
    """Authorization header values, each wrong in one way only (the forged ones carry a realm signature)."""
    past = int(time.time()) - 7200
    future = int(time.time()) + 3600
    # One key the realm never saw, for every endpoint: making a 2048-bit key costs 30-200 ms of CPU.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def genuine_claims() -> tuple[dict[str, Any], str]:
        genuine = tokens("sme1")
        return jwt.decode(genuine, options={"verify_signature": False}), jwt.get_unverified_header(genuine)[
            "kid"
        ]

    def wrong_signature() -> str:
        claims, kid = genuine_claims()
        # Keycloak's own key id, someone else's key.
        return "Bearer " + jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": kid})

    def unknown_key() -> str:
        claims, _ = genuine_claims()
        return "Bearer " + jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "not-in-the-jwks"})

    def unsigned() -> str:
        claims, kid = genuine_claims()
        return "Bearer " + _unsigned(claims, {"alg": "none", "typ": "JWT", "kid": kid}) + "."

    def hmac_with_the_public_key() -> str:
        """The classic algorithm confusion: HS256 keyed with the realm's (public) RSA key."""
        claims, _ = genuine_claims()
        public = realm_key.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signing_input = _unsigned(claims, {"alg": "HS256", "typ": "JWT", "kid": realm_key.kid})
        signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        return f"Bearer {signing_input}.{_b64(signature)}"

    return {
        "missing": lambda: None,
        "malformed": lambda: "Bearer not.a-jwt.at-all",
        "not-bearer": lambda: "Basic c21lMTpzbWUxLXBhc3M=",
        "expired": lambda: "Bearer " + realm_key.sign(iat=past, nbf=past, exp=past + 300),
        "not-yet-valid": lambda: "Bearer " + realm_key.sign(nbf=future, exp=future + 300),
        "wrong-issuer": lambda: "Bearer " + realm_key.sign(iss=ISSUER.replace("smartmfg", "elsewhere")),
        "wrong-audience": lambda: "Bearer " + realm_key.sign(aud=["account"], azp="account"),
        "id-token": lambda: "Bearer " + realm_key.sign(typ="ID", aud="smartmfg-api"),
        "wrong-signature": wrong_signature,
        "unknown-key": unknown_key,
        "unsigned": unsigned,
        "hs256-confusion": hmac_with_the_public_key,
    }


def identities(
    realm_key: RealmKey, tokens: Tokens
) -> dict[str, tuple[set[str], Callable[[], dict[str, str]]]]:
    """Valid tokens of every non-admin role: the realm's users and gateway, and a ``public``-only user."""
    return {
        "sme1": ({"sme"}, lambda: tokens.headers("sme1")),
        "vendor1": ({"vendor"}, lambda: tokens.headers("vendor1")),
        "edge-gw-demo-1": ({"gateway"}, lambda: tokens.headers("edge-gw-demo-1")),
        "public-user": ({"public"}, lambda: realm_key.identity("reader", ["public"], "org-sme-1")),
    }


def test_the_forgery_key_and_keycloak_tokens_are_accepted(
    kc_client: TestClient, realm_key: RealmKey, tokens: Tokens
) -> None:
    """Controls: without them a 401 below could come from a key the platform never trusted."""
    forged = kc_client.get("/api/v1/identity/me", headers={"Authorization": f"Bearer {realm_key.sign()}"})
    assert forged.status_code == 200 and forged.json()["roles"] == ["admin"]
    me = kc_client.get("/api/v1/identity/me", headers=tokens.headers("sme1")).json()
    assert (me["username"], me["org_id"], me["roles"]) == ("sme1", "org-sme-1", ["sme"])
    gateway = kc_client.get("/api/v1/identity/me", headers=tokens.headers("edge-gw-demo-2")).json()
    assert (gateway["client_id"], gateway["factory_id"]) == ("edge-gw-demo-2", "factory-sme-2-a")
    reader = kc_client.get("/api/v1/identity/me", headers=realm_key.identity("reader", ["public"], None))
    assert reader.json()["roles"] == ["public"]


def test_every_endpoint_refuses_bad_tokens_and_missing_roles(
    kc_client: TestClient, realm_key: RealmKey, tokens: Tokens, report: SecurityReport
) -> None:
    routes = endpoints(kc_client.app)  # type: ignore[arg-type]
    documented = kc_client.get("/openapi.json").json()["paths"]
    assert {(e.method.lower(), e.path) for e in routes} >= {
        (m, p) for p, ops in documented.items() for m in ops
    }, "an operation of the OpenAPI document is missing from the route table"
    cases = bad_tokens(realm_key, tokens)
    people = identities(realm_key, tokens)
    failures: list[str] = []
    counts: Counter[str] = Counter()
    for endpoint in routes:
        if not endpoint.reads_token:
            counts["public_endpoints"] += 1
            continue
        counts["protected_endpoints" if endpoint.protected else "public_endpoints_checking_a_sent_token"] += 1
        for name, header in cases.items():
            if name in ANONYMOUS and not endpoint.protected:
                continue  # anonymous is the point of a public endpoint
            value = header()
            answer = kc_client.request(
                endpoint.method, endpoint.url(), headers={"Authorization": value} if value else {}
            )
            counts["401_cases"] += 1
            if answer.status_code != 401 or answer.json().get("error") != "Unauthorized":
                failures.append(
                    f"{endpoint} with a {name} token answered {answer.status_code}: {answer.text[:120]}"
                )
            elif "Bearer" not in answer.headers.get("WWW-Authenticate", ""):
                failures.append(f"{endpoint} with a {name} token: 401 without WWW-Authenticate: Bearer")
        if endpoint.role_sets:
            counts["endpoints_requiring_a_role"] += 1
        for who, (roles, headers) in people.items():
            if endpoint.allows(roles):
                continue
            answer = kc_client.request(endpoint.method, endpoint.url(), headers=headers())
            counts["403_cases"] += 1
            if answer.status_code != 403:
                failures.append(
                    f"{endpoint} as {who} (no role) answered {answer.status_code}: {answer.text[:120]}"
                )
    report.add(
        "token and role matrix (test_token_matrix.py)",
        endpoints=len(routes),
        **dict(counts),
        bad_token_kinds=len(cases),
        identities_without_the_role=len(people),
    )
    assert counts["protected_endpoints"] >= 40 and counts["403_cases"] >= 60
    assert not failures, "\n".join(failures)
