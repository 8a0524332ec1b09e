"""``<ns>.item_hours``: per hour, factory, equipment and numeric item: readings, sum, min, max (gateways send
about one reading per item and minute: a per-minute rollup would copy the readings, an hourly one is what
dashboards and benchmarks over weeks read). Its rows are the numeric statistics of ``item_pieces``, copied
for the hours a refresh recomputed (the readings are scanned once, for the pieces); ``series`` answers
whole-hour buckets from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from pyiceberg.expressions import And, GreaterThanOrEqual, LessThanOrEqual

from catalog.engines import TrinoEngine
from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter, ScanPlan, Scope
from catalog.rollups.tables import (
    HOUR,
    KEY_COLUMNS,
    KEYS,
    Rollup,
    Source,
    Span,
    Statement,
    current_rollup,
    replaced,
)
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
# Copied from the numeric pieces (``inc`` set) of the hours of a run: the readings are read once, by
# ``item_pieces``. Parameters: the source's, the run's start and end.
_HOURS_SQL = f"""
SELECT day, hour, {KEY_COLUMNS}, readings, sum, min, max
FROM {{source}} WHERE inc IS NOT NULL AND hour >= ? AND hour < ?
ORDER BY day, factory_id, equipment_id, item_id, hour
"""


def compute(engine: QueryEngine, source: Source, run: Span) -> pa.Table:
    """The rows of the hours of ``run`` from the pieces at ``source``'s snapshot."""
    plan = engine.plan(source.table, replaced([run], HOUR), source.snapshot_id)
    if not plan.files:
        return HOURS_SCHEMA.empty_table()
    cursor = engine.cursor()
    try:
        files = f"read_parquet(?, {READ_OPTIONS})"
        result = cursor.execute(_HOURS_SQL.format(source=files), [plan.files, *run]).to_arrow_table()
    finally:
        cursor.close()
    return result.select(HOURS_SCHEMA.names).cast(HOURS_SCHEMA)


def insert(engine: QueryEngine, trino: TrinoEngine, source: Source, run: Span) -> list[Statement]:
    """On the Trino path: the statement inserting the rows of the whole days of ``run`` from the pieces at
    ``source``'s snapshot."""
    pieces, _ = trino.source(source.table.name(), source.snapshot_id, [])
    target = trino.table((*source.table.name()[:-1], HOURS_NAME))
    columns = ", ".join(HOURS_SCHEMA.names)
    return [(f"INSERT INTO {target} ({columns}) {_HOURS_SQL.format(source=pieces)}", [*run])]


HOURS_NAME = "item_hours"
HOURS = Rollup(HOURS_NAME, HOURS_SCHEMA, HOUR, compute, derived=True, insert=insert)


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
    ``flt`` selects, from ``item_hours`` (:func:`hourly_answers` must hold for the bucket and the range), on
    the engine that answers the readings (DuckDB or Trino, at the planned snapshot); None when that table is
    behind the readings (the caller reads the readings instead)."""
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
    if not plan.files or plan.snapshot_id is None:
        return [], plan
    # on the engine that answers the readings: the hours as ``ts`` for its bucket expression
    sql_engine = engine.engine
    source, source_params = sql_engine.source(plan.table, plan.snapshot_id, plan.files)
    # A UTC day is the table's own ``day`` column: grouping by it spares a zone-aware bucket of every row,
    # most of the work over a month of a thousand factories (6.5 s of CPU against 0.13 s, DuckDB).
    utc_days = bucket == "1d" and tz == "UTC"
    width, zones = ("day", 0) if utc_days else sql_engine.bucket(bucket)
    where, params = bounds.sql(scope)
    groups = ", ".join(str(i) for i in range(1, len(keys) + 2))  # the keys and the bucket, by position
    sql = (
        f"SELECT {', '.join([*keys, ''])}{width} AS bucket, CAST(sum(readings) AS BIGINT) AS readings, "
        'sum("sum") / sum(readings) AS mean, min("min") AS min, max("max") AS max '
        f"FROM (SELECT *, hour AS ts FROM {source} WHERE {where} AND hour >= ? AND hour < ?) AS hours "
        f"GROUP BY {groups} ORDER BY {groups}"
    )
    args = [*[tz] * zones, *source_params, *params, flt.start, flt.end]
    rows = sql_engine.rows(sql, args)
    if utc_days:  # the day's start, as the bucket expression gives it
        for row in rows:
            row["bucket"] = datetime.combine(row["bucket"], dt_time(0), UTC)
    return rows, plan
