"""Which token verifier a process uses: Keycloak's JWKS, or the embedded development issuer."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.kit.app_state import state_of
from services.kit.principal import TokenVerifier
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER, DevIssuer, JwksVerifier, http_jwks_fetcher


def build_token_verifier(app: FastAPI, settings: PlatformSettings) -> TokenVerifier:
    if settings.oidc.issuer:
        discovery = httpx.get(f"{settings.oidc.issuer}/.well-known/openid-configuration", timeout=10.0)
        discovery.raise_for_status()
        document = discovery.json()
        if document.get("issuer") != settings.oidc.issuer:
            # Every token would then fail the issuer check: refuse to start rather than answer 401s.
            raise RuntimeError(
                f"SMARTMFG_OIDC_ISSUER is {settings.oidc.issuer!r} but the provider calls itself "
                f"{document.get('issuer')!r}"
            )
        return JwksVerifier(
            issuer=settings.oidc.issuer,
            audience=settings.oidc.audience,
            fetch_jwks=http_jwks_fetcher(document["jwks_uri"]),
        )
    if not settings.embedded:
        raise RuntimeError("the development token issuer runs only in the embedded topology")
    issuer = DevIssuer(
        issuer=settings.public_url.rstrip("/") + "/dev-oidc",
        audience=settings.oidc.audience,
        key_path=settings.data_dir / "dev-issuer-key.pem",
    )
    state_of(app).put(DEV_ISSUER, issuer)
    return issuer.verifier()
