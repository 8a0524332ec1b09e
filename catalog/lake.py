"""The lake: Iceberg tables of readings and dead letters in a SQL catalog, on MinIO or a local directory."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from minio import Minio
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.table import Table
from pyiceberg.transforms import DayTransform

from services.kit import objects
from services.kit.arrow import UTC_US
from services.kit.settings import PlatformSettings

log = logging.getLogger(__name__)

NAMESPACE = "telemetry"
READINGS = f"{NAMESPACE}.readings"
DEAD_LETTERS = f"{NAMESPACE}.dead_letters"

READINGS_SCHEMA = pa.schema(
    [
        pa.field("factory_id", pa.string(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("equipment_id", pa.string(), nullable=False),
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("ts", UTC_US, nullable=False),
        pa.field("value_num", pa.float64()),
        pa.field("value_text", pa.string()),
        pa.field("unit", pa.string()),
        pa.field("quality", pa.string(), nullable=False),
        pa.field("batch_key", pa.string(), nullable=False),
        pa.field("ingested_at", UTC_US, nullable=False),
    ]
)

DEAD_LETTER_SCHEMA = pa.schema(
    [
        pa.field("factory_id", pa.string(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("field", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
        pa.field("batch_key", pa.string(), nullable=False),
        pa.field("rejected_at", UTC_US, nullable=False),
    ]
)

# What lets a query of one factory or equipment skip the others' rows, in files written sorted by them
# (compaction, bulk loads): exact bounds of the id columns in the manifests (Iceberg truncates strings to
# 16 characters by default, and "factory-bench-0001" and "factory-bench-0999" then share one bound), and
# row groups small enough for DuckDB to skip most of a large file by their statistics.
PRUNING_PROPERTIES = {
    **{
        f"write.metadata.metrics.column.{c}": "full"
        for c in ("factory_id", "org_id", "equipment_id", "item_id")
    },
    "write.parquet.row-group-limit": str(128 * 1024),
}


@dataclass(frozen=True)
class LakeConfig:
    catalog_url: str
    warehouse: str
    s3: dict[str, str]
    namespace: str = NAMESPACE

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> LakeConfig:
        s3 = (
            {
                "s3.endpoint": f"http://{settings.minio.endpoint}",
                "s3.access-key-id": settings.minio.access_key,
                "s3.secret-access-key": settings.minio.secret_key,
                "s3.region": "us-east-1",
            }
            if settings.warehouse.startswith("s3://")
            else {}
        )
        return cls(settings.catalog_url, settings.warehouse, s3, settings.lake.namespace)


class Lake:
    """Opens (and creates on first use) the catalog and the two telemetry tables."""

    def __init__(self, config: LakeConfig) -> None:
        self.config = config
        self.catalog = SqlCatalog("smartmfg", uri=config.catalog_url, warehouse=config.warehouse, **config.s3)
        self.readings_id = f"{config.namespace}.readings"
        self.dead_letters_id = f"{config.namespace}.dead_letters"

    def ensure_tables(self) -> None:
        with contextlib.suppress(NamespaceAlreadyExistsError):
            self.catalog.create_namespace(self.config.namespace)
        self._ensure(
            self.readings_id, READINGS_SCHEMA, [("ts", "ts_day", True), ("model_id", "model_id", False)]
        )
        self._ensure(self.dead_letters_id, DEAD_LETTER_SCHEMA, [("rejected_at", "rejected_day", True)])

    def _ensure(self, identifier: str, schema: pa.Schema, partitions: list[tuple[str, str, bool]]) -> None:
        try:
            self.catalog.load_table(identifier)
            return
        except NoSuchTableError:
            pass
        try:
            table = self.catalog.create_table(
                identifier,
                schema=schema,
                properties={
                    "write.target-file-size-bytes": str(128 * 1024 * 1024),
                    "write.parquet.compression-codec": "zstd",
                    **PRUNING_PROPERTIES,
                    # pyiceberg's own retry would rebase a commit but keep the snapshot properties it
                    # started with (stale bus offsets); the writer and compaction retry themselves instead.
                    "commit.retry.num-retries": "0",
                },
            )
        except TableAlreadyExistsError:
            return  # another writer won the race
        with table.update_spec() as spec:
            for source, name, by_day in partitions:
                if by_day:
                    spec.add_field(source, DayTransform(), name)
                else:
                    spec.add_identity(source)
        log.info("created lake table %s", identifier)

    def readings(self) -> Table:
        return self.catalog.load_table(self.readings_id)

    def dead_letters(self) -> Table:
        return self.catalog.load_table(self.dead_letters_id)


def snapshot_property(table: Table, key: str) -> Any:
    snapshot = table.current_snapshot()
    if snapshot is None or snapshot.summary is None:
        return None
    return snapshot.summary.additional_properties.get(key)


def ensure_bucket(settings: PlatformSettings) -> None:
    """The lake's bucket on MinIO, made on first use (a fresh MinIO has none)."""
    if not settings.warehouse.startswith("s3://"):
        return
    client = Minio(
        settings.minio.endpoint,
        access_key=settings.minio.access_key,
        secret_key=settings.minio.secret_key,
        secure=False,
    )
    objects.ensure_bucket(client, settings.lake.bucket)
