"""Access-token verification (RS256 against a JWKS) and the embedded topology's development issuer."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.kit.errors import ServiceUnavailable, Unauthorized
from services.kit.messages import Msg
from services.kit.slots import Slot

log = logging.getLogger(__name__)

JwksFetcher = Callable[[], dict[str, Any]]

# An unknown ``kid`` refetches the JWKS at most this often (random kids must not hammer the issuer).
_REFRESH_MIN_INTERVAL_S = 10.0
# Keys are refetched at least this often, so a key the issuer removed stops being trusted.
_MAX_AGE_S = 300.0


def http_jwks_fetcher(jwks_url: str) -> JwksFetcher:
    def fetch() -> dict[str, Any]:
        try:
            response = httpx.get(jwks_url, timeout=5.0)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                Msg("identity provider unreachable: {exc}", exc=exc), headers={"Retry-After": "5"}
            ) from exc
        result: dict[str, Any] = response.json()
        return result

    return fetch


class JwksVerifier:
    """Verifies RS256 access tokens against the issuer's JWKS.

    Keys are cached; a token naming an unknown ``kid`` refetches them (the issuer rotated its keys), at most
    once every ``refresh_min_interval_s``; and they are refetched anyway once older than ``max_age_s``, so a
    key the issuer removed stops opening the API. If the issuer is unreachable then, the cached keys stay in
    use until it answers again.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        fetch_jwks: JwksFetcher,
        leeway_s: int = 10,
        refresh_min_interval_s: float = _REFRESH_MIN_INTERVAL_S,
        max_age_s: float = _MAX_AGE_S,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.refresh_min_interval_s = refresh_min_interval_s
        self.max_age_s = max_age_s
        self._fetch = fetch_jwks
        self._leeway = leeway_s
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._attempted_at = -math.inf
        self._lock = threading.Lock()

    def _refresh(self, *, unknown_kid: bool) -> None:
        with self._lock:
            now = time.monotonic()
            stale = not self._keys or now - self._fetched_at >= self.max_age_s
            if not stale and not unknown_kid:
                return
            if self._keys and now - self._attempted_at < self.refresh_min_interval_s:
                return
            self._attempted_at = now
            try:
                jwks = jwt.PyJWKSet.from_dict(self._fetch())
            except (ServiceUnavailable, jwt.PyJWKSetError) as exc:
                if not self._keys:
                    raise ServiceUnavailable(
                        Msg("no signing keys from the identity provider: {exc}", exc=exc),
                        headers={"Retry-After": "5"},
                    ) from exc
                log.warning("JWKS refresh failed, keeping the cached keys: %s", exc)
                return
            self._keys = {k.key_id: k for k in jwks.keys if k.key_id and k.public_key_use in (None, "sig")}
            self._fetched_at = now

    def _key_for(self, kid: str) -> Any:
        self._refresh(unknown_kid=False)
        if kid not in self._keys:
            self._refresh(unknown_kid=True)  # the issuer may have rotated its keys
        try:
            return self._keys[kid].key
        except KeyError:
            raise Unauthorized(Msg("token signed with unknown key '{kid}'", kid=kid)) from None

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(Msg("malformed token: {exc}", exc=exc)) from exc
        if header.get("alg") != "RS256":
            raise Unauthorized(Msg("token must be signed with RS256"))
        key = self._key_for(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized(Msg("token expired")) from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized(Msg("token not yet valid")) from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized(Msg("token audience is not '{audience}'", audience=self.audience)) from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized(Msg("token issuer is not trusted")) from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized(Msg("token signature is invalid")) from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(Msg("invalid token: {exc}", exc=exc)) from exc
        # Keycloak ID tokens are RS256 too and name the client as audience: only access tokens open the API.
        if claims.get("typ", "Bearer") != "Bearer":
            raise Unauthorized(Msg("a {typ} token is not an access token", typ=claims["typ"]))
        return claims


class DevIssuer:
    """Signs real RS256 tokens for the embedded topology; its key survives restarts in ``key_path``."""

    def __init__(self, *, issuer: str, audience: str, key_path: Path | None = None) -> None:
        self.issuer = issuer
        self.audience = audience
        self._key = self._load_or_create(key_path)
        self.kid = uuid.uuid5(uuid.NAMESPACE_URL, issuer + self._public_pem()).hex[:16]

    @staticmethod
    def _load_or_create(key_path: Path | None) -> rsa.RSAPrivateKey:
        if key_path is not None and key_path.exists():
            # The key is the one this class generated and wrote (mode 0600): checking its primes again
            # costs as much as making a new key (~0.1 s of every start of the embedded platform).
            loaded = serialization.load_pem_private_key(
                key_path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
            )
            assert isinstance(loaded, rsa.RSAPrivateKey)
            return loaded
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if key_path is not None:
            key_path.parent.mkdir(parents=True, exist_ok=True)
            key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            key_path.chmod(0o600)
        return key

    def _public_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def issue(
        self,
        *,
        subject: str,
        roles: list[str],
        org_id: str | None = None,
        factory_id: str | None = None,
        client_id: str = "smartmfg-api",
        username: str | None = None,
        ttl_s: int = 3600,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": [self.audience],
            "sub": subject,
            "azp": client_id,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            "typ": "Bearer",
            "realm_access": {"roles": roles},
            **extra,
        }
        for name, value in (("org_id", org_id), ("factory_id", factory_id), ("preferred_username", username)):
            if value is not None:
                claims[name] = value
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def verifier(self) -> JwksVerifier:
        return JwksVerifier(issuer=self.issuer, audience=self.audience, fetch_jwks=self.jwks)


DEV_ISSUER: Slot[DevIssuer] = Slot("dev_issuer")  # only where the embedded topology issues its own tokens
