"""``<ns>.item_pieces``: per UTC hour and series (factory, equipment, item), what the hour hands to the tables
derived from it — the only rollup that reads the readings. ``item_hours`` copies its numeric statistics and
``item_daily`` sums its pieces into days, so a refresh scans the readings once, and a late file recomputes
only the hours it touched (its day's other pieces are read back from this table, not from the readings).

A piece is one of three kinds of rows (the others' columns NULL):
- numeric (``inc`` set): readings, sum, min, max, the counter increase within the hour, first and last value;
- a text series' end (``first_ts`` set): its first instant, its last reading (``value_text``) and the value
  before that (``prev_text``, NULL: none in the hour), the instant of that last reading;
- a text series' entries (``seconds`` set): per value and the value before it (NULL: the hour's first),
  the readings and the seconds until the next reading in the hour.
What crosses an hour (a counter's last value, a state's last reading and the value before it) is in the
pieces, so pieces of any hours combine into the same days as one pass over the readings would give.

Memory is bounded: a run is read in chunks of whole hours holding about ``CHUNK_ROWS`` readings, each apart,
and an hour holding more is read in ranges of its factories of about as many (``factory_id BETWEEN``, which
the Parquet scan filters as it decodes): a piece is one series' hour, so each lies in exactly one range and
the ranges' pieces are the hour's. On the Trino path (``insert``) Trino runs the same SQL over whole days, a
statement per run of hours holding about ``TRINO_CHUNK_ROWS`` readings, in its own memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa

from catalog.engines import DuckDbEngine, SqlEngine, TrinoEngine
from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter
from catalog.rollups.tables import HOUR, KEY_COLUMNS, KEY_NAMES, KEYS, Rollup, Source, Span, Statement
from services.kit.arrow import UTC_US

PIECES_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        pa.field("hour", UTC_US, nullable=False),
        *KEYS,
        pa.field("readings", pa.int64()),
        pa.field("sum", pa.float64()),
        pa.field("min", pa.float64()),
        pa.field("max", pa.float64()),
        pa.field("inc", pa.float64()),
        pa.field("first_num", pa.float64()),
        pa.field("last_num", pa.float64()),
        pa.field("value_text", pa.string()),
        pa.field("prev_text", pa.string()),
        pa.field("seconds", pa.float64()),
        pa.field("first_ts", UTC_US),
        pa.field("last_ts", UTC_US),
    ]
)

# A counter's increase from ``prev`` to ``value``: a drop is a reset, and the counter counts from 0 again.
INCREASE = "CASE WHEN {prev} IS NULL THEN 0 WHEN {value} >= {prev} THEN {value} - {prev} ELSE {value} END"
# A piece's columns, in the table's order.
PIECE_COLUMNS = ", ".join(PIECES_SCHEMA.names)


def pieces_sql(sql: SqlEngine, source: str, where: str) -> str:
    """The pieces of the readings of ``source`` (a FROM item) passing ``where``, in ``sql``'s dialect.

    Over the readings of some hours: a hash aggregation into ordered lists per series and hour, then a walk
    of each list's few thousand values — never a sort of whole days by the six key columns (which made the
    daily rollup take 604 s for a day of 222 M readings). A text series is one list of (instant, value)
    records: two lists sorted apart cost DuckDB ~1.4x the time."""
    at, n = sql.element, sql.length
    numeric, text = "value_num IS NOT NULL", "value_text IS NOT NULL"
    no_ts = sql.cast("NULL", "timestamptz")
    keys = ", ".join(str(i) for i in range(1, len(KEY_NAMES) + 2))  # the series and the hour, by position
    hour = sql.hour_start("h")
    reading = sql.record([("ts", "ts", "timestamptz"), ("v", "value_text", "varchar")])
    return f"""
WITH listed AS (
    SELECT {KEY_COLUMNS}, {sql.hour_key("ts")} AS h,
           {sql.ordered_list("value_num", "ts", numeric)} AS nums,
           sum(value_num) AS s, min(value_num) AS lo, max(value_num) AS hi,
           {sql.ordered_list(reading, "ts", text)} AS texts
    FROM {source} WHERE {where} GROUP BY {keys}
),
pieces AS (
    SELECT {KEY_COLUMNS}, h, {n("nums")} AS readings, s AS sum, lo AS min, hi AS max,
           {sql.pairwise_sum("nums", INCREASE)} AS inc,
           {at("nums", "1")} AS first_num, {at("nums", "-1")} AS last_num,
           CAST(NULL AS VARCHAR) AS value_text, CAST(NULL AS VARCHAR) AS prev_text,
           CAST(NULL AS DOUBLE) AS seconds, {no_ts} AS first_ts, {no_ts} AS last_ts
    FROM listed WHERE nums IS NOT NULL
    UNION ALL
    SELECT {KEY_COLUMNS}, h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {at("texts", "-1")}.v,
           {at("texts", "-2")}.v, NULL, {at("texts", "1")}.ts, {at("texts", "-1")}.ts
    FROM listed WHERE texts IS NOT NULL
    UNION ALL
    SELECT {KEY_COLUMNS}, h, count(*), NULL, NULL, NULL, NULL, NULL, NULL, {at("texts", "i")}.v,
           CASE WHEN i > 1 THEN {at("texts", "i - 1")}.v END,
           coalesce(sum({sql.epoch(at("texts", "i + 1") + ".ts")} - {sql.epoch(at("texts", "i") + ".ts")}),
                    0),
           NULL, NULL
    FROM {sql.ordinals("listed", "texts", "texts IS NOT NULL")}
    GROUP BY {keys}, {len(KEY_NAMES) + 9}, {len(KEY_NAMES) + 10}
)
SELECT CAST({hour} AS DATE) AS day, {hour} AS hour, {KEY_COLUMNS}, readings, sum, min, max, inc, first_num,
       last_num, value_text, prev_text, seconds, first_ts, last_ts
FROM pieces
"""


# Readings listed at once (DuckDB keeps ~100 bytes of each in the aggregation: ~200 MB). A chunk is a run
# of whole hours holding about this many, or, when one hour holds more, a range of that hour's factories:
# each range reads the hour's files again, but a range filter is checked as the scan decodes (at 200 M
# readings three ranges of an hour cost what the whole hour did; a hash of factory_id as filter cost 3×).
# Files the lake writer wrote cover minutes and are read by one run of hours only; a compacted day's files
# span the day and are read by every chunk.
CHUNK_ROWS = 2_000_000


def factory_ranges(
    cursor: duckdb.DuckDBPyConnection, files: list[str], where: str, params: list[Any]
) -> list[tuple[str, str]]:
    """The chunk's factories in ranges (first, last) of about ``CHUNK_ROWS`` readings, counted by a read of
    the ``factory_id`` column alone; a range holds one factory at least."""
    counted = cursor.execute(
        f"SELECT factory_id, count(*) FROM read_parquet(?, {READ_OPTIONS}) WHERE {where} "
        "GROUP BY factory_id ORDER BY factory_id",
        [files, *params],
    ).fetchall()
    ranges: list[tuple[str, str]] = []
    held = 0
    for factory, readings in counted:
        if not ranges or held + readings > CHUNK_ROWS:
            ranges.append((factory, factory))
            held = 0
        ranges[-1] = (ranges[-1][0], factory)
        held += readings
    return ranges


def _chunks(engine: QueryEngine, source: Source, run: Span, rows: int) -> Iterator[ReadingFilter]:
    """Runs of whole hours of ``run`` holding about ``rows`` readings each (by the planned files' rows)."""
    held = engine.plan(
        source.table, ReadingFilter(start=run[0], end=run[1]).iceberg(None), source.snapshot_id
    )
    if not held.files:
        return
    hours = (run[1] - run[0]) // HOUR
    step = min(hours, max(1, hours * rows // max(held.rows_in_files, 1)))
    for first in range(0, hours, step):
        yield ReadingFilter(start=run[0] + first * HOUR, end=run[0] + min(first + step, hours) * HOUR)


def compute(engine: QueryEngine, source: Source, run: Span) -> pa.Table:
    """The pieces of the hours of ``run`` from the readings at ``source``'s snapshot."""
    parts = [PIECES_SCHEMA.empty_table()]
    cursor = engine.cursor()
    duck = DuckDbEngine(engine.cursor)
    files = f"read_parquet(?, {READ_OPTIONS})"
    try:
        for chunk in _chunks(engine, source, run, CHUNK_ROWS):
            plan = engine.plan(source.table, chunk.iceberg(None), source.snapshot_id)
            if not plan.files:
                continue
            where, params = chunk.sql(None)
            if plan.rows_in_files <= CHUNK_ROWS:
                listed = cursor.execute(pieces_sql(duck, files, where), [plan.files, *params])
                parts.append(listed.to_arrow_table().select(PIECES_SCHEMA.names).cast(PIECES_SCHEMA))
                continue
            sql = pieces_sql(duck, files, f"{where} AND factory_id BETWEEN ? AND ?")
            for factories in factory_ranges(cursor, plan.files, where, params):
                listed = cursor.execute(sql, [plan.files, *params, *factories])
                parts.append(listed.to_arrow_table().select(PIECES_SCHEMA.names).cast(PIECES_SCHEMA))
    finally:
        cursor.close()
    return pa.concat_tables(parts)


# Readings one Trino statement lists (its own memory, ``query.max-memory``: 1 GB in infra/trino): a chunk is
# a run of whole hours holding about this many; an hour holding more is one statement all the same.
TRINO_CHUNK_ROWS = 4_000_000


def insert(engine: QueryEngine, trino: TrinoEngine, source: Source, run: Span) -> list[Statement]:
    """On the Trino path: the statements inserting the pieces of the whole days of ``run`` from the readings
    at ``source``'s snapshot, one per chunk of hours."""
    readings, _ = trino.source(source.table.name(), source.snapshot_id, [])
    target = trino.table((*source.table.name()[:-1], PIECES_NAME))
    statements = []
    for chunk in _chunks(engine, source, run, TRINO_CHUNK_ROWS):
        where, params = chunk.sql(None)
        statements.append(
            (f"INSERT INTO {target} ({PIECE_COLUMNS}) {pieces_sql(trino, readings, where)}", params)
        )
    return statements


PIECES_NAME = "item_pieces"
PIECES = Rollup(PIECES_NAME, PIECES_SCHEMA, HOUR, compute, derived=False, insert=insert)
