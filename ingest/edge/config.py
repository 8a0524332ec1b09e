"""Settings of the edge gateway: ``SMARTMFG_EDGE_*`` environment variables, overridden by flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EdgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTMFG_EDGE_", extra="ignore")

    api: str = Field(default="http://127.0.0.1:8000", description="platform base URL")
    token_url: str | None = Field(
        default=None,
        description="OIDC token endpoint; defaults to the embedded issuer at <api>/dev-oidc/token",
    )
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token: SecretStr | None = Field(
        default=None, description="a bearer token used as is (admin or developer); never refreshed"
    )
    factory_id: str | None = Field(default=None, description="defaults to the token's factory_id claim")
    outbox: Path = Path("~/.smartmfg-edge/outbox")
    timeout_s: float = 30.0

    @property
    def base_url(self) -> str:
        return self.api.rstrip("/")

    @property
    def token_endpoint(self) -> str:
        return self.token_url or f"{self.base_url}/dev-oidc/token"

    @property
    def outbox_dir(self) -> Path:
        return self.outbox.expanduser()
