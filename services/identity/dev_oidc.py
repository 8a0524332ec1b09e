"""The embedded topology's OIDC endpoints: discovery, JWKS and a token endpoint shaped like Keycloak's.

Users and gateway clients come from the identity service's tables (the same demo identities as
``infra/keycloak/realm.json`` are seeded at start-up, see ``demo.py``), so the README and edge CLI flows are
the same in both topologies. The gateway mounts this router only when it runs the development issuer.

People sign in to the portal with the authorization-code flow and PKCE (RFC 7636, S256 only), as they do
with Keycloak: ``/authorize`` shows a login form and redirects back with a one-time code that lives
``CODE_TTL_S`` seconds in this process's memory (the embedded topology is one process), and ``/token``
exchanges it only together with the verifier whose SHA-256 the form was given, for the same client and
redirect URI. A redirect URI must point at the origin the form was served from, so a code never leaves
the platform.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from services.identity import demo, repository
from services.identity.directory import secret_matches
from services.identity.schemas import TokenOut
from services.kit.app_state import app_state
from services.kit.db import SessionDep
from services.kit.errors import BadRequest, Unauthorized, field_error
from services.kit.messages import Msg
from services.kit.slots import Slot
from services.kit.spec import Responses
from services.kit.tokens import DEV_ISSUER, DevIssuer

router = APIRouter(prefix="/dev-oidc", tags=["identity"])
TOKEN_TTL_S = 3600
CODE_TTL_S = 120
REFUSED: Responses = {
    401: {"description": "unknown user or client, wrong password or secret, disabled client"}
}


def _issuer(request: Request) -> DevIssuer:
    return app_state(request).get(DEV_ISSUER)


@router.get("/.well-known/openid-configuration", summary="OIDC discovery of the development issuer (public)")
def discovery(request: Request) -> dict[str, Any]:
    issuer = _issuer(request).issuer
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/jwks",
        "token_endpoint": f"{issuer}/token",
        "authorization_endpoint": f"{issuer}/authorize",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


@router.get("/jwks", summary="Signing keys of the development issuer (public)")
def jwks(request: Request) -> dict[str, Any]:
    return _issuer(request).jwks()


def _refused(what: str) -> Unauthorized:
    return Unauthorized(Msg("invalid {what}", what=what))


def _check_secret(session: Session, kind: str, name: str, secret: str | None, what: str) -> None:
    stored = repository.credential(session, kind, name)
    if stored is None or secret is None or not secret_matches(secret, stored.secret_hash):
        raise _refused(what)


def _user_token(request: Request, user: Any, client_id: str) -> str:
    # Like Keycloak's ``regions`` mapper: only users with regions (agency reviewers) carry the claim.
    regions = demo.REGIONS_OF.get(user.username)
    extra: dict[str, Any] = {"regions": regions} if regions else {}
    return _issuer(request).issue(
        subject=user.id,
        roles=[user.role],
        org_id=user.org_id,
        client_id=client_id,
        username=user.username,
        ttl_s=TOKEN_TTL_S,
        **extra,
    )


def _signed_in_user(session: Session, username: str | None, password: str | None) -> Any:
    user = repository.user_by_username(session, username or "")
    if user is None:
        raise _refused("username or password")
    _check_secret(session, "user", user.username, password, "username or password")
    return user


@dataclass(frozen=True)
class _Grant:
    """What a one-time authorization code stands for until it is exchanged."""

    user: Any
    client_id: str
    redirect_uri: str
    code_challenge: str
    expires_at: float


class AuthorizationCodes:
    """The outstanding codes of this process: each exchanged at most once, within ``CODE_TTL_S``."""

    def __init__(self) -> None:
        self._grants: dict[str, _Grant] = {}

    def issue(self, grant: _Grant) -> str:
        now = time.monotonic()
        self._grants = {c: g for c, g in self._grants.items() if g.expires_at > now}
        code = secrets.token_urlsafe(32)
        self._grants[code] = grant
        return code

    def redeem(self, code: str) -> _Grant | None:
        grant = self._grants.pop(code, None)
        return grant if grant is not None and grant.expires_at > time.monotonic() else None


CODES: Slot[AuthorizationCodes] = Slot("dev_oidc_codes")


def _codes(request: Request) -> AuthorizationCodes:
    state = app_state(request)
    found = state.find(CODES)  # one per app, made on the first sign-in
    return found if found is not None else state.put(CODES, AuthorizationCodes())


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a code verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_authorization_request(
    request: Request, response_type: str, client_id: str, redirect_uri: str, code_challenge_method: str
) -> None:
    settings = app_state(request).settings
    problems = []
    if response_type != "code":
        problems.append(field_error("query.response_type", Msg("only the authorization-code flow (code)")))
    if client_id != settings.keycloak.client_id:
        problems.append(field_error("query.client_id", Msg("unknown client")))
    if code_challenge_method != "S256":
        problems.append(field_error("query.code_challenge_method", Msg("PKCE with S256 is required")))
    target, here = urlsplit(redirect_uri), urlsplit(str(request.base_url))
    if (target.scheme, target.netloc) != (here.scheme, here.netloc):
        problems.append(field_error("query.redirect_uri", Msg("must point at this platform's origin")))
    if problems:
        raise BadRequest(
            Msg("invalid authorization request: {locs}", locs=", ".join(p["loc"] for p in problems)),
            fields=problems,
        )


_FORM = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>로그인 · Sign in — 스마트제조혁신 통합 플랫폼</title>
<style>body{{font-family:"Noto Sans CJK KR","Noto Sans KR",system-ui,sans-serif;background:#f3f5f8;
color:#1b2430;margin:0}}main{{max-width:360px;margin:10vh auto;background:#fff;padding:24px;border-radius:8px;
box-shadow:0 1px 3px #0003}}h1{{font-size:20px;margin:0 0 4px}}p{{color:#3d4a5c;font-size:14px}}
label{{display:block;margin:14px 0 4px;font-weight:600}}input{{width:100%;box-sizing:border-box;padding:10px;
font-size:16px;border:1px solid #6b7a90;border-radius:4px}}button{{margin-top:18px;width:100%;padding:11px;
font-size:16px;background:#0b3d91;color:#fff;border:0;border-radius:4px;cursor:pointer}}
[role=alert]{{color:#a4000f;font-weight:600}}</style></head>
<body><main><h1>로그인 <span lang="en">Sign in</span></h1>
<p>개발용 인증 서버 <span lang="en">(development issuer)</span></p>{error}
<form method="post" action="authorize">{hidden}
<label for="username">아이디 <span lang="en">Username</span></label>
<input id="username" name="username" autocomplete="username" required value="{username}">
<label for="password">비밀번호 <span lang="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">로그인 <span lang="en">Sign in</span></button></form></main></body></html>"""


def _login_form(params: dict[str, str], *, error: bool = False, username: str = "") -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    message = (
        '<p role="alert">아이디 또는 비밀번호가 올바르지 않습니다. '
        '<span lang="en">Wrong username or password.</span></p>'
        if error
        else ""
    )
    page = _FORM.format(error=message, hidden=hidden, username=html.escape(username))
    return HTMLResponse(page, status_code=401 if error else 200)


@router.get(
    "/authorize",
    response_class=HTMLResponse,
    summary="Authorization endpoint: the login form of the authorization-code flow with PKCE (public)",
    responses={400: {"description": "unknown client, foreign redirect URI, or no S256 code challenge"}},
)
def authorize_form(
    request: Request,
    client_id: Annotated[str, Query(max_length=100)],
    redirect_uri: Annotated[str, Query(max_length=2000)],
    code_challenge: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{43,128}$")],
    response_type: Annotated[str, Query(max_length=20)] = "code",
    code_challenge_method: Annotated[str, Query(max_length=10)] = "plain",
    state: Annotated[str, Query(max_length=500)] = "",
    scope: Annotated[str, Query(max_length=500)] = "openid",
) -> HTMLResponse:
    _check_authorization_request(request, response_type, client_id, redirect_uri, code_challenge_method)
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": code_challenge,
        "code_challenge_method": code_challenge_method,
        "response_type": response_type,
        "state": state,
        "scope": scope,
    }
    return _login_form(params)


@router.post(
    "/authorize",
    response_class=RedirectResponse,
    status_code=303,
    summary="Sign in on the login form: redirects back with a one-time code (public)",
    responses={
        400: {"description": "invalid authorization request"},
        401: {"description": "wrong username or password: the form again, with the error"},
    },
)
def authorize(
    request: Request,
    session: SessionDep,
    client_id: Annotated[str, Form(max_length=100)],
    redirect_uri: Annotated[str, Form(max_length=2000)],
    code_challenge: Annotated[str, Form(pattern=r"^[A-Za-z0-9_-]{43,128}$")],
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    response_type: Annotated[str, Form(max_length=20)] = "code",
    code_challenge_method: Annotated[str, Form(max_length=10)] = "plain",
    state: Annotated[str, Form(max_length=500)] = "",
    scope: Annotated[str, Form(max_length=500)] = "openid",
) -> Response:
    _check_authorization_request(request, response_type, client_id, redirect_uri, code_challenge_method)
    try:
        user = _signed_in_user(session, username, password)
    except Unauthorized:
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "response_type": response_type,
            "state": state,
            "scope": scope,
        }
        return _login_form(params, error=True, username=username)
    code = _codes(request).issue(
        _Grant(user, client_id, redirect_uri, code_challenge, time.monotonic() + CODE_TTL_S)
    )
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state})}", 303)


@router.post(
    "/token",
    summary="Token endpoint: authorization_code (PKCE), password or client_credentials grant, form-encoded "
    "like Keycloak's (public)",
    responses=REFUSED,
)
def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str, Form(pattern="^(authorization_code|password|client_credentials)$")],
    client_id: Annotated[str, Form(max_length=100)],
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    username: Annotated[str | None, Form(max_length=100)] = None,
    password: Annotated[str | None, Form(max_length=200)] = None,
    code: Annotated[str | None, Form(max_length=200)] = None,
    code_verifier: Annotated[str | None, Form(pattern=r"^[A-Za-z0-9._~-]{43,128}$")] = None,
    redirect_uri: Annotated[str | None, Form(max_length=2000)] = None,
) -> TokenOut:
    issuer = _issuer(request)
    settings = app_state(request).settings
    if grant_type in ("password", "authorization_code") and (
        # People sign in through the platform's own client, as with Keycloak.
        client_id != settings.keycloak.client_id
        or (client_secret is not None and client_secret != settings.keycloak.client_secret)
    ):
        raise _refused("client")
    if grant_type == "authorization_code":
        grant = _codes(request).redeem(code or "")
        if (
            grant is None
            or grant.client_id != client_id
            or grant.redirect_uri != redirect_uri
            or code_verifier is None
            or not secrets.compare_digest(s256(code_verifier), grant.code_challenge)
        ):
            raise _refused("authorization code, redirect URI or code verifier")
        access_token = _user_token(request, grant.user, client_id)
    elif grant_type == "password":
        access_token = _user_token(request, _signed_in_user(session, username, password), client_id)
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
