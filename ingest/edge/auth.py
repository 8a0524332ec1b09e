"""Bearer tokens of the gateway: OAuth2 client credentials, cached and renewed ahead of expiry."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import orjson


class AuthError(Exception):
    """The credentials were refused: retrying cannot help until someone fixes the configuration."""


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or answered 5xx: transient, like any network error."""


def claims_of(token: str) -> dict[str, Any]:
    """The token's claims, unverified: the gateway only reads its own factory_id and roles from them, the
    platform verifies the signature."""
    try:
        payload = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise AuthError("the token is not a JWT") from exc
    if not isinstance(claims, dict):
        raise AuthError("the token is not a JWT")
    return claims


def is_admin(claims: dict[str, Any]) -> bool:
    return "admin" in claims.get("realm_access", {}).get("roles", [])


class Tokens(Protocol):
    def bearer(self) -> str: ...

    def invalidate(self) -> bool:
        """Forget the current token after a 401; True when a fresh one can be fetched."""
        ...


class StaticToken:
    """A token handed over as is (an admin's or a developer's): used until the platform refuses it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def bearer(self) -> str:
        return self._token

    def invalidate(self) -> bool:
        return False


class ClientCredentials:
    """``grant_type=client_credentials`` against Keycloak or the embedded issuer (same form)."""

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        refresh_margin_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http, self._url = http, token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._margin, self._clock = refresh_margin_s, clock
        self._token: str | None = None
        self._renew_at = 0.0
        # The live stream's reader and its background sender share one token.
        self._lock = threading.Lock()

    def bearer(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token = self._fetch()
            return self._token

    def invalidate(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def _fetch(self) -> str:
        started = self._clock()
        try:
            response = self._http.post(self._url, data=self._form)
        except httpx.TransportError as exc:
            raise TokenUnavailable(f"token endpoint {self._url} unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TokenUnavailable(f"token endpoint {self._url} answered {response.status_code}")
        if response.status_code != 200:
            raise AuthError(
                f"token endpoint {self._url} refused client {self._form['client_id']}: "
                f"{response.status_code} {response.text[:300]}"
            )
        document = response.json()
        lifetime = float(document.get("expires_in") or 60)
        # Renew before expiry so a request never leaves with a token that lapses in flight; a short-lived
        # token is still reused for half its life.
        self._renew_at = started + lifetime - min(self._margin, lifetime / 2)
        return str(document["access_token"])
