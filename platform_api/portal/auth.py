"""Signing in to the portal: OIDC authorization code with PKCE, against Keycloak or the dev issuer.

The gateway is the OIDC client (``keycloak_client_id``): ``/login`` sends the browser to the provider's
authorization endpoint with an S256 code challenge and a random state, both remembered in a short-lived
HttpOnly cookie scoped to ``/auth``; ``/auth/callback`` checks the state and exchanges the code with its
verifier. The access token then rides in an HttpOnly, SameSite=Lax session cookie and is forwarded as a
bearer token to the APIs, which check it as they check any token: the portal holds no rights of its own.
With the embedded development issuer the browser goes to this very origin's ``/dev-oidc/authorize`` and
the exchange is an in-process call; with Keycloak both come from the realm's discovery document, so the
realm URL (``SMARTMFG_OIDC_ISSUER``) must be reachable from browsers. The document is kept in the process's
``reference`` cache (services.kit.cache) for ``reference_cache_seconds``, then read again.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from services.kit.app_state import app_state
from services.kit.cache import PUBLIC, Key, caches
from services.kit.errors import PlatformError
from services.kit.principal import TOKEN_VERIFIER, Principal
from services.kit.settings import PlatformSettings

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "portal_session"
FLOW_COOKIE = "portal_oidc"
FLOW_TTL_S = 600
CALLBACK = "/auth/callback"


@dataclass(frozen=True)
class Endpoints:
    authorize: str
    token: str
    in_process: bool


def _settings(request: Request) -> PlatformSettings:
    settings = app_state(request).settings
    return settings


async def _endpoints(request: Request) -> Endpoints:
    settings = _settings(request)
    if not settings.oidc.issuer:
        return Endpoints(str(request.base_url) + "dev-oidc/authorize", "/dev-oidc/token", in_process=True)
    cache, key = caches(request).reference, _discovery_key(settings.oidc.issuer)
    found: Endpoints | None = cache.get(key)
    if found is None:
        async with httpx.AsyncClient(timeout=10.0) as client:
            answer = await client.get(f"{settings.oidc.issuer}/.well-known/openid-configuration")
            answer.raise_for_status()
            document = answer.json()
        found = Endpoints(document["authorization_endpoint"], document["token_endpoint"], in_process=False)
        cache.put(key, found, ttl_s=settings.reference_cache_seconds)
    return found


def _discovery_key(issuer: str) -> Key:
    """The one key of an issuer's endpoints: read before anyone signs in, the same for every visitor."""
    return Key("oidc.discovery", PUBLIC, None, (issuer,))


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/me"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login")
async def login(request: Request, next: str | None = None) -> RedirectResponse:
    endpoints = await _endpoints(request)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": _settings(request).keycloak.client_id,
        "redirect_uri": str(request.base_url).rstrip("/") + CALLBACK,
        "scope": "openid",
        "state": state,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"{endpoints.authorize}?{urlencode(query)}", status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        f"{state}.{verifier}.{safe_next(next)}",
        max_age=FLOW_TTL_S,
        path="/auth",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


async def _exchange(request: Request, endpoints: Endpoints, code: str, verifier: str) -> dict[str, Any]:
    settings = _settings(request)
    form = {
        "grant_type": "authorization_code",
        "client_id": settings.keycloak.client_id,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": str(request.base_url).rstrip("/") + CALLBACK,
    }
    if endpoints.in_process:
        transport = httpx.ASGITransport(app=request.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://platform.internal") as client:
            answer = await client.post(endpoints.token, data=form)
    else:
        form["client_secret"] = settings.keycloak.client_secret
        async with httpx.AsyncClient(timeout=10.0) as client:
            answer = await client.post(endpoints.token, data=form)
    if answer.status_code != 200:
        return {}
    body: dict[str, Any] = answer.json()
    return body


@router.get(CALLBACK)
async def callback(request: Request, code: str = "", state: str = "") -> RedirectResponse:
    remembered = request.cookies.get(FLOW_COOKIE, "")
    expected_state, _, rest = remembered.partition(".")
    verifier, _, target = rest.partition(".")
    tokens: dict[str, Any] = {}
    if code and expected_state and secrets.compare_digest(state, expected_state):
        tokens = await _exchange(request, await _endpoints(request), code, verifier)
    if not tokens.get("access_token"):
        response = RedirectResponse("/?login=failed", status_code=303)
    else:
        response = RedirectResponse(safe_next(target), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            tokens["access_token"],
            max_age=int(tokens.get("expires_in", 300)),
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
    response.delete_cookie(FLOW_COOKIE, path="/auth")
    return response


@router.post("/logout")
async def logout() -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


async def signed_in(request: Request) -> Principal | None:
    """Who the session cookie belongs to, verified like any bearer token; None when absent or invalid.
    Verified once per request: a page asks while reading the APIs and again while rendering its header."""
    if hasattr(request.state, "signed_in"):
        known: Principal | None = request.state.signed_in
        return known
    request.state.signed_in = await _verified(session_token(request), request)
    return request.state.signed_in


async def _verified(token: str | None, request: Request) -> Principal | None:
    if token is None:
        return None
    try:
        claims = await run_in_threadpool(app_state(request).get(TOKEN_VERIFIER).verify, token)
    except PlatformError:  # an expired or foreign token just means "signed out"
        return None
    return Principal.from_claims(claims)
