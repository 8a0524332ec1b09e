"""``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
item the seconds spent in each value and the readings that entered it from each previous value; for a
numeric item its counter increase. ``catalog.kpis`` turns them into ISO 22400-2 elements with the roles of
the model, exactly as it does from raw readings (``tests/catalog/test_rollups.py`` checks both agree).

Derived from the hourly pieces (``catalog.rollups.item_pieces``, a table of their own), never from the
readings: ``days_sql`` sums a day's pieces, with the day before's for what carries in. What a piece hands to
the next (a counter's last value, a state's last reading and the value before it) is all that crosses an
hour, so the days are the same as one pass over the readings would give, and a late file costs the pieces of
the hours it touched plus a read of two days' pieces. Medians and p95 do not compose this way and are not
held.

Only closed days (before the current UTC day) are held; ``closed_rollup`` says whether the table holds the
readings' current data of every day a reader asks for."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import In
from pyiceberg.table import Table

from catalog.engines import DuckDbEngine, SqlEngine, TrinoEngine
from catalog.lake import Lake, snapshot_property
from catalog.query import READ_OPTIONS, QueryEngine
from catalog.rollups.files import added_files, appended_since
from catalog.rollups.item_pieces import INCREASE
from catalog.rollups.tables import (
    CLOSED_KEY,
    DAY,
    KEY_COLUMNS,
    KEY_NAMES,
    KEYS,
    WATERMARK_KEY,
    Rollup,
    Source,
    Span,
    Statement,
    days_of,
    start_of,
)
from services.kit.cache import Cache

LOOKBACK = DAY  # as catalog.kpis.LOOKBACK: the last state and counter value of the day before carry in
DAILY_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        *KEYS,
        pa.field("value_text", pa.string()),  # a text item's value; null: a numeric item
        pa.field("prev_text", pa.string()),  # the value before it (null: none within the look-back)
        pa.field("seconds", pa.float64(), nullable=False),  # time in value_text within the day
        pa.field("increase", pa.float64()),  # a numeric item's counter increase (resets count from 0)
        pa.field("readings", pa.int64(), nullable=False),  # readings in the day
    ]
)


# Over the pieces of the run and the day before (thousands of times fewer rows than readings): the
# state each piece hands to the next — the last value before it, the time its last reading lasts until —
# and the days' rows.
def days_sql(sql: SqlEngine, pieces: str) -> str:
    """The daily rows of some days from the pieces of ``pieces`` (a FROM item) in ``sql``'s dialect.
    Parameters: ``pieces``' own, the first day of the pieces read and the day after the last, the days
    (their start instants, one array), the end of the run (the last reading lasts until it)."""
    hour_day = f"CAST({sql.hour_start('h')} AS DATE)"
    next_day = "d.d0 + INTERVAL '1' DAY"
    return f"""
WITH pieces AS (SELECT *, {sql.hour_key("hour")} AS h FROM {pieces} WHERE day >= ? AND day < ?),
days AS ({sql.unnest([("d0", "timestamptz")])}),
first_h AS (SELECT {sql.hour_key("min(d0)")} AS h0 FROM days),
ends AS (
    SELECT {KEY_COLUMNS}, h, last_ts, value_text AS last_text, prev_text AS last_prev,
           lag(value_text) OVER k AS before_text,
           coalesce(lead(first_ts) OVER k, {sql.cast("?", "timestamptz")}) AS next_ts
    FROM pieces WHERE first_ts IS NOT NULL
    WINDOW k AS (PARTITION BY {KEY_COLUMNS} ORDER BY h)
),
entries AS (
    SELECT {hour_day} AS day, {KEY_COLUMNS}, p.value_text, coalesce(p.prev_text, before_text) AS prev_text,
           seconds, readings
    FROM pieces p JOIN ends USING ({KEY_COLUMNS}, h) CROSS JOIN first_h
    WHERE p.seconds IS NOT NULL AND h >= h0
    UNION ALL
    SELECT CAST(d.d0 AS DATE), {KEY_COLUMNS}, last_text, coalesce(last_prev, before_text),
           {sql.epoch(f"least(next_ts, {next_day})")} - {sql.epoch("greatest(last_ts, d.d0)")}, 0
    FROM ends JOIN days d ON last_ts < {next_day} AND next_ts > d.d0
),
counted AS (
    SELECT {hour_day} AS day, {KEY_COLUMNS}, readings,
           inc + {INCREASE.format(value="first_num", prev="carried")} AS inc
    FROM (SELECT *, lag(last_num) OVER (PARTITION BY {KEY_COLUMNS} ORDER BY h) AS carried
          FROM pieces WHERE inc IS NOT NULL) AS numeric_pieces
)
SELECT day, {KEY_COLUMNS}, value_text, prev_text, CAST(sum(seconds) AS DOUBLE) AS seconds,
       CAST(NULL AS DOUBLE) AS increase, CAST(sum(readings) AS BIGINT) AS readings
FROM entries GROUP BY {_positions(len(KEY_NAMES) + 3)}
UNION ALL
SELECT day, {KEY_COLUMNS}, NULL, NULL, CAST(0 AS DOUBLE), CAST(sum(inc) AS DOUBLE),
       CAST(sum(readings) AS BIGINT)
FROM counted CROSS JOIN first_h WHERE day >= CAST({sql.hour_start("h0")} AS DATE)
GROUP BY {_positions(len(KEY_NAMES) + 1)}
ORDER BY day, factory_id, equipment_id, item_id
"""


def _positions(count: int) -> str:
    return ", ".join(str(i) for i in range(1, count + 1))


def days_params(run: Span) -> list[Any]:
    """``days_sql``'s parameters after its source's: the pieces of the days of ``run`` and the day before."""
    return [(run[0] - LOOKBACK).date(), run[1].date(), [start_of(d) for d in days_of(run)], run[1]]


def compute(engine: QueryEngine, source: Source, run: Span) -> pa.Table:
    """The daily rows of the days of ``run`` from the pieces at ``source``'s snapshot (and the day before)."""
    days = days_of((run[0] - LOOKBACK, run[1]))
    plan = engine.plan(
        source.table, In(term="day", literals={d.isoformat() for d in days}), source.snapshot_id
    )
    if not plan.files:
        return DAILY_SCHEMA.empty_table()
    sql = days_sql(DuckDbEngine(engine.cursor), f"read_parquet(?, {READ_OPTIONS})")
    cursor = engine.cursor()
    try:
        result = cursor.execute(sql, [plan.files, *days_params(run)]).to_arrow_table()
    finally:
        cursor.close()
    return result.select(DAILY_SCHEMA.names).cast(DAILY_SCHEMA)


def insert(engine: QueryEngine, trino: TrinoEngine, source: Source, run: Span) -> list[Statement]:
    """On the Trino path: the statement inserting the rows of the days of ``run`` from the pieces at
    ``source``'s snapshot."""
    pieces, params = trino.source(source.table.name(), source.snapshot_id, [])
    target = trino.table((*source.table.name()[:-1], DAILY_NAME))
    columns = ", ".join(DAILY_SCHEMA.names)
    return [(f"INSERT INTO {target} ({columns}) {days_sql(trino, pieces)}", [*params, *days_params(run)])]


DAILY_NAME = "item_daily"
DAILY = Rollup(DAILY_NAME, DAILY_SCHEMA, DAY, compute, derived=True, insert=insert)


def closed_rollup(
    lake: Lake, until: date, manifests: Cache[Any] | None = None, rollup: Rollup = DAILY
) -> Table | None:
    """The daily rollup (or another day rollup, ``rollup``) if it holds the readings' current data of every
    day before ``until`` (a reader may use it for those days instead), else None: not made yet, not
    refreshed since one of them closed, or new readings of one of them arrived since its last refresh.
    Readings of the live day do not count: a day rollup is good for the days before while they stream in."""
    try:
        table = lake.catalog.load_table(f"{lake.config.namespace}.{rollup.name}")
    except NoSuchTableError:
        return None
    raw, closed = snapshot_property(table, WATERMARK_KEY), snapshot_property(table, CLOSED_KEY)
    if not raw or not closed or date.fromisoformat(closed) < until:
        return None
    readings = lake.readings()
    since = appended_since(readings, int(raw))
    if since.current is None or not since.found:
        return None
    # a new reading of day d changes d and the day after (its carried-in state): both before ``until`` or not
    added = added_files(readings, since.appends, manifests)
    return None if any(file.first.date() < until for file in added) else table
