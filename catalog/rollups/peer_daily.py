"""``<ns>.peer_daily``: the precomputed peer table. Per closed day, equipment and item, what the dashboard's
peer charts compare, already classified: one row where ``item_daily`` holds one per (previous value, value).

- a text item as an execution state: the seconds running, idle and down, and the readings that entered down
  from another class (onsets); the same item as an alarm: the seconds in an alarm and out of one, and the
  readings that raised one. Which of the two it is comes from the model's roles, applied when it is read
  (``catalog.kpis.measure_peers``): the table stays role-agnostic like ``item_daily``, so a new model version
  needs no recomputation;
- a numeric item: its counter increase and the sum of its readings (with ``readings``, a day's mean).

Its rows are exactly the classified sums of ``item_daily``'s rows of the same day (``days_sql`` over the same
pinned pieces, then grouped with ``catalog.states``' expressions of the standards' rule), so a KPI or a daily
mean read from it equals the one read from the readings, ``item_daily`` or ``item_hours``
(``tests/catalog/test_rollups.py``, ``test_peer_daily.py``, ``test_query.py``, ``test_engines_agree.py``).
The org of each row is the readings' own ``org_id``: a peer chart never asks the readings which
organisation owns a factory.

It is a day rollup like ``item_daily`` and kept current the same way, exactly once: derived from the pieces
pinned for the round, the touched closed days recomputed whole and committed with the pieces' watermark in
the same snapshot, the live day left out until it closes (``catalog.rollups``'s docstring). A refresh pays
``days_sql`` once more for the touched days (two days' pieces per day): the price of a chart that reads
about one row per equipment, item and day instead of the hours of every factory."""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import time as dt_time
from typing import Any

import pyarrow as pa
from pyiceberg.expressions import And, GreaterThanOrEqual, In, LessThan

from catalog.engines import DuckDbEngine, SqlEngine, TrinoEngine
from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter, ScanPlan
from catalog.rollups.item_daily import LOOKBACK, closed_rollup, days_params, days_sql
from catalog.rollups.tables import (
    DAY,
    KEY_COLUMNS,
    KEY_NAMES,
    KEYS,
    Rollup,
    Source,
    Span,
    Statement,
    days_of,
)
from catalog.states import is_alarm_sql, state_class_sql

PEERS_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        *KEYS,
        pa.field("readings", pa.int64(), nullable=False),  # readings in the day
        pa.field("increase", pa.float64()),  # a numeric item's counter increase (null: a text item)
        pa.field("total", pa.float64()),  # a numeric item's sum of readings (null: a text item)
        pa.field("running_s", pa.float64()),  # a text item read as an execution state (null: numeric)
        pa.field("idle_s", pa.float64()),
        pa.field("down_s", pa.float64()),
        pa.field("down_onsets", pa.int64()),  # readings entering down from another class (or from none)
        pa.field("alarm_s", pa.float64()),  # the same item read as an alarm condition
        pa.field("clear_s", pa.float64()),
        pa.field("alarm_onsets", pa.int64()),
    ]
)


def _classified(column: str, test: str, seconds: bool) -> str:
    """The sum, over a day's text rows whose value passes ``test``, of their seconds (or of their readings
    that entered it from a value failing it: an onset)."""
    value, prev = test.format(column="value_text"), test.format(column="prev_text")
    if seconds:
        return f"coalesce(sum(seconds) FILTER (WHERE {value}), CAST(0 AS DOUBLE)) AS {column}"
    entered = f"{value} AND (prev_text IS NULL OR NOT ({prev}))"
    return f"CAST(coalesce(sum(readings) FILTER (WHERE {entered}), 0) AS BIGINT) AS {column}"


_STATE = state_class_sql("{column}")
_ALARM = is_alarm_sql("{column}")
_GROUPS = ", ".join(str(i) for i in range(1, len(KEY_NAMES) + 2))  # the day and the keys, by position
_JOINED = " AND ".join(f"d.{k} = s.{k}" for k in ("day", *KEY_NAMES))


def peers_sql(sql: SqlEngine, pieces: str) -> str:
    """The rows of some days: ``item_daily``'s rows of the days (``days_sql`` over the pieces of ``pieces``,
    a FROM item) classified, with the day's sum of each numeric item from the same pieces; a day the pieces
    do not reach (a state carried in from the day before) has no sums. Parameters: ``days_sql``'s, then
    ``pieces``' own and the run's first day and the day after its last."""
    return f"""
WITH daily AS ({days_sql(sql, pieces)}),
sums AS (
    SELECT day, {KEY_COLUMNS}, sum("sum") AS total
    FROM {pieces} WHERE inc IS NOT NULL AND day >= ? AND day < ? GROUP BY {_GROUPS}
),
text AS (
    SELECT day, {KEY_COLUMNS}, CAST(sum(readings) AS BIGINT) AS readings,
           {_classified("running_s", _STATE + " = 'running'", True)},
           {_classified("idle_s", _STATE + " = 'idle'", True)},
           {_classified("down_s", _STATE + " = 'down'", True)},
           {_classified("down_onsets", _STATE + " = 'down'", False)},
           {_classified("alarm_s", _ALARM, True)},
           {_classified("clear_s", "NOT " + _ALARM, True)},
           {_classified("alarm_onsets", _ALARM, False)}
    FROM daily WHERE value_text IS NOT NULL GROUP BY {_GROUPS}
)
SELECT day, {KEY_COLUMNS}, readings, CAST(NULL AS DOUBLE) AS increase, CAST(NULL AS DOUBLE) AS total,
       running_s, idle_s, down_s, down_onsets, alarm_s, clear_s, alarm_onsets
FROM text
UNION ALL
SELECT d.day, {", ".join(f"d.{k}" for k in KEY_NAMES)}, d.readings, d.increase, s.total,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM daily d LEFT JOIN sums s ON {_JOINED} WHERE d.increase IS NOT NULL
ORDER BY day, factory_id, equipment_id, item_id
"""


def _params(source: list[Any], run: Span) -> list[Any]:
    return [*source, *days_params(run), *source, run[0].date(), run[1].date()]


def compute(engine: QueryEngine, source: Source, run: Span) -> pa.Table:
    """The rows of the days of ``run`` from the pieces at ``source``'s snapshot (and the day before)."""
    days = days_of((run[0] - LOOKBACK, run[1]))
    plan = engine.plan(
        source.table, In(term="day", literals={d.isoformat() for d in days}), source.snapshot_id
    )
    if not plan.files:
        return PEERS_SCHEMA.empty_table()
    sql = peers_sql(DuckDbEngine(engine.cursor), f"read_parquet(?, {READ_OPTIONS})")
    cursor = engine.cursor()
    try:
        result = cursor.execute(sql, _params([plan.files], run)).to_arrow_table()
    finally:
        cursor.close()
    return result.select(PEERS_SCHEMA.names).cast(PEERS_SCHEMA)


def insert(engine: QueryEngine, trino: TrinoEngine, source: Source, run: Span) -> list[Statement]:
    """On the Trino path: the statement inserting the rows of the days of ``run`` from the pieces at
    ``source``'s snapshot."""
    pieces, params = trino.source(source.table.name(), source.snapshot_id, [])
    target = trino.table((*source.table.name()[:-1], PEERS_NAME))
    columns = ", ".join(PEERS_SCHEMA.names)
    return [(f"INSERT INTO {target} ({columns}) {peers_sql(trino, pieces)}", _params(params, run))]


PEERS_NAME = "peer_daily"
PEERS = Rollup(PEERS_NAME, PEERS_SCHEMA, DAY, compute, derived=True, insert=insert)


def whole_days(bucket: str, tz: str, start: datetime, end: datetime) -> bool:
    """Whether [start, end) in buckets of ``bucket`` in ``tz`` is UTC days: what the peer table can answer."""
    aligned = all(t.tzinfo is not None and t.astimezone(UTC).time() == dt_time(0) for t in (start, end))
    return bucket == "1d" and tz == "UTC" and aligned and start < end


def daily_benchmark(
    engine: QueryEngine, flt: ReadingFilter, manifests: Any = None
) -> tuple[list[dict[str, Any]], ScanPlan] | None:
    """Per UTC day of [``flt.start``, ``flt.end``) (:func:`whole_days`): the factories, readings and mean of
    the numeric readings of ``flt``'s model and item across all factories, as
    ``catalog.peers.from_factory_buckets`` combines them from the hourly rollup, on the engine that answers
    the readings; None when the table does not hold the readings' current data of those days (the caller
    reads the hourly rollup instead). Every factory's rows: only ever called for aggregates."""
    assert flt.start is not None and flt.end is not None
    table = closed_rollup(engine.lake, flt.end.astimezone(UTC).date(), manifests, PEERS)
    if table is None:
        return None
    bounds = ReadingFilter(model_id=flt.model_id, item_ids=flt.item_ids)
    first, end = (t.astimezone(UTC).date() for t in (flt.start, flt.end))
    days = And(
        GreaterThanOrEqual(term="day", value=first.isoformat()), LessThan(term="day", value=end.isoformat())
    )
    plan = engine.plan(table, And(bounds.iceberg(None), days))
    if not plan.files or plan.snapshot_id is None:
        return [], plan
    sql = engine.engine
    source, source_params = sql.source(plan.table, plan.snapshot_id, plan.files)
    where, params = bounds.sql(None)
    text = (
        "SELECT day AS bucket, count(DISTINCT factory_id) AS factories, "
        "CAST(sum(readings) AS BIGINT) AS readings, sum(total) / sum(readings) AS mean "
        f"FROM {source} WHERE {where} AND total IS NOT NULL AND readings > 0 AND day >= ? AND day < ? "
        "GROUP BY day ORDER BY day"
    )
    rows = sql.rows(text, [*source_params, *params, first, end])
    for row in rows:  # the day's start, as the hourly path's buckets give it
        row["bucket"] = datetime.combine(row["bucket"], dt_time(0), UTC)
    return rows, plan
