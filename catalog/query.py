"""The analytics query engine: pyiceberg plans which data files can match, a SQL engine reads them.

Every query goes the same way:
1. the filter (factories, organisations, model, items, time range) becomes a pyiceberg row filter; scan
   planning prunes by partition (day of ``ts``, ``model_id``) and by the per-file column statistics, and
   pins the snapshot the answer reads;
2. the SQL engine (``catalog.engines``: DuckDB in process by default, or Trino) reads that snapshot (DuckDB
   the remaining Parquet files, ``s3://`` through httpfs or local paths) and applies the same filter in
   SQL, with parameters only: no caller text ever becomes SQL.

Readings, series, benchmarks, exports, KPIs (``catalog.kpis``) and the owners tenancy asks for go through
the chosen engine with one SQL text each; rollups, dead letters and upload summaries write DuckDB SQL of
their own and use ``cursor``/``query``.

The engine is blocking (pyiceberg I/O, DuckDB, Trino's client); the API runs it in worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import takewhile
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pyiceberg.expressions import (
    AlwaysFalse,
    AlwaysTrue,
    And,
    BooleanExpression,
    EqualTo,
    GreaterThanOrEqual,
    In,
    LessThan,
    NotNull,
    Or,
)
from pyiceberg.table import DataScan, Table
from pyiceberg.table.snapshots import Summary

from catalog import duck
from catalog.appends import table_offsets

# The dialect's constants live with the engines; the modules writing DuckDB SQL themselves import them here.
from catalog.engines import BUCKET_SECONDS, BUCKETS, READ_OPTIONS, DuckDbEngine, SqlEngine  # noqa: F401
from catalog.lake import READINGS_SCHEMA, Lake
from catalog.manifest_cache import CachedIO
from catalog.peers import disclosed
from services.kit.cache import PUBLIC, Cache, Key

OWNERS_TTL_S = 60.0


@dataclass(frozen=True)
class Grant:
    """Rows a caller may read: of one factory (or every factory) of one organisation (or any)."""

    factory_id: str | None
    org_id: str | None


Scope = list[Grant] | None
"""``None``: every row (admins); a list: the union of its grants (empty: nothing)."""
Quantiles = Literal["exact", "approx", "none"]
"""How a series computes its median and p95 (``approx``: ``SqlEngine.approx_quantiles``, stated error)."""


@dataclass(frozen=True)
class ReadingFilter:
    factory_ids: tuple[str, ...] = ()
    model_id: str | None = None
    item_ids: tuple[str, ...] = ()
    equipment_id: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    numeric: bool = False  # only readings with a numeric value

    def window(self) -> tuple[datetime, datetime] | None:
        """The [start, end) the rows are filtered to, if both ends are given."""
        return (self.start, self.end) if self.start and self.end else None

    def iceberg(self, scope: Scope) -> BooleanExpression:
        terms: list[BooleanExpression] = []
        if self.factory_ids:
            terms.append(In(term="factory_id", literals=set(self.factory_ids)))
        if self.model_id:
            terms.append(EqualTo(term="model_id", value=self.model_id))
        if self.item_ids:
            terms.append(In(term="item_id", literals=set(self.item_ids)))
        if self.equipment_id:
            terms.append(EqualTo(term="equipment_id", value=self.equipment_id))
        if self.start:
            terms.append(GreaterThanOrEqual(term="ts", value=self.start.astimezone(UTC).isoformat()))
        if self.end:
            terms.append(LessThan(term="ts", value=self.end.astimezone(UTC).isoformat()))
        if self.numeric:
            terms.append(NotNull(term="value_num"))
        if scope is not None:
            grants: list[BooleanExpression] = [_grant_expression(g) for g in scope]
            terms.append(_any(grants))
        return _all(terms)

    def sql(self, scope: Scope) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.factory_ids:
            clauses.append(f"factory_id IN ({', '.join('?' * len(self.factory_ids))})")
            params += self.factory_ids
        if self.model_id:
            clauses.append("model_id = ?")
            params.append(self.model_id)
        if self.item_ids:
            clauses.append(f"item_id IN ({', '.join('?' * len(self.item_ids))})")
            params += self.item_ids
        if self.equipment_id:
            clauses.append("equipment_id = ?")
            params.append(self.equipment_id)
        if self.start:
            clauses.append("ts >= ?")
            params.append(self.start)
        if self.end:
            clauses.append("ts < ?")
            params.append(self.end)
        if self.numeric:
            clauses.append("value_num IS NOT NULL")
        if scope is not None:
            grants = []
            for grant in scope:
                parts = []
                for column, value in (("factory_id", grant.factory_id), ("org_id", grant.org_id)):
                    if value is not None:
                        parts.append(f"{column} = ?")
                        params.append(value)
                grants.append("(" + (" AND ".join(parts) or "TRUE") + ")")
            clauses.append("(" + (" OR ".join(grants) or "FALSE") + ")")
        return " AND ".join(clauses) or "TRUE", params


def _grant_expression(grant: Grant) -> BooleanExpression:
    terms: list[BooleanExpression] = []
    if grant.factory_id is not None:
        terms.append(EqualTo(term="factory_id", value=grant.factory_id))
    if grant.org_id is not None:
        terms.append(EqualTo(term="org_id", value=grant.org_id))
    return _all(terms)


def _all(terms: Sequence[BooleanExpression]) -> BooleanExpression:
    return And(*terms) if len(terms) > 1 else (terms[0] if terms else AlwaysTrue())


def _any(terms: Sequence[BooleanExpression]) -> BooleanExpression:
    return Or(*terms) if len(terms) > 1 else (terms[0] if terms else AlwaysFalse())


@dataclass(frozen=True)
class ScanPlan:
    """The data files a query reads after pruning, and how many the snapshot has in total."""

    snapshot_id: int | None
    files: list[str]
    files_total: int
    bytes_scanned: int
    rows_in_files: int
    table: tuple[str, ...] = ()  # the planned table's identifier (what an engine reads at ``snapshot_id``)

    def stats(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "files_scanned": len(self.files),
            "files_total": self.files_total,
            "bytes_scanned": self.bytes_scanned,
            "rows_in_scanned_files": self.rows_in_files,
        }


class SnapshotGone(LookupError):
    """A cursor names a snapshot that was expired meanwhile."""


@dataclass(frozen=True)
class Position:
    """Where a page of readings ends: the snapshot it reads, the last row's key and how many rows of that
    key (readings of one item at one instant) the listing returned so far."""

    snapshot_id: int
    ts: datetime
    equipment_id: str
    item_id: str
    seen: int


READING_COLUMNS = (
    "factory_id",
    "equipment_id",
    "model_id",
    "model_version",
    "item_id",
    "ts",
    "value_num",
    "value_text",
    "unit",
    "quality",
    "ingested_at",
)
# The key of a page boundary, then every other column: a total order on both engines (rows equal in all
# of them are indistinguishable in an answer), with no engine's notion of a row's file or position.
READING_KEY = ("ts", "equipment_id", "item_id")
READING_ORDER = ", ".join((*READING_KEY, *(c for c in READING_COLUMNS if c not in READING_KEY)))


def owners_key(lake: Lake, factory_id: str) -> Key:
    """The one key of which organisations a factory's readings in ``lake`` carry: what the rows say, whoever
    asks (a caller's rights are checked on the answer, never by the key)."""
    return Key("lake.owners", PUBLIC, None, (lake.config.warehouse, lake.readings_id, factory_id))


@dataclass
class QueryEngine:
    lake: Lake
    threads: int | None = None
    memory_limit: str = "1GB"
    keep_blocks: bool = True  # catalog.duck.connect's: False where every file is read once (rollup rounds)
    # The process's cache of immutable lake metadata (catalog.manifest_cache); None: the object store's.
    manifests: Cache[Any] | None = None
    # The engine of readings, series, benchmarks, exports and owners; None: this process's DuckDB.
    sql: SqlEngine | None = None
    _db: duckdb.DuckDBPyConnection | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        if self.sql is not None:
            self.sql.close()
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def engine(self) -> SqlEngine:
        return self.sql if self.sql is not None else DuckDbEngine(self.cursor)

    def _source(self, table: Table, plan: ScanPlan) -> tuple[str, list[Any]]:
        assert plan.snapshot_id is not None  # a plan without a snapshot has no files: callers stop before
        return self.engine.source(table.name(), plan.snapshot_id, plan.files)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the process's database (close it after use)."""
        with self._lock:
            if self._db is None:
                self._db = duck.connect(
                    self.lake.config.s3,
                    threads=self.threads,
                    memory_limit=self.memory_limit,
                    keep_blocks=self.keep_blocks,
                )
            return self._db.cursor()

    def query(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """DuckDB SQL on this process's database, whichever engine answers the shared queries."""
        return DuckDbEngine(self.cursor).rows(sql, params)

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, table: Table, condition: BooleanExpression, snapshot_id: int | None = None) -> ScanPlan:
        snapshot = table.snapshot_by_id(snapshot_id) if snapshot_id is not None else table.current_snapshot()
        if snapshot_id is not None and snapshot is None:
            raise SnapshotGone(f"snapshot {snapshot_id} no longer exists")
        if snapshot is None:
            return ScanPlan(None, [], 0, 0, 0)
        # the manifests come from memory after the first plan (immutable files: catalog.manifest_cache)
        scan = DataScan(
            table_metadata=table.metadata,
            io=table.io if self.manifests is None else CachedIO(table.io, self.manifests),
            row_filter=condition,
            snapshot_id=snapshot.snapshot_id,
        )
        tasks = list(scan.plan_files())
        if any(task.delete_files for task in tasks):
            # pyiceberg writes copy-on-write only; merge-on-read deletes from another engine would be ignored.
            raise RuntimeError(
                f"{table.name()} has delete files; the DuckDB engine reads copy-on-write tables only"
            )
        return ScanPlan(
            snapshot.snapshot_id,
            [duck.readable_path(task.file.file_path) for task in tasks],
            _total(snapshot.summary, "total-data-files"),
            sum(task.file.file_size_in_bytes for task in tasks),
            sum(task.file.record_count for task in tasks),
            table.name(),
        )

    # -- queries -------------------------------------------------------------------------------------

    def readings(
        self, flt: ReadingFilter, scope: Scope, limit: int, after: Position | None = None
    ) -> tuple[list[dict[str, Any]], Position | None, ScanPlan]:
        """One page of raw readings in (ts, equipment, item) order, read from one snapshot throughout."""
        table = self.lake.readings()
        pruning = flt
        if after is not None and (flt.start is None or after.ts > flt.start):
            pruning = ReadingFilter(**{**flt.__dict__, "start": after.ts})  # later pages skip earlier files
        plan = self.plan(table, pruning.iceberg(scope), after.snapshot_id if after else None)
        if not plan.files:
            return [], None, plan
        source, source_params = self._source(table, plan)
        where, params = flt.sql(scope)
        skip = 0
        if after is not None:
            # from the last page's key on; the rows of that key it returned are skipped below
            where += " AND (ts, equipment_id, item_id) >= (?, ?, ?)"
            params += [after.ts, after.equipment_id, after.item_id]
            skip = after.seen
        sql = (
            f"SELECT {', '.join(READING_COLUMNS)} FROM {source} WHERE {where} "
            f"ORDER BY {READING_ORDER} LIMIT ?"
        )
        rows = self.engine.rows(sql, [*source_params, *params, skip + limit + 1])[skip:]
        position = None
        if len(rows) > limit:
            rows = rows[:limit]
            key = _key(rows[-1])
            seen = sum(1 for _ in takewhile(lambda row: _key(row) == key, reversed(rows)))
            if after is not None and key == _key(after.__dict__) and seen == len(rows):
                seen += after.seen  # the whole page was rows of the last page's key
            assert plan.snapshot_id is not None
            position = Position(plan.snapshot_id, *key, seen)
        return rows, position, plan

    def reading_batches(
        self, flt: ReadingFilter, scope: Scope, batch_rows: int = 50_000
    ) -> tuple[pa.Schema, Iterator[pa.RecordBatch], ScanPlan]:
        """The readings in (ts, equipment, item) order as lazy Arrow batches (a raw series, an export): with
        DuckDB no row becomes a Python object. The query ends when the batches are exhausted."""
        schema = pa.schema([READINGS_SCHEMA.field(c) for c in READING_COLUMNS])
        table = self.lake.readings()
        plan = self.plan(table, flt.iceberg(scope))
        if not plan.files:
            return schema, iter(()), plan
        source, source_params = self._source(table, plan)
        where, params = flt.sql(scope)
        sql = f"SELECT {', '.join(READING_COLUMNS)} FROM {source} WHERE {where} ORDER BY {READING_ORDER}"
        return schema, self.engine.batches(sql, [*source_params, *params], schema, batch_rows), plan

    def series(
        self,
        flt: ReadingFilter,
        scope: Scope,
        bucket: str,
        tz: str,
        by_equipment: bool = False,
        quantiles: Quantiles = "exact",
    ) -> tuple[list[dict[str, Any]], ScanPlan]:
        """Per factory (or equipment) and time bucket: count, mean, min, max, median, p95 of the values; the
        quantiles exact, approximate (the engine's ``approx_quantiles``) or not computed (``none``: null)."""
        flt = ReadingFilter(**{**flt.__dict__, "numeric": True})
        table = self.lake.readings()
        plan = self.plan(table, flt.iceberg(scope))
        if not plan.files:
            return [], plan
        engine = self.engine
        source, source_params = self._source(table, plan)
        width, zones = engine.bucket(bucket, flt.window())
        where, params = flt.sql(scope)
        keys = ("factory_id", "equipment_id") if by_equipment else ("factory_id",)
        groups = ", ".join(str(i) for i in range(1, len(keys) + 2))  # the keys and the bucket, by position
        if quantiles == "exact":
            median, p95 = engine.quantile("value_num", 0.5), engine.quantile("value_num", 0.95)
        elif quantiles == "approx":
            median, p95 = engine.approx_quantiles("value_num", (0.5, 0.95))
        else:
            # sorting every value for quantiles nobody reads would cost most of the scan
            median = p95 = "CAST(NULL AS DOUBLE)"
        sql = (
            f"SELECT {', '.join(keys)}, {width} AS bucket, count(*) AS readings, "
            "avg(value_num) AS mean, min(value_num) AS min, max(value_num) AS max, "
            f"{median} AS median, {p95} AS p95 "
            f"FROM {source} WHERE {where} GROUP BY {groups} ORDER BY {groups}"
        )
        return engine.rows(sql, [*[tz] * zones, *source_params, *params]), plan

    def benchmarks(
        self, flt: ReadingFilter, bucket: str, tz: str, min_group_size: int
    ) -> tuple[list[dict[str, Any]], int, ScanPlan]:
        """Cross-factory aggregates per time bucket; groups of fewer than ``min_group_size`` factories are
        dropped here, before anything leaves the engine, and only counted."""
        flt = ReadingFilter(**{**flt.__dict__, "numeric": True})
        table = self.lake.readings()
        plan = self.plan(table, flt.iceberg(None))
        if not plan.files:
            return [], 0, plan
        engine = self.engine
        source, source_params = self._source(table, plan)
        width, zones = engine.bucket(bucket, flt.window())
        where, params = flt.sql(None)
        sql = (
            f"SELECT {width} AS bucket, "
            "count(DISTINCT factory_id) AS factories, count(*) AS readings, avg(value_num) AS mean, "
            f"{engine.quantile('value_num', 0.5)} AS median, {engine.quantile('value_num', 0.95)} AS p95 "
            f"FROM {source} WHERE {where} GROUP BY 1 ORDER BY 1"
        )
        groups = engine.rows(sql, [*[tz] * zones, *source_params, *params])
        shown, suppressed = disclosed(groups, min_group_size)
        return shown, suppressed, plan

    def owners(self, factory_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The organisations whose rows a factory's readings carry (kept a minute once known, in the
        ``manifests`` cache: without one, looked up every time)."""
        known: dict[str, frozenset[str]] = {}
        for factory_id in factory_ids:
            hit = None if self.manifests is None else self.manifests.get(owners_key(self.lake, factory_id))
            if hit is not None:
                known[factory_id] = hit
        missing = tuple(f for f in factory_ids if f not in known)
        if missing:
            flt = ReadingFilter(factory_ids=missing)
            table = self.lake.readings()
            plan = self.plan(table, flt.iceberg(None))
            found: dict[str, set[str]] = {}
            if plan.files:
                source, source_params = self._source(table, plan)
                where, params = flt.sql(None)
                sql = f"SELECT DISTINCT factory_id, org_id FROM {source} WHERE {where}"
                for row in self.engine.rows(sql, [*source_params, *params]):
                    found.setdefault(row["factory_id"], set()).add(row["org_id"])
            for factory_id in missing:
                orgs = frozenset(found.get(factory_id, ()))
                if orgs and self.manifests is not None:  # a factory without data yet: again next time
                    self.manifests.put(owners_key(self.lake, factory_id), orgs, ttl_s=OWNERS_TTL_S)
                known[factory_id] = orgs
        return known

    def tables(self) -> list[dict[str, Any]]:
        """What the lake holds: per table its snapshots, files, rows, last commit and the bus offsets."""
        out = []
        for table in (self.lake.readings(), self.lake.dead_letters()):
            snapshot = table.current_snapshot()
            summary = snapshot.summary if snapshot else None
            out.append(
                {
                    "table": ".".join(table.name()),
                    "location": table.location(),
                    "partitioning": [f"{f.name}={f.transform}" for f in table.spec().fields],
                    "snapshots": len(table.snapshots()),
                    "current_snapshot_id": snapshot.snapshot_id if snapshot else None,
                    "last_commit_at": (
                        datetime.fromtimestamp(snapshot.timestamp_ms / 1000, tz=UTC) if snapshot else None
                    ),
                    "last_operation": summary.operation.value if summary is not None else None,
                    "data_files": _total(summary, "total-data-files"),
                    "records": _total(summary, "total-records"),
                    "size_bytes": _total(summary, "total-files-size"),
                    "bus_offsets": {str(p): o for p, o in sorted(table_offsets(table).items())},
                }
            )
        return out


def _key(row: dict[str, Any]) -> tuple[datetime, str, str]:
    return row["ts"], row["equipment_id"], row["item_id"]


def _total(summary: Summary | None, key: str) -> int:
    value = summary[key] if summary is not None else None
    return int(value) if value else 0
