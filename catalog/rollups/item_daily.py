"""``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
item the seconds spent in each value and the readings that entered it from each previous value; for a
numeric item its counter increase. ``catalog.kpis`` turns them into ISO 22400-2 elements with the roles of
the model, exactly as it does from raw readings (``tests/catalog/test_rollups.py`` checks both agree).

Only closed days (before the current UTC day) are held; ``closed_rollup`` says whether the table holds the
readings' current data of every day a reader asks for."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from catalog.lake import Lake, snapshot_property
from catalog.query import READ_OPTIONS
from catalog.rollups.files import added_files, appended_since
from catalog.rollups.tables import CLOSED_KEY, DAY, KEY_COLUMNS, KEYS, WATERMARK_KEY, Rollup
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


_DAILY_SQL = f"""
WITH days AS (SELECT unnest(?::TIMESTAMPTZ[]) AS d0),
r AS (SELECT {KEY_COLUMNS}, ts, value_num, value_text FROM read_parquet(?, {READ_OPTIONS}) WHERE {{where}}),
texts AS (
    SELECT *, lag(value_text) OVER w AS prev_text, coalesce(lead(ts) OVER w, ?::TIMESTAMPTZ) AS t1
    FROM r WHERE value_text IS NOT NULL
    WINDOW w AS (PARTITION BY factory_id, equipment_id, item_id ORDER BY ts)
),
numbers AS (
    SELECT *, CASE WHEN prev IS NULL THEN 0 WHEN value_num >= prev THEN value_num - prev
                   ELSE value_num END AS inc
    FROM (SELECT *, lag(value_num) OVER (PARTITION BY factory_id, equipment_id, item_id ORDER BY ts) AS prev
          FROM r WHERE value_num IS NOT NULL)
)
SELECT CAST(d.d0 AS DATE) AS day, {KEY_COLUMNS}, value_text, prev_text,
       sum(epoch(least(t1, d.d0 + INTERVAL 1 DAY)) - epoch(greatest(ts, d.d0)))::DOUBLE AS seconds,
       NULL::DOUBLE AS increase, count(*) FILTER (WHERE ts >= d.d0) AS readings
FROM texts JOIN days d ON ts < d.d0 + INTERVAL 1 DAY AND t1 > d.d0
GROUP BY ALL
UNION ALL
SELECT DATE '1970-01-01' + CAST(dn AS INTEGER), {KEY_COLUMNS}, NULL, NULL, 0.0, inc, readings
FROM (SELECT epoch_us(ts) // 86400000000 AS dn, {KEY_COLUMNS}, sum(inc)::DOUBLE AS inc, count(*) AS readings
      FROM numbers WHERE ts >= (SELECT min(d0) FROM days) GROUP BY ALL)
ORDER BY day, factory_id, equipment_id, item_id
"""


DAILY = Rollup("item_daily", DAILY_SCHEMA, _DAILY_SQL, DAY)


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
