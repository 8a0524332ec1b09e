"""Settings of the platform deployables, read from the environment (prefix ``SMARTMFG_``).

Settings are grouped by the deployable or server they configure; a group's fields are read from
``SMARTMFG_<GROUP>_<FIELD>`` (``SMARTMFG_LAKE_BUCKET`` is ``settings.lake.bucket``), so a pod's
environment names the group it belongs to."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Topology(StrEnum):
    EMBEDDED = "embedded"
    DISTRIBUTED = "distributed"


# Defaults that are only acceptable on a developer's laptop: the distributed topology refuses them.
_DEV_SECRETS = {"smartmfg-minio-secret", "smartmfg-api-secret", "change-me"}


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file in data_dir (embedded)."
    )


class KafkaSettings(BaseModel):
    bootstrap: str = "127.0.0.1:59092"


class BusSettings(BaseModel):
    """The event bus between the upload path and the lake writers."""

    kind: Literal["local", "kafka"] | None = Field(
        default=None, description="a local log (embedded default) or Kafka (distributed default)"
    )
    topic_prefix: str = Field(default="smartmfg", description="topics are <prefix>.telemetry.v1 ...")
    partitions: int = Field(default=6, description="partitions of each topic the platform creates")
    replication_factor: int = Field(
        default=1, ge=1, description="copies of each partition of the topics the platform creates (3 in HA)"
    )
    min_insync_replicas: int = Field(
        default=1,
        ge=1,
        description="copies an acks=all write must reach before it is accepted (2 of 3 in HA: one broker "
        "may be lost without refusing or losing a batch)",
    )


class MinioSettings(BaseModel):
    endpoint: str = "127.0.0.1:59000"
    access_key: str = "smartmfg"
    secret_key: str = "smartmfg-minio-secret"


class LakeSettings(BaseModel):
    bucket: str = "smartmfg-lake"
    catalog_url: str | None = Field(
        default=None, description="Iceberg SQL catalog; defaults to database_url (distributed) or SQLite."
    )
    warehouse: str | None = Field(
        default=None, description="Iceberg warehouse; defaults to s3://<bucket>/warehouse or data_dir/lake."
    )
    namespace: str = Field(default="telemetry", description="Iceberg namespace of the lake's tables")


class DocumentsSettings(BaseModel):
    """Evidence documents of deployment records."""

    store: Literal["local", "minio"] | None = Field(
        default=None, description="a local directory (embedded default) or MinIO (distributed)"
    )
    bucket: str = "smartmfg-documents"
    max_bytes: int = Field(default=10 * 1024 * 1024, description="largest evidence document")


class DeploymentsSettings(BaseModel):
    """The deployments service's rules that an operator may tune."""

    review_within_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="a confirmed record is to be verified by its regional agency within this many days; the "
        "workspace answer carries it and the agency's queue flags the records past it",
    )


class OidcSettings(BaseModel):
    issuer: str | None = Field(default=None, description="Keycloak realm URL; None = dev issuer.")
    audience: str = "smartmfg-api"


class KeycloakSettings(BaseModel):
    """The identity service's admin client (onboarding, gateway clients)."""

    url: str = "http://127.0.0.1:58080"
    realm: str = "smartmfg"
    client_id: str = "smartmfg-api"
    client_secret: str = "smartmfg-api-secret"


class UploadSettings(BaseModel):
    """The ingest service's upload path."""

    max_bytes: int = 32 * 1024 * 1024
    max_decompressed_bytes: int = Field(
        default=128 * 1024 * 1024, description="Limit of a gzip-encoded upload once inflated (gzip bombs)."
    )
    future_tolerance_seconds: int = Field(
        default=300, description="how far in the future (gateway clock drift) a reading's time may be"
    )


class RateLimitSettings(BaseModel):
    """The gateway's limits; 0 turns one off."""

    uploads_per_minute: int = Field(default=600, description="per gateway client")
    public_per_minute: int = Field(default=1200, description="per address, requests without a valid token")
    portal_per_minute: int = Field(default=600, description="per address, portal pages (static files aside)")


class CacheSettings(BaseModel):
    """Budgets of the process's caches (services.kit.cache): bytes each may hold, seconds an entry lives.
    The defaults total 44 MiB."""

    portal_bytes: int = Field(default=8 * 1024 * 1024, description="public API answers the portal read")
    pages_bytes: int = Field(default=4 * 1024 * 1024, description="browse pages of signed-out visitors")
    rendered_bytes: int = Field(default=12 * 1024 * 1024, description="JSON of stored entities")
    answers_bytes: int = Field(default=4 * 1024 * 1024, description="facet counts, search hits, aggregates")
    reference_bytes: int = Field(
        default=8 * 1024 * 1024, description="standards, factories and registers read from other services"
    )
    manifests_bytes: int = Field(default=8 * 1024 * 1024, description="Iceberg manifest lists and manifests")
    portal_seconds: float = Field(
        default=615.0, description="a portal answer: fresh for 15 s, then served stale while refreshed"
    )
    pages_seconds: float = Field(default=615.0, description="a kept page: no longer than its answers")
    rendered_seconds: float = 3600.0
    answers_seconds: float = 600.0
    reference_seconds: float = Field(
        default=3600.0, description="at most; each lookup's own time is reference_cache_seconds"
    )
    manifests_seconds: float = 3600.0


class WriterSettings(BaseModel):
    """The lake writers (a pod each, or threads of the embedded platform process)."""

    embedded: bool = Field(default=True, description="embedded topology: run the writers in the app process")
    group: str = "smartmfg-lake-writer"
    flush_seconds: float = 1.0
    flush_rows: int = 1_000_000
    dedupe_hours: float = Field(
        default=168.0,
        description="a lake writer skips bus messages whose batch key the lake got within this many hours "
        "(a republished batch); older retries are caught by the upload ledger",
    )


class TrinoSettings(BaseModel):
    """A Trino server whose Iceberg catalog reads the lake's JDBC catalog and bucket (infra/trino); its
    schema is the lake's namespace (``lake.namespace``)."""

    url: str = Field(default="http://127.0.0.1:58090", description="the coordinator, http(s)://host:port")
    catalog: str = Field(default="lake", description="the Trino catalog of the lake's Iceberg tables")
    user: str = Field(default="smartmfg", description="the user queries run as")


class AnalyticsSettings(BaseModel):
    engine: Literal["duckdb", "trino"] = Field(
        default="duckdb",
        description="what answers readings, series, benchmarks and exports: DuckDB in this process, or "
        "the Trino server of `trino.url` over the same snapshot (catalog.engines)",
    )
    rollup_refresh_seconds: float = Field(
        default=30.0,
        description="refresh the lake's rollups (catalog.rollups) in the platform process every N seconds; "
        "0: not here (run `python -m catalog.rollups` as a job)",
    )
    rollup_engine: Literal["duckdb", "trino"] = Field(
        default="duckdb",
        description="what computes the rollups: DuckDB in the refreshing process, or the Trino server of "
        "`trino.url` by INSERTs into the lake's tables, by whole days (catalog.rollups.watermark)",
    )


class WarmupSettings(BaseModel):
    """The one-time work a process does after start-up, before /readyz says ready (services.kit.warmup)."""

    enabled: bool = Field(
        default=False,
        description="warm up before reporting ready; `smartmfg serve` and `smartmfg run` (so `make run` "
        "and the Helm chart) turn it on unless SMARTMFG_WARMUP_ENABLED says otherwise; apps built in-process "
        "(tests, benchmarks) leave it off",
    )
    budget_seconds: float = Field(
        default=30.0,
        description="the warm-up stops starting work after this long and the process reports ready anyway",
    )


class AiSettings(BaseModel):
    """Runnable AI cases (catalog.ai_runs): model files and the limits of a run's child process."""

    bucket: str = Field(default="smartmfg-models", description="model files by SHA-256 (distributed)")
    model_max_bytes: int = Field(default=20 * 1024 * 1024, description="largest ONNX model a case carries")
    cpu_seconds: int = Field(default=60, description="CPU seconds a model may use per run (RLIMIT_CPU)")
    memory_bytes: int = Field(default=1024 * 1024 * 1024, description="address space of a run (RLIMIT_AS)")
    wall_seconds: float = Field(default=120.0, description="a run's child is killed after this")
    follow_seconds: float = Field(
        default=60.0, description="score new readings of every applied case every N seconds; 0: never"
    )


class PlatformSettings(BaseSettings):
    """Everything a platform process needs; one instance per process, built in the app factory."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTMFG_",
        env_file=".env",
        extra="ignore",
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    topology: Topology = Topology.EMBEDDED
    data_dir: Path = Path(".data")
    public_url: str = "http://127.0.0.1:8000"
    allow_dev_secrets: bool = False
    # Distributed topology: where the gateway forwards each service ("" = mounted in-process).
    service_urls: dict[str, str] = Field(default_factory=dict)
    min_group_size: int = Field(
        default=3,
        description="disclosure control: a published aggregate (benchmark, figure) needs this many "
        "factories or records",
    )
    reference_cache_seconds: float = Field(
        default=60.0,
        description="how long a process trusts what it read from another service "
        "(equipment models, factory registries, KPI item roles)",
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    minio: MinioSettings = Field(default_factory=MinioSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)
    documents: DocumentsSettings = Field(default_factory=DocumentsSettings)
    deployments: DeploymentsSettings = Field(default_factory=DeploymentsSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    keycloak: KeycloakSettings = Field(default_factory=KeycloakSettings)
    upload: UploadSettings = Field(default_factory=UploadSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    writer: WriterSettings = Field(default_factory=WriterSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    trino: TrinoSettings = Field(default_factory=TrinoSettings)
    ai: AiSettings = Field(default_factory=AiSettings)
    warmup: WarmupSettings = Field(default_factory=WarmupSettings)

    @model_validator(mode="after")
    def _refuse_dev_settings_in_production(self) -> PlatformSettings:
        if self.topology is not Topology.DISTRIBUTED:
            return self
        if self.oidc.issuer is None:
            raise ValueError("SMARTMFG_OIDC_ISSUER is required in the distributed topology")
        if not self.allow_dev_secrets:
            for env, value in (
                ("SMARTMFG_MINIO_SECRET_KEY", self.minio.secret_key),
                ("SMARTMFG_KEYCLOAK_CLIENT_SECRET", self.keycloak.client_secret),
            ):
                if value in _DEV_SECRETS:
                    raise ValueError(
                        f"{env} still has its development default; set a real secret "
                        "(or SMARTMFG_ALLOW_DEV_SECRETS=true on a test machine)"
                    )
        return self

    def replaced(self, **changes: Any) -> PlatformSettings:
        """A copy with some settings changed, validated like the original; a group's changes are a
        dict of its fields (``replaced(lake={"bucket": "b"})`` keeps the lake's other fields)."""
        values = self.model_dump()
        for name, value in changes.items():
            merge = isinstance(value, dict) and isinstance(getattr(self, name), BaseModel)
            values[name] = {**values[name], **value} if merge else value
        return type(self).model_validate(values)

    def environment(self) -> dict[str, str]:
        """These settings as the ``SMARTMFG_*`` variables that give them to a child process."""
        env: dict[str, str] = {}
        for name, value in self:
            pairs = (
                [(f"{name}_{f}", v) for f, v in value] if isinstance(value, BaseModel) else [(name, value)]
            )
            for key, item in pairs:
                if item is not None:
                    env[f"SMARTMFG_{key.upper()}"] = json.dumps(item) if isinstance(item, dict) else str(item)
        return env

    @property
    def embedded(self) -> bool:
        return self.topology is Topology.EMBEDDED

    @property
    def catalog_url(self) -> str:
        if self.lake.catalog_url:
            return self.lake.catalog_url
        if self.embedded:
            return f"sqlite:///{(self.data_dir / 'lake-catalog.db').resolve()}"
        return self.sqlalchemy_url

    @property
    def warehouse(self) -> str:
        if self.lake.warehouse:
            return self.lake.warehouse
        if self.embedded:
            return f"file://{(self.data_dir / 'lake').resolve()}"
        return f"s3://{self.lake.bucket}/warehouse"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'platform.db').resolve()}"

    @property
    def bus_kind(self) -> Literal["local", "kafka"]:
        return self.bus.kind or ("local" if self.embedded else "kafka")


@lru_cache
def get_settings() -> PlatformSettings:
    return PlatformSettings()
