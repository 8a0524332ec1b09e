"""The embedded topology's OIDC endpoints: discovery, JWKS and a token endpoint shaped like Keycloak's.

It knows the same demo identities as ``infra/keycloak/realm.json`` so README flows are identical in both
topologies. It is mounted only when the app runs the development issuer (embedded topology).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from services.kit.errors import Unauthorized
from services.kit.tokens import DevIssuer

router = APIRouter(prefix="/dev-oidc", tags=["identity"])
TOKEN_TTL_S = 3600


@dataclass(frozen=True)
class DevIdentity:
    secret: str
    roles: tuple[str, ...]
    org_id: str
    factory_id: str | None = None


DEMO_USERS = {
    name: DevIdentity(f"{name}-pass", (role,), org)
    for name, role, org in (
        ("admin1", "admin", "org-operator"),
        ("sme1", "sme", "org-sme-1"),
        ("sme2", "sme", "org-sme-2"),
        ("vendor1", "vendor", "org-vendor-1"),
    )
}
DEMO_GATEWAYS = {
    f"edge-gw-demo-{n}": DevIdentity(
        f"edge-gw-demo-{n}-secret", ("gateway",), f"org-sme-{n}", f"factory-sme-{n}-a"
    )
    for n in (1, 2)
}


def _issuer(request: Request) -> DevIssuer:
    issuer: DevIssuer = request.app.state.dev_issuer
    return issuer


@router.get("/.well-known/openid-configuration", summary="OIDC discovery of the development issuer (public)")
def discovery(request: Request) -> dict[str, Any]:
    issuer = _issuer(request).issuer
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/jwks",
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": ["password", "client_credentials"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


@router.get("/jwks", summary="Signing keys of the development issuer (public)")
def jwks(request: Request) -> dict[str, Any]:
    return _issuer(request).jwks()


def _check(identity: DevIdentity | None, secret: str | None, what: str) -> DevIdentity:
    if identity is None or secret is None or not hmac.compare_digest(identity.secret, secret):
        raise Unauthorized(f"invalid {what}", detail_ko="인증 정보가 올바르지 않습니다")
    return identity


@router.post(
    "/token",
    summary="Token endpoint: password or client_credentials grant, form-encoded (public)",
    responses={401: {"description": "unknown user or client, wrong secret"}},
)
def token(
    request: Request,
    grant_type: Annotated[str, Form(pattern="^(password|client_credentials)$")],
    client_id: Annotated[str, Form(max_length=100)],
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    username: Annotated[str | None, Form(max_length=100)] = None,
    password: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, Any]:
    if grant_type == "password":
        identity = _check(DEMO_USERS.get(username or ""), password, "username or password")
        subject, name = f"dev-user-{username}", username
    else:
        identity = _check(DEMO_GATEWAYS.get(client_id), client_secret, "client credentials")
        subject, name = f"service-account-{client_id}", f"service-account-{client_id}"
    access_token = _issuer(request).issue(
        subject=subject,
        roles=list(identity.roles),
        org_id=identity.org_id,
        factory_id=identity.factory_id,
        client_id=client_id,
        username=name,
        ttl_s=TOKEN_TTL_S,
    )
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_TTL_S}
