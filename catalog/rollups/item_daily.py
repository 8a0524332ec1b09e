"""``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
item the seconds spent in each value and the readings that entered it from each previous value; for a
numeric item its counter increase. ``catalog.kpis`` turns them into ISO 22400-2 elements with the roles of
the model, exactly as it does from raw readings (``tests/catalog/test_rollups.py`` checks both agree).

Computed from hourly pieces in two SQL steps (``PIECES_SQL`` over the readings, ``DAYS_SQL`` over the pieces;
``compute``): what a piece hands to the next (a counter's last value, a state's last reading and the value
before it) is all that crosses an hour, so pieces are computed in chunks of hours and give the same rows as
one pass over the whole day. Medians and p95 do not compose this way and are not held.

Only closed days (before the current UTC day) are held; ``closed_rollup`` says whether the table holds the
readings' current data of every day a reader asks for."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from catalog.lake import Lake, snapshot_property
from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter
from catalog.rollups.files import added_files, appended_since
from catalog.rollups.tables import (
    CLOSED_KEY,
    DAY,
    HOUR,
    KEY_COLUMNS,
    KEYS,
    WATERMARK_KEY,
    Rollup,
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


# A counter's increase from ``prev`` to ``value``: a drop is a reset, and the counter counts from 0 again.
_INCREASE = "CASE WHEN {prev} IS NULL THEN 0 WHEN {value} >= {prev} THEN {value} - {prev} ELSE {value} END"
# Step 1, over the readings of some hours: one piece per series and UTC hour, its readings in time order as
# lists (a hash aggregation, then a sort of each piece's few thousand values: never a sort of whole days by
# the six key columns, which made this rollup take 604 s for a day of 222 M readings), reduced to what
# step 2 needs: of a numeric series its readings, increase, first and last value; of a text series its
# readings by value and the value before it in the piece (NULL: the piece's first), with the seconds until
# the next reading in the piece, and (``first_ts`` set) its first instant and its last reading with the
# value before that. Parameters: the data files, the where's.
PIECES_SQL = f"""
WITH listed AS (
    SELECT {KEY_COLUMNS}, epoch_us(ts) // 3600000000 AS h,
           list(value_num ORDER BY ts) FILTER (WHERE value_num IS NOT NULL) AS nums,
           list({{{{'ts': ts, 'v': value_text}}}} ORDER BY ts) FILTER (WHERE value_text IS NOT NULL) AS texts
    FROM read_parquet(?, {READ_OPTIONS}) WHERE {{where}} GROUP BY ALL
)
SELECT {KEY_COLUMNS}, h, len(nums) AS readings,
       coalesce(list_sum(list_transform(
           range(2, len(nums) + 1), i -> {_INCREASE.format(value="nums[i]", prev="nums[i - 1]")}
       )), 0)::DOUBLE AS inc,
       nums[1] AS first_num, nums[-1] AS last_num, NULL::VARCHAR AS value_text, NULL::VARCHAR AS prev_text,
       NULL::DOUBLE AS seconds, NULL::TIMESTAMPTZ AS first_ts, NULL::TIMESTAMPTZ AS last_ts
FROM listed WHERE nums IS NOT NULL
UNION ALL
SELECT {KEY_COLUMNS}, h, NULL, NULL, NULL, NULL, texts[-1].v, texts[-2].v, NULL, texts[1].ts, texts[-1].ts
FROM listed WHERE texts IS NOT NULL
UNION ALL
SELECT {KEY_COLUMNS}, h, count(*), NULL, NULL, NULL, texts[i].v, texts[i - 1].v,
       coalesce(sum(epoch(texts[i + 1].ts) - epoch(texts[i].ts)), 0), NULL, NULL
FROM (SELECT *, unnest(range(1, len(texts) + 1)) AS i FROM listed WHERE texts IS NOT NULL)
GROUP BY ALL
"""
# Step 2, over the pieces of the run and the day before (thousands of times fewer rows than readings): the
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
           inc + {_INCREASE.format(value="first_num", prev="carried")} AS inc
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
# Readings listed at once (DuckDB keeps ~100 bytes of each in the aggregation: ~400 MB); a run holding more
# is computed in chunks of whole hours, each read apart (files the lake writer wrote cover minutes and are
# read by one chunk only; a compacted day's files span the day and are read by every chunk).
CHUNK_ROWS = 4_000_000


def compute(engine: QueryEngine, snapshot_id: int, run: Span) -> pa.Table:
    """The daily rows of the days of ``run`` from the readings at ``snapshot_id`` (and the day before)."""
    readings = engine.lake.readings()
    parts: list[pa.Table] = []
    cursor = engine.cursor()
    try:
        for day in days_of((run[0] - LOOKBACK, run[1])):
            # chunks of whole hours holding about CHUNK_ROWS readings, from the day's files' record counts
            held = engine.plan(readings, _between(start_of(day), DAY).iceberg(None), snapshot_id)
            step = min(24, max(1, 24 * CHUNK_ROWS // max(held.rows_in_files, 1)))
            for hour in range(0, 24 if held.files else 0, step):
                chunk = _between(start_of(day) + hour * HOUR, min(step, 24 - hour) * HOUR)
                plan = engine.plan(readings, chunk.iceberg(None), snapshot_id)
                if plan.files:
                    where, params = chunk.sql(None)
                    listed = cursor.execute(PIECES_SQL.format(where=where), [plan.files, *params])
                    parts.append(listed.to_arrow_table())
        if not parts:
            return DAILY_SCHEMA.empty_table()
        cursor.register("pieces", pa.concat_tables(parts))
        days = [start_of(d) for d in days_of(run)]
        result = cursor.execute(DAYS_SQL, [days, run[1]]).to_arrow_table()
    finally:
        cursor.close()
    return result.select(DAILY_SCHEMA.names).cast(DAILY_SCHEMA)


def _between(start: datetime, length: timedelta) -> ReadingFilter:
    return ReadingFilter(start=start, end=start + length)


DAILY = Rollup("item_daily", DAILY_SCHEMA, DAYS_SQL, DAY)


def closed_rollup(lake: Lake, until: date, manifests: Cache[Any] | None = None) -> Table | None:
    """The daily rollup if it holds the readings' current data of every day before ``until`` (a reader may use
    it for those days instead), else None: not made yet, not refreshed since one of them closed, or new
    readings of one of them arrived since its last refresh. Readings of the live day do not count: the
    daily rollup is good for the days before while they stream in."""
    try:
        table = lake.catalog.load_table(f"{lake.config.namespace}.{DAILY.name}")
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
