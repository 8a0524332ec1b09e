"""Settings of the platform deployables, read from the environment (prefix ``SMARTMFG_``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Topology(StrEnum):
    EMBEDDED = "embedded"
    DISTRIBUTED = "distributed"


# Defaults that are only acceptable on a developer's laptop: the distributed topology refuses them.
_DEV_SECRETS = {"smartmfg-minio-secret", "smartmfg-api-secret", "change-me"}


class PlatformSettings(BaseSettings):
    """Everything a platform process needs; one instance per process, built in the app factory."""

    model_config = SettingsConfigDict(env_prefix="SMARTMFG_", env_file=".env", extra="ignore")

    topology: Topology = Topology.EMBEDDED
    data_dir: Path = Path(".data")
    public_url: str = "http://127.0.0.1:8000"

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file in data_dir (embedded)."
    )

    # Distributed topology: where the gateway forwards each service ("" = mounted in-process).
    service_urls: dict[str, str] = Field(default_factory=dict)

    kafka_bootstrap: str = "127.0.0.1:59092"
    minio_endpoint: str = "127.0.0.1:59000"
    minio_access_key: str = "smartmfg"
    minio_secret_key: str = "smartmfg-minio-secret"
    lake_bucket: str = "smartmfg-lake"
    object_store: Literal["local", "minio"] | None = Field(
        default=None, description="documents: a local directory (embedded default) or MinIO (distributed)"
    )
    documents_bucket: str = "smartmfg-documents"
    document_max_bytes: int = Field(default=10 * 1024 * 1024, description="largest evidence document")

    bus: Literal["local", "kafka"] | None = Field(
        default=None, description="event bus; defaults to a local log (embedded) or Kafka (distributed)"
    )
    topic_prefix: str = Field(default="smartmfg", description="topics are <prefix>.telemetry.v1 ...")
    future_tolerance_seconds: int = 300

    oidc_issuer: str | None = Field(default=None, description="Keycloak realm URL; None = dev issuer.")
    oidc_audience: str = "smartmfg-api"
    keycloak_url: str = "http://127.0.0.1:58080"
    keycloak_realm: str = "smartmfg"
    keycloak_client_id: str = "smartmfg-api"
    keycloak_client_secret: str = "smartmfg-api-secret"

    upload_max_bytes: int = 32 * 1024 * 1024
    upload_max_decompressed_bytes: int = Field(
        default=128 * 1024 * 1024, description="Limit of a gzip-encoded upload once inflated (gzip bombs)."
    )
    bus_partitions: int = Field(default=6, description="partitions of each topic the platform creates")
    lake_catalog_url: str | None = Field(
        default=None, description="Iceberg SQL catalog; defaults to database_url (distributed) or SQLite."
    )
    lake_warehouse: str | None = Field(
        default=None,
        description="Iceberg warehouse; defaults to s3://<lake_bucket>/warehouse or data_dir/lake.",
    )
    lake_namespace: str = Field(default="telemetry", description="Iceberg namespace of the lake's tables")
    writer_group: str = "smartmfg-lake-writer"
    run_writers: bool = Field(
        default=True, description="embedded: run the lake writers inside the app process"
    )
    writer_flush_seconds: float = 1.0
    writer_flush_rows: int = 1_000_000
    writer_dedupe_hours: float = Field(
        default=168.0,
        description="a lake writer skips bus messages whose batch key the lake got within this many hours "
        "(a republished batch); older retries are caught by the upload ledger",
    )
    standards_cache_seconds: float = 60.0
    rate_limit_uploads_per_minute: int = 600
    rate_limit_public_per_minute: int = 1200
    min_group_size: int = 3
    rollup_refresh_seconds: float = Field(
        default=30.0,
        description="refresh the lake's rollups (catalog.rollups) in the platform process every N seconds; "
        "0: not here (run `python -m catalog.rollups` as a job)",
    )

    @model_validator(mode="after")
    def _refuse_dev_settings_in_production(self) -> PlatformSettings:
        if self.topology is not Topology.DISTRIBUTED:
            return self
        if self.oidc_issuer is None:
            raise ValueError("SMARTMFG_OIDC_ISSUER is required in the distributed topology")
        if not self.allow_dev_secrets:
            for name in ("minio_secret_key", "keycloak_client_secret"):
                if getattr(self, name) in _DEV_SECRETS:
                    raise ValueError(
                        f"SMARTMFG_{name.upper()} still has its development default; set a real secret "
                        "(or SMARTMFG_ALLOW_DEV_SECRETS=true on a test machine)"
                    )
        return self

    allow_dev_secrets: bool = False

    @property
    def embedded(self) -> bool:
        return self.topology is Topology.EMBEDDED

    @property
    def catalog_url(self) -> str:
        if self.lake_catalog_url:
            return self.lake_catalog_url
        if self.embedded:
            return f"sqlite:///{(self.data_dir / 'lake-catalog.db').resolve()}"
        return self.sqlalchemy_url

    @property
    def warehouse(self) -> str:
        if self.lake_warehouse:
            return self.lake_warehouse
        if self.embedded:
            return f"file://{(self.data_dir / 'lake').resolve()}"
        return f"s3://{self.lake_bucket}/warehouse"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'platform.db').resolve()}"


@lru_cache
def get_settings() -> PlatformSettings:
    return PlatformSettings()
