"""``<ns>.item_hours``: per hour, factory, equipment and numeric item: readings, sum, min, max (gateways send
about one reading per item and minute: a per-minute rollup would copy the readings, an hourly one is what
dashboards and benchmarks over weeks read). Counts, sums, minima and maxima combine, so new files' statistics
merge into the hours they touch (``merge_hours``); ``series`` answers whole-hour buckets from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from pyiceberg.expressions import And, GreaterThanOrEqual, LessThanOrEqual
from pyiceberg.table import Table

from catalog.query import BUCKETS, READ_OPTIONS, QueryEngine, ReadingFilter, ScanPlan, Scope
from catalog.rollups.files import Added
from catalog.rollups.tables import HOUR, KEY_COLUMNS, KEYS, Rollup, Span, current_rollup, replaced
from services.kit.arrow import UTC_US

HOURS_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        pa.field("hour", UTC_US, nullable=False),
        *KEYS,
        pa.field("readings", pa.int64(), nullable=False),
        pa.field("sum", pa.float64(), nullable=False),
        pa.field("min", pa.float64(), nullable=False),
        pa.field("max", pa.float64(), nullable=False),
    ]
)
# Hours and days are integer divisions of epoch_us(ts), turned into timestamps and dates only after the
# aggregation: several times faster than time_bucket or a cast of every TIMESTAMPTZ.
_HOURS_SQL = f"""
SELECT CAST(to_timestamp(h * 3600) AS DATE) AS day, to_timestamp(h * 3600) AS hour, {KEY_COLUMNS},
       readings, sum, min, max
FROM (
    SELECT epoch_us(ts) // 3600000000 AS h, {KEY_COLUMNS}, count(*) AS readings, sum(value_num) AS sum,
           min(value_num) AS min, max(value_num) AS max
    FROM read_parquet(?, {READ_OPTIONS}) WHERE {{where}} AND value_num IS NOT NULL
    GROUP BY ALL
)
ORDER BY day, factory_id, equipment_id, item_id, hour
"""

HOURS = Rollup("item_hours", HOURS_SCHEMA, _HOURS_SQL, HOUR)


def hourly_answers(bucket: str, tz: str, start: datetime, end: datetime) -> bool:
    """Whether every bucket of ``bucket`` in ``tz`` over [start, end) is a union of whole UTC hours: what
    ``item_hours`` can answer (not, e.g., 5-minute buckets, a range from 09:30, or days in India's +05:30)."""
    if bucket not in ("1h", "6h", "1d", "7d"):
        return False
    zone = ZoneInfo(tz)
    return all(
        t.astimezone(UTC).time().replace(hour=0) == dt_time(0)
        and (t.astimezone(zone).utcoffset() or timedelta()) % timedelta(hours=1) == timedelta()
        for t in (start, end)
    )


def series(
    engine: QueryEngine, flt: ReadingFilter, scope: Scope, bucket: str, tz: str, keys: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], ScanPlan] | None:
    """Per ``keys`` (factory_id, equipment_id) and bucket: readings, mean, min and max of the numeric readings
    ``flt`` selects, from ``item_hours`` (:func:`hourly_answers` must hold for the bucket and the range);
    None when that table is behind the readings (the caller reads the readings instead)."""
    assert flt.start is not None and flt.end is not None and set(keys) <= {"factory_id", "equipment_id"}
    table = current_rollup(engine.lake, HOURS)
    if table is None:
        return None
    bounds = ReadingFilter(**{**flt.__dict__, "start": None, "end": None, "numeric": False})
    condition = And(
        bounds.iceberg(scope),
        GreaterThanOrEqual(term="day", value=flt.start.astimezone(UTC).date().isoformat()),
        LessThanOrEqual(term="day", value=flt.end.astimezone(UTC).date().isoformat()),
    )
    plan = engine.plan(table, condition)
    if not plan.files:
        return [], plan
    where, params = bounds.sql(scope)
    # an hour is its own bucket of 1h in any whole-hour zone; wider buckets start at local boundaries
    width, zone = ("hour", []) if bucket == "1h" else (f"time_bucket({BUCKETS[bucket]}, hour, ?)", [tz])
    group = ", ".join([*keys, "bucket"])
    sql = (
        f"SELECT {', '.join([*keys, ''])}{width} AS bucket, sum(readings)::BIGINT AS readings, "
        "sum(sum) / sum(readings) AS mean, min(min) AS min, max(max) AS max "
        f"FROM read_parquet(?, {READ_OPTIONS}) WHERE {where} AND hour >= ? AND hour < ? "
        f"GROUP BY {group} ORDER BY {group}"
    )
    return engine.query(sql, [*zone, plan.files, *params, flt.start, flt.end]), plan


def merge_hours(engine: QueryEngine, table: Table, added: Sequence[Added], runs: Sequence[Span]) -> pa.Table:
    """``item_hours`` rows of the hours of ``runs``: the table's rows of those hours merged with the
    statistics of the ``added`` files alone (counts and sums add up, minima and maxima combine). Only the new
    files are read, however many readings those hours already hold."""
    parts = [f"SELECT * FROM ({_HOURS_SQL.format(where='true')})"]
    args: list[Any] = [[f.path for f in added]]
    held = engine.plan(table, replaced(runs, HOUR)).files
    if held:
        hours = " OR ".join("(hour >= ? AND hour < ?)" for _ in runs)
        parts.append(f"SELECT * FROM read_parquet(?, {READ_OPTIONS}) WHERE {hours}")
        args += [held, *(t for run in runs for t in run)]
    sql = (
        f"SELECT day, hour, {KEY_COLUMNS}, sum(readings)::BIGINT AS readings, sum(sum) AS sum, "
        f"min(min) AS min, max(max) AS max FROM ({' UNION ALL BY NAME '.join(parts)}) GROUP BY ALL "
        "ORDER BY day, factory_id, equipment_id, item_id, hour"
    )
    cursor = engine.cursor()
    try:
        result = cursor.execute(sql, args).to_arrow_table()
    finally:
        cursor.close()
    return result.select(HOURS.schema.names).cast(HOURS.schema)
