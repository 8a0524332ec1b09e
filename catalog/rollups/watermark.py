"""A refresh round: what the readings gained since each rollup's watermark is recomputed and committed with
the new watermark in the same snapshot (see the package's docstring for why that is exactly once)."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.table import Table

from catalog.commit_lock import exclusive_commits
from catalog.lake import Lake, snapshot_property
from catalog.query import QueryEngine
from catalog.rollups.files import Added, added_files, all_days, appended_since, spans_of
from catalog.rollups.item_daily import DAILY
from catalog.rollups.item_hours import HOURS
from catalog.rollups.item_pieces import PIECES
from catalog.rollups.peer_daily import PEERS
from catalog.rollups.tables import (
    CLOSED_KEY,
    DAY,
    HOUR,
    WATERMARK_KEY,
    Rollup,
    Source,
    Span,
    days_of,
    ensure_day_table,
    replaced,
    start_of,
    units_of,
)

log = logging.getLogger(__name__)

RUN_DAYS = 2  # days recomputed per read of the readings (a run of days reads the day before as well)
ROLLUPS = (PIECES, HOURS, DAILY, PEERS)  # in this order: the pieces first, the tables derived from them after
# DuckDB's memory in a process that refreshes (the refresher's child, ``python -m catalog.rollups``): its
# buffer pool otherwise fills up to the query engine's 1 GB with cached file blocks on top of a chunk's
# aggregation (1,437 MiB peak RSS at 200 M readings; 1,061 MiB with 640 MB); a chunk of
# ``item_pieces.CHUNK_ROWS`` needs ~200 MB (384 MB ran out of memory with 3 M readings a chunk).
REFRESH_MEMORY = "512MB"


@dataclass
class Refreshed:
    table: str
    watermark: int | None
    days: int
    rows: int
    retries: int = 0
    hours: int = 0


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


def _source(engine: QueryEngine, rollup: Rollup) -> tuple[Source, int] | None:
    """What ``rollup`` is computed from, pinned for the round, and the readings snapshot id that reflects
    (None: nothing to compute from yet). The derived tables follow the pieces' watermark, not the readings'
    current snapshot: what they hold is then exactly what the pieces they were computed from hold."""
    lake = engine.lake
    if not rollup.derived:
        readings = lake.readings()
        current = readings.current_snapshot()
        return None if current is None else (Source(readings, current.snapshot_id), current.snapshot_id)
    try:
        pieces = lake.catalog.load_table(f"{lake.config.namespace}.{PIECES.name}")
    except NoSuchTableError:
        return None
    raw, snapshot = snapshot_property(pieces, WATERMARK_KEY), pieces.current_snapshot()
    return None if not raw or snapshot is None else (Source(pieces, snapshot.snapshot_id), int(raw))


def _touched(
    readings: Table, rollup: Rollup, added: list[Added] | None, closed: str | None, today: date
) -> set[datetime]:
    """The starts of the hours (``item_hours``) or closed days (``item_daily``) to recompute, from the files
    ``added`` since the watermark (None: the watermark was not found, everything is new)."""
    if rollup.unit == HOUR:
        if added is not None:
            return units_of(spans_of(added), HOUR)
        return units_of([(start_of(d), start_of(d) + DAY - HOUR) for d in all_days(readings)], HOUR)
    if added is not None and closed:
        days = units_of(spans_of(added), DAY)
        start = start_of(date.fromisoformat(closed))
        if start.date() < today:  # days closed since the last refresh: computed now, once
            held = {start_of(d) for d in all_days(readings)}
            days |= {d for d in held | {d + DAY for d in held} if d >= start}
    else:
        days = {start_of(d) for d in all_days(readings)}
    days |= {d + DAY for d in days}  # the next day's carried-in state and counter base may change
    return {d for d in days if d.date() < today}


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
        pinned = _source(engine, rollup)
        closes = rollup.unit == DAY and closed != closing.isoformat()
        if pinned is None or (pinned[1] == watermark and not closes):
            return Refreshed(rollup.name, watermark, 0, 0, attempt)
        source, head = pinned
        since = appended_since(readings, watermark, head)
        added = added_files(readings, since.appends, engine.manifests) if since.found else None
        runs = list(_runs(_touched(readings, rollup, added, closed, closing), rollup.unit))
        # every run first, then one overwrite: each overwrite of a transaction copies the table metadata
        # again (pyiceberg), so a month of runs in one commit is far cheaper than a commit per run
        computed = [rollup.compute(engine, source, run) for run in runs]
        rows = sum(part.num_rows for part in computed)
        properties = {WATERMARK_KEY: str(head)}
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
                            overwrite_filter=replaced(runs, rollup.unit),
                            snapshot_properties=properties,
                        )
        except CommitFailedException:
            log.info("%s: another commit landed first; refreshing again", rollup.name)
            continue
        days = len({d for run in runs for d in days_of(run)})
        hours = sum((end - first) // HOUR for first, end in runs) if rollup.unit == HOUR else 0
        return Refreshed(rollup.name, head, days, rows, attempt, hours)
    raise RuntimeError(f"{rollup.name}: gave up after {retries} conflicting commits")


def refresh(
    lake: Lake, *, progress: bool = False, engine: QueryEngine | None = None, today: date | None = None
) -> list[Refreshed]:
    """Bring every rollup up to the readings' current snapshot (blocking); ``item_daily`` holds the days
    before ``today`` (by default the current UTC day)."""
    own = engine is None
    engine = engine or QueryEngine(lake, memory_limit=REFRESH_MEMORY, keep_blocks=False)
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
