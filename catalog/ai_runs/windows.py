"""The windows a signature asks for, built from readings: resampled to its interval, cut to its length.

Readings come as ``READINGS_SHAPE`` (equipment, item, ts, value): an SME's own rows of the lake
(``read_readings``) or a shared dataset's snapshot. Each item's readings are averaged per interval
(``floor(epoch_us(ts) / interval)``); a window is ``window_length`` consecutive intervals aligned to the
epoch (UTC). Only **complete** windows are scored: every item has a value in every interval (a gap is not
filled in: a model fed invented values would answer about them). DuckDB does the grouping; it reads the
readings from Arrow without a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter, Scope
from services.kit.arrow import UTC_US
from services.usecases.runnable.signature import Signature

READINGS_SHAPE = pa.schema(
    [
        pa.field("equipment", pa.string()),
        pa.field("item", pa.string()),
        pa.field("ts", UTC_US),
        pa.field("value", pa.float64()),
    ]
)
WINDOWS_SCHEMA = pa.schema(
    [
        pa.field("equipment", pa.string(), nullable=False),
        pa.field("window_start", UTC_US, nullable=False),
        pa.field("window_end", UTC_US, nullable=False),
        pa.field("features", pa.list_(pa.float32()), nullable=False),
    ]
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Parameters: the items (their order is the input's), the interval and window length in microseconds and
# values, then the signature's feature count. ``k * L + position`` is the value's place in the input row.
_WINDOWS_SQL = """
WITH buckets AS (
    SELECT equipment, list_position($items, item) - 1 AS k, epoch_us(ts) // $interval AS b, avg(value) AS v
    FROM readings
    WHERE list_contains($items, item) AND value IS NOT NULL AND isfinite(value)
    GROUP BY ALL
)
SELECT equipment, b // $length AS w, list(CAST(v AS FLOAT) ORDER BY k * $length + b % $length) AS features
FROM buckets
GROUP BY equipment, w
HAVING count(*) = $features
ORDER BY equipment, w
"""


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def windows_of(readings: pa.Table, signature: Signature) -> pa.Table:
    """The complete windows (WINDOWS_SCHEMA) of ``readings`` (READINGS_SHAPE), by equipment and start."""
    con = duckdb.connect(":memory:", config={"threads": 1})
    try:
        con.register("readings", readings.select(READINGS_SHAPE.names))
        found = con.execute(
            _WINDOWS_SQL,
            {
                "items": list(signature.items),
                "interval": signature.interval_seconds * 1_000_000,
                "length": signature.window_length,
                "features": signature.features,
            },
        ).to_arrow_table()
    finally:
        con.close()
    width = signature.window_seconds * 1_000_000
    starts = pa.array(found["w"].to_numpy() * width).cast(UTC_US)
    ends = pa.array(found["w"].to_numpy() * width + width).cast(UTC_US)
    return pa.table(
        {
            "equipment": found["equipment"].cast(pa.string()),
            "window_start": starts,
            "window_end": ends,
            "features": found["features"].cast(pa.list_(pa.float32())),
        },
        schema=WINDOWS_SCHEMA,
    )


def read_readings(
    engine: QueryEngine,
    scope: Scope,
    *,
    factory_id: str,
    equipment_id: str,
    model_id: str,
    items: Sequence[str],
    start: datetime | None,
    end: datetime | None,
    snapshot_id: int | None,
) -> pa.Table:
    """The numeric readings (READINGS_SHAPE) of one equipment's items in [start, end) at ``snapshot_id``,
    as ``scope`` lets the caller read them (catalog.tenancy)."""
    flt = ReadingFilter(
        factory_ids=(factory_id,),
        model_id=model_id,
        item_ids=tuple(items),
        equipment_id=equipment_id,
        start=start,
        end=end,
        numeric=True,
    )
    plan = engine.plan(engine.lake.readings(), flt.iceberg(scope), snapshot_id)
    if not plan.files:
        return READINGS_SHAPE.empty_table()
    where, params = flt.sql(scope)
    cursor = engine.cursor()
    try:
        return cursor.execute(
            "SELECT equipment_id AS equipment, item_id AS item, ts, value_num AS value "
            f"FROM read_parquet(?, {READ_OPTIONS}) WHERE {where}",
            [plan.files, *params],
        ).to_arrow_table()
    finally:
        cursor.close()


def equipment_models(engine: QueryEngine, scope: Scope, factory_id: str, equipment_id: str) -> list[str]:
    """The equipment models whose readings of this equipment ``scope`` lets the caller read."""
    flt = ReadingFilter(factory_ids=(factory_id,), equipment_id=equipment_id)
    plan = engine.plan(engine.lake.readings(), flt.iceberg(scope))
    if not plan.files:
        return []
    where, params = flt.sql(scope)
    rows = engine.query(
        f"SELECT DISTINCT model_id FROM read_parquet(?, {READ_OPTIONS}) WHERE {where} ORDER BY model_id",
        [plan.files, *params],
    )
    return [row["model_id"] for row in rows]
