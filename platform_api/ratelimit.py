"""Per-client rate limits: token buckets on uploads, on anonymous use of the public API and on portal pages.

Uploads (``POST /api/v1/ingest/...``) are keyed by the verified token's client (``azp``, else ``sub``), or the
address when the token does not verify. Requests under ``/api/`` and ``/dev-oidc/`` without a valid token
(anonymous reads, password guessing at the development token endpoint) are keyed by the client address;
a request with a valid token is accountable and not limited there. Portal pages (every other path but the
portal's static files and the platform's probes) are keyed by the client address, signed in or not: each
page reads several APIs in-process, and a visitor typing ever new searches must not be able to make the
process work (or keep answers) without bound. A refused request gets 429 with ``Retry-After`` and the
platform's error body.

The limiter is the outermost layer of the process that faces clients (the gateway, or the embedded
process), so it also covers the requests the gateway proxies to service processes; service processes behind
the gateway do not limit (they would see every client under the gateway's address), nor do in-process calls
between services. Buckets live in the process: each gateway replica limits on its own. Behind a reverse
proxy, let uvicorn take the client address from ``X-Forwarded-For`` (``FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kit.app_state import state_of
from services.kit.clients import INTERNAL_CALL
from services.kit.errors import PlatformError, RateLimited
from services.kit.i18n import prefers_korean
from services.kit.messages import Msg
from services.kit.principal import TOKEN_VERIFIER, VERIFIED_TOKEN
from services.kit.settings import PlatformSettings

UPLOAD_PREFIX = "/api/v1/ingest/"
PUBLIC_PREFIXES = ("/api/", "/dev-oidc/")
NOT_PAGES = ("/portal/static/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc")


class TokenBuckets:
    """``per_minute`` requests a minute per key, bursts up to the same number; least recent keys are
    forgotten beyond ``max_keys`` (a forgotten key starts with a full bucket)."""

    def __init__(self, per_minute: int, *, max_keys: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token for ``key``: 0 when granted, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens - 1.0 if wait == 0.0 else tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


class RateLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, uploads_per_minute: int, public_per_minute: int, portal_per_minute: int
    ) -> None:
        self.app = app
        self.uploads = TokenBuckets(uploads_per_minute) if uploads_per_minute > 0 else None
        self.public = TokenBuckets(public_per_minute) if public_per_minute > 0 else None
        self.portal = TokenBuckets(portal_per_minute) if portal_per_minute > 0 else None

    async def _verified_client(self, scope: Scope, authorization: str | None) -> str | None:
        """The verified token's client; a token that does not verify cannot spend someone else's bucket."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        verifier = state_of(scope["app"]).find(TOKEN_VERIFIER)
        if verifier is None:
            return None
        token = authorization[7:].strip()
        try:
            claims: dict[str, Any] = await run_in_threadpool(verifier.verify, token)
        except PlatformError:
            return None
        # The route's own authentication takes these claims instead of verifying the signature again.
        scope.setdefault("state", {})[VERIFIED_TOKEN] = (token, claims)
        return f"client:{claims.get('azp') or claims.get('sub')}"

    async def _wait(self, scope: Scope) -> float:
        """Seconds the request must wait (0: it may pass now), taking a token from its bucket."""
        method, path = scope["method"], scope["path"]
        if self.uploads and method == "POST" and path.startswith(UPLOAD_PREFIX):
            client = await self._verified_client(scope, _authorization(scope))
            return self.uploads.take(client or _address(scope))
        if path.startswith(PUBLIC_PREFIXES):
            if self.public and await self._verified_client(scope, _authorization(scope)) is None:
                return self.public.take(_address(scope))  # no valid token: the address's anonymous budget
            return 0.0
        if self.portal and not path.startswith(NOT_PAGES):
            return self.portal.take(_address(scope))
        return 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(INTERNAL_CALL):
            await self.app(scope, receive, send)
            return
        wait = await self._wait(scope)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            error = RateLimited(
                Msg("too many requests; retry in {seconds} s", seconds=seconds),
                headers={"Retry-After": str(seconds)},
            )
            response = JSONResponse(
                error.body(prefers_korean(Request(scope))), error.status_code, headers=error.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_rate_limits(app: FastAPI, settings: PlatformSettings) -> None:
    """Call last among the middlewares: the limiter must be the outermost layer (see the module doc)."""
    app.add_middleware(
        RateLimitMiddleware,
        uploads_per_minute=settings.rate_limit.uploads_per_minute,
        public_per_minute=settings.rate_limit.public_per_minute,
        portal_per_minute=settings.rate_limit.portal_per_minute,
    )
