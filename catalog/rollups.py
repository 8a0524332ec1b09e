"""Rollups: derived Iceberg tables kept current from the readings, exactly once, by a snapshot-id watermark.

Two tables, partitioned by day (UTC):

- ``<ns>.item_hours``: per hour, factory, equipment and numeric item: readings, sum, min, max (gateways send
  about one reading per item and minute: a per-minute rollup would copy the readings, an hourly one is what
  dashboards and benchmarks over weeks read);
- ``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
  item the seconds spent in each value and the readings that entered it from each previous value; for a
  numeric item its counter increase. ``catalog.kpis`` turns them into ISO 22400-2 elements with the roles of
  the model, exactly as it does from raw readings (``tests/catalog/test_rollups.py`` checks both agree).

How it stays exactly once (the lake writer's guarantee, the same way):
1. each rollup table's current snapshot carries ``smartmfg.rollup-watermark``: the readings snapshot id its
   contents reflect, committed **in the same snapshot** as the rows;
2. a refresh walks the readings' snapshots from the current one back to the watermark; the days touched are
   the ``ts_day`` partitions of the data files added by ``append`` snapshots only. ``replace`` snapshots
   (compaction) and ``overwrite``/``delete`` ones rewrite rows already rolled up and add no new data;
3. what those files touched is **recomputed whole** from the readings at the new snapshot and replaces the
   same rows of the rollup in one atomic overwrite:
   - ``item_hours``: the hours between each new file's least and greatest ``ts`` (its column bounds in the
     manifest). Counts, sums, minima and maxima combine, so when nothing but appends happened since the
     watermark a round reads **only the new files** and merges their statistics into those hours' rows
     (the rows reflect the watermark: adding what came after it counts each reading once); after a
     compaction or an expired watermark it recomputes those hours from the readings instead;
   - ``item_daily``: the touched days that are **closed** (before the current UTC day) and the day after each
     (its carried-in state and counter base), read with the day before each. The live day is left out until
     it closes: the first refresh after midnight computes it once. Readers use the daily rollup for closed
     days only; ``smartmfg.rollup-closed-before`` on its snapshot says up to which day it holds them.

A crash before the commit leaves the old watermark: the next refresh redoes the same work. A crash after
it leaves the new one. Recomputing (never adding to) an hour or a day makes a repeated refresh harmless:
nothing is skipped, nothing counted twice. If the watermark's snapshot was expired, every day is recomputed.
Two refreshers racing lose nothing: the loser's commit fails on the catalog's compare-and-swap and it starts
again.
A round's cost follows what arrived since the last one, not the size of the day it arrived in.

Run after lake commits: ``refresh(lake)``, or ``catalog.rollup_refresher.Refresher``, the child process the
platform process runs (``SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS``; ``poke()`` it after a commit), or as a
scheduled job: ``python -m catalog.rollups`` (same ``SMARTMFG_*`` settings as the platform).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from pyiceberg.conversions import from_bytes
from pyiceberg.exceptions import CommitFailedException, NamespaceAlreadyExistsError, NoSuchTableError
from pyiceberg.expressions import (
    And,
    BooleanExpression,
    GreaterThanOrEqual,
    In,
    LessThan,
    LessThanOrEqual,
    Or,
)
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation, Snapshot
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import TimestamptzType

from catalog.commit_lock import exclusive_commits
from catalog.duck import readable_path
from catalog.lake import PRUNING_PROPERTIES, Lake, LakeConfig, ensure_bucket, snapshot_property
from catalog.query import BUCKETS, READ_OPTIONS, QueryEngine, ReadingFilter, ScanPlan, Scope
from services.kit.arrow import UTC_US
from services.kit.lru import Lru
from services.kit.settings import PlatformSettings

log = logging.getLogger(__name__)

WATERMARK_KEY = "smartmfg.rollup-watermark"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLOSED_KEY = "smartmfg.rollup-closed-before"  # item_daily holds every day before this one (ISO date)
LOOKBACK = DAY  # as catalog.kpis.LOOKBACK: the last state and counter value of the day before carry in
RUN_DAYS = 2  # days recomputed per read of the readings (a run of days reads the day before as well)

_KEYS = [
    pa.field("factory_id", pa.string(), nullable=False),
    pa.field("org_id", pa.string(), nullable=False),
    pa.field("equipment_id", pa.string(), nullable=False),
    pa.field("model_id", pa.string(), nullable=False),
    pa.field("model_version", pa.string(), nullable=False),
    pa.field("item_id", pa.string(), nullable=False),
]
HOURS_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        pa.field("hour", UTC_US, nullable=False),
        *_KEYS,
        pa.field("readings", pa.int64(), nullable=False),
        pa.field("sum", pa.float64(), nullable=False),
        pa.field("min", pa.float64(), nullable=False),
        pa.field("max", pa.float64(), nullable=False),
    ]
)
DAILY_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        *_KEYS,
        pa.field("value_text", pa.string()),  # a text item's value; null: a numeric item
        pa.field("prev_text", pa.string()),  # the value before it (null: none within the look-back)
        pa.field("seconds", pa.float64(), nullable=False),  # time in value_text within the day
        pa.field("increase", pa.float64()),  # a numeric item's counter increase (resets count from 0)
        pa.field("readings", pa.int64(), nullable=False),  # readings in the day
    ]
)

_KEY_COLUMNS = "factory_id, org_id, equipment_id, model_id, model_version, item_id"
# Hours and days are integer divisions of epoch_us(ts), turned into timestamps and dates only after the
# aggregation: several times faster than time_bucket or a cast of every TIMESTAMPTZ.
_HOURS_SQL = f"""
SELECT CAST(to_timestamp(h * 3600) AS DATE) AS day, to_timestamp(h * 3600) AS hour, {_KEY_COLUMNS},
       readings, sum, min, max
FROM (
    SELECT epoch_us(ts) // 3600000000 AS h, {_KEY_COLUMNS}, count(*) AS readings, sum(value_num) AS sum,
           min(value_num) AS min, max(value_num) AS max
    FROM read_parquet(?, {READ_OPTIONS}) WHERE {{where}} AND value_num IS NOT NULL
    GROUP BY ALL
)
ORDER BY day, factory_id, equipment_id, item_id, hour
"""
_DAILY_SQL = f"""
WITH days AS (SELECT unnest(?::TIMESTAMPTZ[]) AS d0),
r AS (SELECT {_KEY_COLUMNS}, ts, value_num, value_text FROM read_parquet(?, {READ_OPTIONS}) WHERE {{where}}),
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
SELECT CAST(d.d0 AS DATE) AS day, {_KEY_COLUMNS}, value_text, prev_text,
       sum(epoch(least(t1, d.d0 + INTERVAL 1 DAY)) - epoch(greatest(ts, d.d0)))::DOUBLE AS seconds,
       NULL::DOUBLE AS increase, count(*) FILTER (WHERE ts >= d.d0) AS readings
FROM texts JOIN days d ON ts < d.d0 + INTERVAL 1 DAY AND t1 > d.d0
GROUP BY ALL
UNION ALL
SELECT DATE '1970-01-01' + CAST(dn AS INTEGER), {_KEY_COLUMNS}, NULL, NULL, 0.0, inc, readings
FROM (SELECT epoch_us(ts) // 86400000000 AS dn, {_KEY_COLUMNS}, sum(inc)::DOUBLE AS inc, count(*) AS readings
      FROM numbers WHERE ts >= (SELECT min(d0) FROM days) GROUP BY ALL)
ORDER BY day, factory_id, equipment_id, item_id
"""


@dataclass(frozen=True)
class Rollup:
    name: str
    schema: pa.Schema
    sql: str
    unit: timedelta  # what a refresh recomputes whole: an hour, or a closed day


HOURS = Rollup("item_hours", HOURS_SCHEMA, _HOURS_SQL, HOUR)
DAILY = Rollup("item_daily", DAILY_SCHEMA, _DAILY_SQL, DAY)
ROLLUPS = (HOURS, DAILY)


@dataclass
class Refreshed:
    table: str
    watermark: int | None
    days: int
    rows: int
    retries: int = 0
    hours: int = 0


Span = tuple[datetime, datetime]  # [start, end) of readings' time


# -- lake primitives (candidates for catalog/lake.py) ---------------------------------------------------


def ensure_day_table(lake: Lake, name: str, schema: pa.Schema) -> Table:
    """A derived table of the lake's namespace partitioned by its ``day`` column, made on first use."""
    identifier = f"{lake.config.namespace}.{name}"
    with contextlib.suppress(NamespaceAlreadyExistsError):
        lake.catalog.create_namespace(lake.config.namespace)
    try:
        return lake.catalog.load_table(identifier)
    except NoSuchTableError:
        pass
    table = lake.catalog.create_table_if_not_exists(
        identifier,
        schema=schema,
        properties={
            "write.parquet.compression-codec": "zstd",
            "commit.retry.num-retries": "0",
            **PRUNING_PROPERTIES,
        },
    )
    if not table.spec().fields:
        with contextlib.suppress(CommitFailedException), table.update_spec() as spec:
            spec.add_field("day", IdentityTransform(), "day")
    return lake.catalog.load_table(identifier)


@dataclass(frozen=True)
class Since:
    """The readings since a rollup's watermark."""

    current: Snapshot | None  # the readings' current snapshot
    appends: list[Snapshot]  # its ``append`` snapshots after the watermark, oldest first
    found: bool  # the watermark is in its ancestry (False: expired or never set, so everything is new)
    appends_only: bool  # nothing but appends since (no compaction, overwrite or delete rewrote files)


def appended_since(table: Table, watermark: int | None) -> Since:
    current = table.current_snapshot()
    appends, others = [], 0
    snapshot = current
    while snapshot is not None and snapshot.snapshot_id != watermark:
        if snapshot.summary is not None and snapshot.summary.operation == Operation.APPEND:
            appends.append(snapshot)
        else:
            others += 1
        snapshot = table.snapshot_by_id(snapshot.parent_snapshot_id) if snapshot.parent_snapshot_id else None
    return Since(current, appends[::-1], snapshot is not None or watermark is None, others == 0)


@dataclass(frozen=True)
class Added:
    """A data file an ``append`` snapshot added, and the least and greatest ``ts`` in it."""

    path: str
    first: datetime
    last: datetime


# What a snapshot added never changes: kept per (table, snapshot), so readers asking again and again
# whether the daily rollup is still good read each new snapshot's manifests once.
_ADDED: Lru[tuple[str, int], list[Added]] = Lru(4096)


def added_files(table: Table, snapshots: Sequence[Snapshot]) -> list[Added]:
    """The data files the snapshots added with their ``ts`` bounds, from the manifests (no data read); a file
    without bounds spans its whole ``ts_day`` partition."""
    files = []
    for snapshot in snapshots:
        key = (str(table.metadata.table_uuid), snapshot.snapshot_id)
        known = _ADDED.get(key)
        files += known if known is not None else _ADDED.put(key, _snapshot_files(table, snapshot))
    return files


def spans_of(files: Sequence[Added]) -> list[Span]:
    return [(f.first, f.last) for f in files]


def _snapshot_files(table: Table, snapshot: Snapshot) -> list[Added]:
    position = next(i for i, f in enumerate(table.spec().fields) if f.name == "ts_day")
    ts = table.schema().find_field("ts")
    files = []
    for manifest in snapshot.manifests(table.io):
        if manifest.added_snapshot_id != snapshot.snapshot_id:
            continue
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            if entry.snapshot_id != snapshot.snapshot_id:
                continue
            data = entry.data_file
            path = readable_path(data.file_path)
            low, high = (data.lower_bounds or {}).get(ts.field_id), (data.upper_bounds or {}).get(ts.field_id)
            if low is not None and high is not None:
                first, last = (int(from_bytes(TimestamptzType(), bound)) for bound in (low, high))
                files.append(
                    Added(path, EPOCH + timedelta(microseconds=first), EPOCH + timedelta(microseconds=last))
                )
            else:
                day = _start(date(1970, 1, 1) + timedelta(days=data.partition[position]))
                files.append(Added(path, day, day + DAY - timedelta(microseconds=1)))
    return files


def all_days(table: Table) -> set[date]:
    """Every ``ts_day`` partition with data in the current snapshot."""
    position = next(i for i, f in enumerate(table.spec().fields) if f.name == "ts_day")
    return {
        date(1970, 1, 1) + timedelta(days=task.file.partition[position]) for task in table.scan().plan_files()
    }


def units_of(spans: Sequence[Span], unit: timedelta) -> set[datetime]:
    """The starts of the UTC hours or days (``unit``) the spans touch."""
    step = int(unit.total_seconds() * 1_000_000)
    out: set[datetime] = set()
    for first, last in spans:
        low, high = (int((t - EPOCH) / timedelta(microseconds=1)) // step for t in (first, last))
        out.update(EPOCH + timedelta(microseconds=n * step) for n in range(low, high + 1))
    return out


def current_rollup(lake: Lake, rollup: Rollup) -> Table | None:
    """The rollup table if it reflects the readings' current snapshot (a reader may use it instead), else
    None (not made yet, or behind the readings)."""
    try:
        table = lake.catalog.load_table(f"{lake.config.namespace}.{rollup.name}")
    except NoSuchTableError:
        return None
    current = lake.readings().current_snapshot()
    watermark = snapshot_property(table, WATERMARK_KEY)
    return table if current is not None and watermark == str(current.snapshot_id) else None


def closed_rollup(lake: Lake, until: date) -> Table | None:
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
    added = added_files(readings, since.appends)
    return None if any(file.first.date() < until for file in added) else table


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


# -- refresh ---------------------------------------------------------------------------------------------


def _runs(starts: set[datetime], unit: timedelta) -> Iterator[Span]:
    """Consecutive hours or days as spans of at most RUN_DAYS, so each run is one read of the readings
    (bounded: a month of a national lake in one window query would spill to disk)."""
    limit = RUN_DAYS * DAY
    run: list[datetime] = []
    for start in sorted(starts):
        if run and (start != run[-1] + unit or start + unit - run[0] > limit):
            yield run[0], run[-1] + unit
            run = []
        run.append(start)
    if run:
        yield run[0], run[-1] + unit


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _days(span: Span) -> list[date]:
    """The UTC days [start, end) reaches into (a run of hours may cross midnight)."""
    first, last = span[0].date(), (span[1] - timedelta(microseconds=1)).date()
    return [first + DAY * n for n in range((last - first).days + 1)]


def compute(engine: QueryEngine, rollup: Rollup, snapshot_id: int, run: Span) -> pa.Table:
    """The rollup rows of the hours or days of ``run`` from the readings at ``snapshot_id``."""
    first, end = run
    hourly = rollup.unit == HOUR
    flt = ReadingFilter(start=first if hourly else first - LOOKBACK, end=end)
    plan = engine.plan(engine.lake.readings(), flt.iceberg(None), snapshot_id)
    if not plan.files:
        return rollup.schema.empty_table()
    where, params = flt.sql(None)
    days = [] if hourly else [[_start(d) for d in _days(run)]]
    args = [*days, plan.files, *params, *([] if hourly else [end])]
    cursor = engine.cursor()
    try:
        result = cursor.execute(rollup.sql.format(where=where), args).to_arrow_table()
    finally:
        cursor.close()
    return result.select(rollup.schema.names).cast(rollup.schema)


def _touched(
    readings: Table, rollup: Rollup, added: list[Added] | None, closed: str | None, today: date
) -> set[datetime]:
    """The starts of the hours (``item_hours``) or closed days (``item_daily``) to recompute, from the files
    ``added`` since the watermark (None: the watermark was not found, everything is new)."""
    if rollup.unit == HOUR:
        if added is not None:
            return units_of(spans_of(added), HOUR)
        return units_of([(_start(d), _start(d) + DAY - HOUR) for d in all_days(readings)], HOUR)
    if added is not None and closed:
        days = units_of(spans_of(added), DAY)
        start = _start(date.fromisoformat(closed))
        if start.date() < today:  # days closed since the last refresh: computed now, once
            held = {_start(d) for d in all_days(readings)}
            days |= {d for d in held | {d + DAY for d in held} if d >= start}
    else:
        days = {_start(d) for d in all_days(readings)}
    days |= {d + DAY for d in days}  # the next day's carried-in state and counter base may change
    return {d for d in days if d.date() < today}


def merge_hours(engine: QueryEngine, table: Table, added: Sequence[Added], runs: Sequence[Span]) -> pa.Table:
    """``item_hours`` rows of the hours of ``runs``: the table's rows of those hours merged with the
    statistics of the ``added`` files alone (counts and sums add up, minima and maxima combine). Only the new
    files are read, however many readings those hours already hold."""
    parts = [f"SELECT * FROM ({_HOURS_SQL.format(where='true')})"]
    args: list[Any] = [[f.path for f in added]]
    held = engine.plan(table, _replaced(runs, HOUR)).files
    if held:
        hours = " OR ".join("(hour >= ? AND hour < ?)" for _ in runs)
        parts.append(f"SELECT * FROM read_parquet(?, {READ_OPTIONS}) WHERE {hours}")
        args += [held, *(t for run in runs for t in run)]
    sql = (
        f"SELECT day, hour, {_KEY_COLUMNS}, sum(readings)::BIGINT AS readings, sum(sum) AS sum, "
        f"min(min) AS min, max(max) AS max FROM ({' UNION ALL BY NAME '.join(parts)}) GROUP BY ALL "
        "ORDER BY day, factory_id, equipment_id, item_id, hour"
    )
    cursor = engine.cursor()
    try:
        result = cursor.execute(sql, args).to_arrow_table()
    finally:
        cursor.close()
    return result.select(HOURS.schema.names).cast(HOURS.schema)


def _replaced(runs: Sequence[Span], unit: timedelta) -> BooleanExpression:
    """The rollup rows the recomputed runs replace."""
    days: BooleanExpression = In(term="day", literals={d.isoformat() for run in runs for d in _days(run)})
    if unit == DAY:
        return days
    hours: list[BooleanExpression] = [
        And(
            GreaterThanOrEqual(term="hour", value=first.isoformat()),
            LessThan(term="hour", value=end.isoformat()),
        )
        for first, end in runs
    ]
    return And(days, reduce(Or, hours))


def refresh_one(
    engine: QueryEngine, rollup: Rollup, *, retries: int = 5, today: date | None = None
) -> Refreshed:
    lake = engine.lake
    for attempt in range(retries + 1):
        table = ensure_day_table(lake, rollup.name, rollup.schema)
        raw, closed = snapshot_property(table, WATERMARK_KEY), snapshot_property(table, CLOSED_KEY)
        watermark = int(raw) if raw else None
        closing = today or datetime.now(UTC).date()
        readings = lake.readings()
        since = appended_since(readings, watermark)
        current = since.current
        closes = rollup.unit == DAY and closed != closing.isoformat()
        if current is None or (current.snapshot_id == watermark and not closes):
            return Refreshed(rollup.name, watermark, 0, 0, attempt)
        added = added_files(readings, since.appends) if since.found else None
        runs = list(_runs(_touched(readings, rollup, added, closed, closing), rollup.unit))
        if rollup.unit == HOUR and watermark is not None and added is not None and since.appends_only:
            # the rows reflect the watermark, and nothing rewrote files since: add what the new files hold
            computed = [merge_hours(engine, table, added, runs)] if runs else []
        else:
            # every run first, then one overwrite: each overwrite of a transaction copies the table metadata
            # again (pyiceberg), so a month of runs in one commit is far cheaper than a commit per run
            computed = [compute(engine, rollup, current.snapshot_id, run) for run in runs]
        rows = sum(part.num_rows for part in computed)
        properties = {WATERMARK_KEY: str(current.snapshot_id)}
        if rollup.unit == DAY:
            properties[CLOSED_KEY] = closing.isoformat()
        try:
            # The runs took a while: a compaction of the rollup may have landed meanwhile. Under the lock the
            # overwrite stages on the head it commits on, so such work is not thrown away and recomputed.
            with exclusive_commits(table):
                if snapshot_property(table.refresh(), WATERMARK_KEY) != raw:
                    continue  # another refresh moved the watermark: start again from it
                with warnings.catch_warnings(), table.transaction() as transaction:
                    # a first refresh of a day deletes nothing: pyiceberg says so for every such day
                    warnings.filterwarnings("ignore", "Delete operation did not match any records")
                    if not runs:
                        transaction.append(rollup.schema.empty_table(), snapshot_properties=properties)
                    else:
                        transaction.overwrite(
                            pa.concat_tables([rollup.schema.empty_table(), *computed]),
                            overwrite_filter=_replaced(runs, rollup.unit),
                            snapshot_properties=properties,
                        )
        except CommitFailedException:
            log.info("%s: another commit landed first; refreshing again", rollup.name)
            continue
        days = len({d for run in runs for d in _days(run)})
        hours = sum((end - first) // HOUR for first, end in runs) if rollup.unit == HOUR else 0
        return Refreshed(rollup.name, current.snapshot_id, days, rows, attempt, hours)
    raise RuntimeError(f"{rollup.name}: gave up after {retries} conflicting commits")


def refresh(
    lake: Lake, *, progress: bool = False, engine: QueryEngine | None = None, today: date | None = None
) -> list[Refreshed]:
    """Bring every rollup up to the readings' current snapshot (blocking); ``item_daily`` holds the days
    before ``today`` (by default the current UTC day)."""
    own = engine is None
    engine = engine or QueryEngine(lake)
    try:
        out = []
        for rollup in ROLLUPS:
            started = time.monotonic()
            done = refresh_one(engine, rollup, today=today)
            if progress:
                print(
                    f"rollup {done.table}: {done.days} day(s), {done.rows} row(s), "
                    f"{done.hours} hour(s), watermark {done.watermark} "
                    f"({time.monotonic() - started:.1f}s)",
                    flush=True,
                )
            out.append(done)
        return out
    finally:
        if own:
            engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog.rollups", description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = PlatformSettings()
    ensure_bucket(settings)
    lake = Lake(LakeConfig.from_settings(settings))
    lake.ensure_tables()
    while True:
        refresh(lake, progress=True)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
