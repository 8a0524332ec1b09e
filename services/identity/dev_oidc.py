"""The embedded topology's OIDC endpoints: discovery, JWKS and a token endpoint shaped like Keycloak's.

Users and gateway clients come from the identity service's tables (the same demo identities as
``infra/keycloak/realm.json`` are seeded at start-up, see ``demo.py``), so the README and edge CLI flows are
the same in both topologies. The gateway mounts this router only when it runs the development issuer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from services.identity import repository
from services.identity.directory import secret_matches
from services.identity.schemas import TokenOut
from services.kit.db import SessionDep
from services.kit.errors import Unauthorized
from services.kit.settings import PlatformSettings
from services.kit.spec import Responses
from services.kit.tokens import DevIssuer

router = APIRouter(prefix="/dev-oidc", tags=["identity"])
TOKEN_TTL_S = 3600
REFUSED: Responses = {
    401: {"description": "unknown user or client, wrong password or secret, disabled client"}
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
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


@router.get("/jwks", summary="Signing keys of the development issuer (public)")
def jwks(request: Request) -> dict[str, Any]:
    return _issuer(request).jwks()


def _refused(what: str) -> Unauthorized:
    return Unauthorized(f"invalid {what}", detail_ko="인증 정보가 올바르지 않습니다")


def _check_secret(session: Session, kind: str, name: str, secret: str | None, what: str) -> None:
    stored = repository.credential(session, kind, name)
    if stored is None or secret is None or not secret_matches(secret, stored.secret_hash):
        raise _refused(what)


@router.post(
    "/token",
    summary="Token endpoint: password or client_credentials grant, form-encoded like Keycloak's (public)",
    responses=REFUSED,
)
def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str, Form(pattern="^(password|client_credentials)$")],
    client_id: Annotated[str, Form(max_length=100)],
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    username: Annotated[str | None, Form(max_length=100)] = None,
    password: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenOut:
    issuer = _issuer(request)
    if grant_type == "password":
        settings: PlatformSettings = request.app.state.settings
        # People sign in through the platform's own client, as with Keycloak's direct access grant.
        if client_id != settings.keycloak_client_id or (
            client_secret is not None and client_secret != settings.keycloak_client_secret
        ):
            raise _refused("client")
        user = repository.user_by_username(session, username or "")
        if user is None:
            raise _refused("username or password")
        _check_secret(session, "user", user.username, password, "username or password")
        access_token = issuer.issue(
            subject=user.id,
            roles=[user.role],
            org_id=user.org_id,
            client_id=client_id,
            username=user.username,
            ttl_s=TOKEN_TTL_S,
        )
    else:
        gateway = repository.find_gateway(session, client_id)
        if gateway is None or not gateway.enabled:
            raise _refused("client credentials")
        _check_secret(session, "client", client_id, client_secret, "client credentials")
        access_token = issuer.issue(
            subject=f"service-account-{client_id}",
            roles=["gateway"],
            org_id=gateway.org_id,
            factory_id=gateway.factory_id,
            client_id=client_id,
            username=f"service-account-{client_id}",
            ttl_s=TOKEN_TTL_S,
        )
    return TokenOut(access_token=access_token, token_type="Bearer", expires_in=TOKEN_TTL_S)
