"""A refresh round: what the readings gained since each rollup's watermark is recomputed and committed with
the new watermark in the same snapshot (see the package's docstring for why that is exactly once).

On the Trino path (``analytics.rollup_engine = trino``) the rollups (each has an ``insert``: the same SQL
as its ``compute``, in Trino's dialect) are computed by Trino's ``INSERT ... SELECT`` into the tables, and
the guarantee is kept in two commits, because Trino's SQL cannot set a snapshot's summary properties:
1. under the table's commit lock, Trino deletes the touched **days** (``DELETE ... WHERE day IN``: whole
   partitions, which Trino drops from the metadata without writing delete files, so the DuckDB path still
   reads the table) and inserts their rows, committing snapshots without a watermark;
2. an empty pyiceberg append then carries the watermark, only if the snapshots between the head and the one
   the round started from are exactly those the round's statements made (their ``trino_query_id``) and add
   no delete files; else the round starts again.
Readers trust a rollup only when its current snapshot names the readings' current snapshot
(``current_rollup``, ``closed_rollup``), so rows without a watermark are never read. After a stop between
the two commits, the next round starts from the last watermark in the ancestry (``last_watermark``) and
recomputes every day touched since, the stopped round's among them: days are replaced whole, never added
to. The unit is the day, the tables' partition, not the hour: deleting hours would write position delete
files (merge-on-read), which the DuckDB readers refuse, so a late file costs its days' readings on this
path (its hours on the DuckDB path). An hourly partition of ``item_pieces`` and ``item_hours`` would keep
hours as the unit, at the price of a spec change of existing tables and 24 times the files: not done.
"""

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
from catalog.engines import TrinoEngine
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
    last_watermark,
    replaced,
    start_of,
    units_of,
)
from services.kit.settings import PlatformSettings

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


TRINO_QUERY_KEY = "trino_query_id"  # what Trino writes into the summary of a snapshot it commits


def _made_by(table: Table, start: int | None, queries: set[str]) -> int | None:
    """The rows the snapshots from the head back to ``start`` added, if each was committed by one of
    ``queries`` (None: another commit is among them)."""
    rows, snapshot = 0, table.current_snapshot()
    while snapshot is not None and snapshot.snapshot_id != start:
        properties = snapshot.summary.additional_properties if snapshot.summary is not None else {}
        if properties.get(TRINO_QUERY_KEY) not in queries:
            return None
        if int(properties.get("added-delete-files", 0)):
            # a bug, not a race: the DuckDB readers would refuse the table from now on
            raise RuntimeError(f"{table.name()}: Trino wrote delete files ({snapshot.snapshot_id})")
        rows += int(properties.get("added-records", 0))
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None
    return rows if (snapshot.snapshot_id if snapshot else None) == start else None


def _mark(table: Table, rollup: Rollup, properties: dict[str, str]) -> None:
    """The second commit of a round on the Trino path: the watermark, in an empty append."""
    table.append(rollup.schema.empty_table(), snapshot_properties=properties)


def refresh_in_trino(
    engine: QueryEngine, trino: TrinoEngine, rollup: Rollup, *, retries: int = 5, today: date | None = None
) -> Refreshed:
    """``refresh_one`` on the Trino path (the module's docstring): the touched days of ``rollup`` deleted and
    inserted by Trino, then the watermark committed by pyiceberg."""
    lake = engine.lake
    for attempt in range(retries + 1):
        table = ensure_day_table(lake, rollup.name, rollup.schema)
        begun = table.current_snapshot()
        start = None if begun is None else begun.snapshot_id
        raw, closed = last_watermark(table)
        watermark = int(raw) if raw else None
        closing = today or datetime.now(UTC).date()
        readings = lake.readings()
        pinned = _source(engine, rollup)
        closes = rollup.unit == DAY and closed != closing.isoformat()
        marked = snapshot_property(table, WATERMARK_KEY) is not None  # no round stopped between its commits
        if pinned is None or (pinned[1] == watermark and not closes and marked):
            return Refreshed(rollup.name, watermark, 0, 0, attempt)
        source, head = pinned
        since = appended_since(readings, watermark, head)
        added = added_files(readings, since.appends, engine.manifests) if since.found else None
        days = {start_of(t.date()) for t in _touched(readings, rollup, added, closed, closing)}
        runs = list(_runs(days, DAY))
        statements = [statement for run in runs for statement in rollup.insert(engine, trino, source, run)]
        properties = {WATERMARK_KEY: str(head)}
        if rollup.unit == DAY:
            properties[CLOSED_KEY] = closing.isoformat()
        with exclusive_commits(table):
            if _head(table.refresh()) != start:
                continue  # another commit landed while the statements were planned
            queries: set[str] = set()
            if runs:
                held = sorted({d for run in runs for d in days_of(run)})
                target = trino.table(table.name())
                where = ", ".join("?" * len(held))
                queries.add(trino.run(f"DELETE FROM {target} WHERE day IN ({where})", held))
                queries.update(trino.run(sql, params) for sql, params in statements)
            rows = _made_by(table.refresh(), start, queries)
            if rows is None:
                log.info("%s: another commit landed during Trino's statements; refreshing again", rollup.name)
                continue
            try:
                _mark(table, rollup, properties)
            except CommitFailedException:
                continue  # the rows stay without a watermark: the next attempt recomputes their days
        hours = sum((end - first) // HOUR for first, end in runs) if rollup.unit == HOUR else 0
        return Refreshed(rollup.name, head, len(days), rows, attempt, hours)
    raise RuntimeError(f"{rollup.name}: gave up after {retries} conflicting commits")


def _head(table: Table) -> int | None:
    snapshot = table.current_snapshot()
    return None if snapshot is None else snapshot.snapshot_id


def rollup_engine(settings: PlatformSettings) -> TrinoEngine | None:
    """The Trino server computing the rollups (``analytics.rollup_engine``); None: DuckDB in this process."""
    if settings.analytics.rollup_engine == "trino":
        return TrinoEngine(settings.trino.url, settings.trino.catalog, user=settings.trino.user)
    return None


def refresh(
    lake: Lake,
    *,
    progress: bool = False,
    engine: QueryEngine | None = None,
    today: date | None = None,
    trino: TrinoEngine | None = None,
) -> list[Refreshed]:
    """Bring every rollup up to the readings' current snapshot (blocking); ``item_daily`` holds the days
    before ``today`` (by default the current UTC day). With ``trino``, that Trino server computes the
    rollups (the module's docstring), else DuckDB in this process."""
    own = engine is None
    engine = engine or QueryEngine(lake, memory_limit=REFRESH_MEMORY, keep_blocks=False)
    try:
        out = []
        for rollup in ROLLUPS:
            started = time.monotonic()
            if trino is not None:
                done = refresh_in_trino(engine, trino, rollup, today=today)
            else:
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
