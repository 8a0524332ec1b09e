"""Response models of /api/v1/analytics (Pydantic, with the examples shown in the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Bucket = Literal["1m", "5m", "15m", "1h", "6h", "1d", "7d"]

_SCAN_EXAMPLE = {
    "snapshot_id": 3_190_557_228_843_119_005,
    "files_scanned": 2,
    "files_total": 148,
    "bytes_scanned": 48_213,
    "rows_in_scanned_files": 4_000,
}


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class ScanStats(BaseModel):
    """How much of the lake a query read: data files left after partition and file-statistics pruning."""

    model_config = _example(_SCAN_EXAMPLE)

    snapshot_id: int | None = Field(description="the Iceberg snapshot read (null: the table is empty)")
    files_scanned: int = Field(description="data files read after pruning")
    files_total: int = Field(description="data files in the snapshot")
    bytes_scanned: int
    rows_in_scanned_files: int


class LakeReading(BaseModel):
    model_config = _example(
        {
            "factory_id": "factory-sme-1-a",
            "equipment_id": "eq-1-01",
            "model_id": "cnc-lathe",
            "model_version": "1.0.0",
            "item_id": "spindle_speed",
            "ts": "2025-11-24T00:00:00Z",
            "value_num": 1200.5,
            "value_text": None,
            "unit": "rpm",
            "quality": "good",
            "ingested_at": "2025-11-24T00:00:02.120000Z",
        }
    )

    factory_id: str
    equipment_id: str
    model_id: str
    model_version: str
    item_id: str
    ts: datetime
    value_num: float | None
    value_text: str | None
    unit: str | None
    quality: str
    ingested_at: datetime


class ReadingsPage(BaseModel):
    items: list[LakeReading]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` for the next page; pages read the same snapshot"
    )
    scan: ScanStats


class SeriesPoint(BaseModel):
    model_config = _example(
        {
            "factory_id": "factory-sme-1-a",
            "equipment_id": None,
            "bucket": "2025-11-24T00:00:00Z",
            "readings": 3600,
            "mean": 1184.2,
            "min": 0.0,
            "max": 1520.0,
            "median": 1200.0,
            "p95": 1490.0,
        }
    )

    factory_id: str
    equipment_id: str | None = Field(default=None, description="set when group_by=equipment")
    bucket: datetime = Field(description="start of the time bucket")
    readings: int
    mean: float
    min: float
    max: float
    median: float | None = Field(default=None, description="null with `stats=basic`")
    p95: float | None = Field(default=None, description="null with `stats=basic`")


class Series(BaseModel):
    item_id: str
    bucket: Bucket
    tz: str
    stats: Literal["all", "basic"]
    quantiles: Literal["exact", "approx"] = Field(
        default="exact", description="how median and p95 were computed (`approx`: from a sample per bucket)"
    )
    source: Literal["readings", "rollups"] = Field(
        description="`rollups`: read from the hourly rollup (`stats=basic`, whole hours), not the readings"
    )
    items: list[SeriesPoint]
    scan: ScanStats = Field(description="the files read: of the readings, or of the hourly rollup")


_BENCHMARK_POINT = {
    "bucket": "2025-11-24T00:00:00Z",
    "factories": 7,
    "readings": 25200,
    "mean": 1163.9,
    "median": 1180.0,
    "p95": 1475.0,
}


class BenchmarkPoint(BaseModel):
    model_config = _example(_BENCHMARK_POINT)

    bucket: datetime
    factories: int = Field(description="distinct factories in the group (never below min_group_size)")
    readings: int
    mean: float = Field(description="mean of every reading of the bucket's factories")
    median: float | None = Field(default=None, description="of the readings; null with `stats=basic`")
    p95: float | None = Field(default=None, description="of the readings; null with `stats=basic`")


class Benchmarks(BaseModel):
    model_config = _example(
        {
            "model_id": "cnc-lathe",
            "item_id": "spindle_speed",
            "bucket": "1d",
            "tz": "Asia/Seoul",
            "stats": "all",
            "source": "readings",
            "min_group_size": 3,
            "suppressed_groups": 2,
            "items": [_BENCHMARK_POINT],
            "scan": _SCAN_EXAMPLE,
        }
    )

    model_id: str
    item_id: str
    bucket: Bucket
    tz: str
    stats: Literal["all", "basic"]
    source: Literal["readings", "rollups"] = Field(
        description="`rollups`: from the peer table (`stats=basic`, whole UTC days) or combined from each "
        "factory's hourly rollup (`stats=basic`, whole hours)"
    )
    min_group_size: int
    suppressed_groups: int = Field(description="groups left out because too few factories are in them")
    items: list[BenchmarkPoint]
    scan: ScanStats


class TableInfo(BaseModel):
    model_config = _example(
        {
            "table": "telemetry.readings",
            "location": "s3://smartmfg-lake/warehouse/telemetry/readings",
            "partitioning": ["ts_day=day", "model_id=identity"],
            "snapshots": 412,
            "current_snapshot_id": 3_190_557_228_843_119_005,
            "last_commit_at": "2025-11-24T00:00:03.400000Z",
            "last_operation": "append",
            "data_files": 148,
            "records": 1_250_000,
            "size_bytes": 9_800_000,
            "bus_offsets": {"0": 1520, "1": 1498},
        }
    )

    table: str
    location: str
    partitioning: list[str]
    snapshots: int
    current_snapshot_id: int | None
    last_commit_at: datetime | None
    last_operation: str | None
    data_files: int
    records: int
    size_bytes: int
    bus_offsets: dict[str, int] = Field(description="next bus offset per partition, stored in the snapshot")


class Tables(BaseModel):
    items: list[TableInfo]
