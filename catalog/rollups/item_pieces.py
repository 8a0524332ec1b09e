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
the ranges' pieces are the hour's.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter
from catalog.rollups.tables import HOUR, KEY_COLUMNS, KEYS, Rollup, Source, Span
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
# Over the readings of some hours: a hash aggregation into one list per series and hour, then a sort of each
# list's few thousand values — never a sort of whole days by the six key columns (which made the daily
# rollup take 604 s for a day of 222 M readings). Hours are integer divisions of epoch_us(ts), turned into
# timestamps only after the aggregation. Parameters: the data files, the where's.
_PIECES_SQL = f"""
WITH listed AS (
    SELECT {KEY_COLUMNS}, epoch_us(ts) // 3600000000 AS h,
           list(value_num ORDER BY ts) FILTER (WHERE value_num IS NOT NULL) AS nums,
           sum(value_num) AS s, min(value_num) AS lo, max(value_num) AS hi,
           list({{{{'ts': ts, 'v': value_text}}}} ORDER BY ts) FILTER (WHERE value_text IS NOT NULL) AS texts
    FROM read_parquet(?, {READ_OPTIONS}) WHERE {{where}} GROUP BY ALL
),
pieces AS (
    SELECT {KEY_COLUMNS}, h, len(nums) AS readings, s AS sum, lo AS min, hi AS max,
           coalesce(list_sum(list_transform(
               range(2, len(nums) + 1), i -> {INCREASE.format(value="nums[i]", prev="nums[i - 1]")}
           )), 0)::DOUBLE AS inc,
           nums[1] AS first_num, nums[-1] AS last_num, NULL::VARCHAR AS value_text,
           NULL::VARCHAR AS prev_text, NULL::DOUBLE AS seconds, NULL::TIMESTAMPTZ AS first_ts,
           NULL::TIMESTAMPTZ AS last_ts
    FROM listed WHERE nums IS NOT NULL
    UNION ALL
    SELECT {KEY_COLUMNS}, h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, texts[-1].v, texts[-2].v, NULL,
           texts[1].ts, texts[-1].ts
    FROM listed WHERE texts IS NOT NULL
    UNION ALL
    SELECT {KEY_COLUMNS}, h, count(*), NULL, NULL, NULL, NULL, NULL, NULL, texts[i].v, texts[i - 1].v,
           coalesce(sum(epoch(texts[i + 1].ts) - epoch(texts[i].ts)), 0), NULL, NULL
    FROM (SELECT *, unnest(range(1, len(texts) + 1)) AS i FROM listed WHERE texts IS NOT NULL)
    GROUP BY ALL
)
SELECT CAST(to_timestamp(h * 3600) AS DATE) AS day, to_timestamp(h * 3600) AS hour, * EXCLUDE (h)
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


def compute(engine: QueryEngine, source: Source, run: Span) -> pa.Table:
    """The pieces of the hours of ``run`` from the readings at ``source``'s snapshot."""
    held = engine.plan(
        source.table, ReadingFilter(start=run[0], end=run[1]).iceberg(None), source.snapshot_id
    )
    if not held.files:
        return PIECES_SCHEMA.empty_table()
    hours = (run[1] - run[0]) // HOUR
    step = min(hours, max(1, hours * CHUNK_ROWS // max(held.rows_in_files, 1)))
    parts = [PIECES_SCHEMA.empty_table()]
    cursor = engine.cursor()
    try:
        for first in range(0, hours, step):
            chunk = ReadingFilter(start=run[0] + first * HOUR, end=run[0] + min(first + step, hours) * HOUR)
            plan = engine.plan(source.table, chunk.iceberg(None), source.snapshot_id)
            if not plan.files:
                continue
            where, params = chunk.sql(None)
            if plan.rows_in_files <= CHUNK_ROWS:
                listed = cursor.execute(_PIECES_SQL.format(where=where), [plan.files, *params])
                parts.append(listed.to_arrow_table().select(PIECES_SCHEMA.names).cast(PIECES_SCHEMA))
                continue
            sql = _PIECES_SQL.format(where=f"{where} AND factory_id BETWEEN ? AND ?")
            for factories in factory_ranges(cursor, plan.files, where, params):
                listed = cursor.execute(sql, [plan.files, *params, *factories])
                parts.append(listed.to_arrow_table().select(PIECES_SCHEMA.names).cast(PIECES_SCHEMA))
    finally:
        cursor.close()
    return pa.concat_tables(parts)


PIECES = Rollup("item_pieces", PIECES_SCHEMA, HOUR, compute, derived=False)
