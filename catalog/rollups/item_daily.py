"""``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
item the seconds spent in each value and the readings that entered it from each previous value; for a
numeric item its counter increase. ``catalog.kpis`` turns them into ISO 22400-2 elements with the roles of
the model, exactly as it does from raw readings (``tests/catalog/test_rollups.py`` checks both agree).

Derived from the hourly pieces (``catalog.rollups.item_pieces``, a table of their own), never from the
readings: ``DAYS_SQL`` sums a day's pieces, with the day before's for what carries in. What a piece hands to
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

from catalog.lake import Lake, snapshot_property
from catalog.query import READ_OPTIONS, QueryEngine
from catalog.rollups.files import added_files, appended_since
from catalog.rollups.item_pieces import INCREASE
from catalog.rollups.tables import (
    CLOSED_KEY,
    DAY,
    KEY_COLUMNS,
    KEYS,
    WATERMARK_KEY,
    Rollup,
    Source,
    Span,
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
# and the days' rows. Parameters: the days (start instants), the end of the run (the last reading lasts
# until it).
DAYS_SQL = f"""
WITH days AS (SELECT unnest(?::TIMESTAMPTZ[]) AS d0),
first_h AS (SELECT epoch_us(min(d0)) // 3600000000 AS h0 FROM days),
ends AS (
    SELECT {KEY_COLUMNS}, h, last_ts, value_text AS last_text, prev_text AS last_prev,
           lag(value_text) OVER k AS before_text, coalesce(lead(first_ts) OVER k, ?::TIMESTAMPTZ) AS next_ts
    FROM pieces WHERE first_ts IS NOT NULL
    WINDOW k AS (PARTITION BY {KEY_COLUMNS} ORDER BY h)
),
entries AS (
    SELECT CAST(to_timestamp(h * 3600) AS DATE) AS day, {KEY_COLUMNS}, p.value_text,
           coalesce(p.prev_text, before_text) AS prev_text, seconds, readings
    FROM pieces p JOIN ends USING ({KEY_COLUMNS}, h), first_h
    WHERE p.seconds IS NOT NULL AND h >= h0
    UNION ALL
    SELECT CAST(d.d0 AS DATE), {KEY_COLUMNS}, last_text, coalesce(last_prev, before_text),
           epoch(least(next_ts, d.d0 + INTERVAL 1 DAY)) - epoch(greatest(last_ts, d.d0)), 0
    FROM ends JOIN days d ON last_ts < d.d0 + INTERVAL 1 DAY AND next_ts > d.d0
),
counted AS (
    SELECT h // 24 AS dn, {KEY_COLUMNS}, readings,
           inc + {INCREASE.format(value="first_num", prev="carried")} AS inc
    FROM (SELECT *, lag(last_num) OVER (PARTITION BY {KEY_COLUMNS} ORDER BY h) AS carried
          FROM pieces WHERE inc IS NOT NULL)
)
SELECT day, {KEY_COLUMNS}, value_text, prev_text, sum(seconds)::DOUBLE AS seconds, NULL::DOUBLE AS increase,
       sum(readings)::BIGINT AS readings
FROM entries GROUP BY ALL
UNION ALL
SELECT DATE '1970-01-01' + CAST(dn AS INTEGER), {KEY_COLUMNS}, NULL, NULL, 0.0, sum(inc)::DOUBLE,
       sum(readings)
FROM counted, first_h WHERE dn >= h0 // 24 GROUP BY ALL
ORDER BY day, factory_id, equipment_id, item_id
"""


def compute(engine: QueryEngine, source: Source, run: Span) -> pa.Table:
    """The daily rows of the days of ``run`` from the pieces at ``source``'s snapshot (and the day before)."""
    days = days_of((run[0] - LOOKBACK, run[1]))
    plan = engine.plan(
        source.table, In(term="day", literals={d.isoformat() for d in days}), source.snapshot_id
    )
    if not plan.files:
        return DAILY_SCHEMA.empty_table()
    cursor = engine.cursor()
    try:
        pieces = cursor.execute(
            f"SELECT *, epoch_us(hour) // 3600000000 AS h FROM read_parquet(?, {READ_OPTIONS})", [plan.files]
        ).to_arrow_table()
        cursor.register("pieces", pieces)
        result = cursor.execute(DAYS_SQL, [[start_of(d) for d in days_of(run)], run[1]]).to_arrow_table()
    finally:
        cursor.close()
    return result.select(DAILY_SCHEMA.names).cast(DAILY_SCHEMA)


DAILY = Rollup("item_daily", DAILY_SCHEMA, DAY, compute, derived=True)


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
