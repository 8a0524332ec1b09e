"""The analytics machinery of one process: the query engine over the lake, opened when first reachable."""

from __future__ import annotations

import threading
from typing import Any

from pyiceberg.expressions import AlwaysTrue

from catalog.engines import SqlEngine, TrinoEngine
from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine
from services.kit.cache import Cache
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot
from services.kit.warmup import Deadline

FOOTERS_AT_ONCE = 256  # data files whose footers one warm-up query reads: the deadline is asked between


def sql_engine(settings: PlatformSettings) -> SqlEngine | None:
    """The engine the settings choose for the shared queries; None: this process's DuckDB."""
    if settings.analytics.engine == "trino":
        return TrinoEngine(settings.trino.url, settings.trino.catalog, user=settings.trino.user)
    return None


class Analytics:
    """The process's query engine, opened at start-up or, if the lake was unreachable then, on first use."""

    def __init__(
        self,
        settings: PlatformSettings,
        manifests: Cache[Any],
        memory_limit: str = "1GB",
        keep_blocks: bool = True,
    ) -> None:
        self.settings = settings
        self.manifests = manifests
        self.memory_limit = memory_limit  # DuckDB's, in this process
        self.keep_blocks = keep_blocks  # catalog.duck.connect's
        # made now, without connecting, so that a malformed Trino URL stops the start rather than a query
        self._sql = sql_engine(settings)
        self._engine: QueryEngine | None = None
        self._lock = threading.Lock()

    def engine(self) -> QueryEngine:
        """Blocking: may connect to the catalog and the object store."""
        with self._lock:
            if self._engine is None:
                ensure_bucket(self.settings)
                lake = Lake(LakeConfig.from_settings(self.settings))
                lake.ensure_tables()  # an empty lake answers empty results rather than errors
                self._engine = QueryEngine(
                    lake,
                    memory_limit=self.memory_limit,
                    keep_blocks=self.keep_blocks,
                    manifests=self.manifests,
                    sql=self._sql,
                )
            return self._engine

    def ready(self) -> None:
        self.engine().lake.catalog.list_namespaces()

    def warm(self, deadline: Deadline) -> str:
        """What a fresh process's first lake queries pay once (services.kit.warmup): DuckDB's database (and
        on S3 its httpfs extension), every table's manifests of the current snapshot (into the ``manifests``
        cache) and the footers of its data files (DuckDB's Parquet metadata cache, when DuckDB answers).
        On the dashboard bench's lake (607 readings files, four rollups of ~30 files) it takes ~0.33 s of CPU
        and the process's first telemetry, peers and rank charts ~0.3 s of CPU less (docs/benchmarks.md)."""
        engine = self.engine()
        engine.query("SELECT 1 AS one", [])
        lake, footers, tables = engine.lake, 0, 0
        for identifier in lake.catalog.list_tables(lake.config.namespace):
            if deadline.expired():
                break
            files = engine.plan(lake.catalog.load_table(identifier), AlwaysTrue()).files
            tables += 1
            if engine.sql is not None:  # Trino reads the files: DuckDB's footers would serve nothing
                continue
            for start in range(0, len(files), FOOTERS_AT_ONCE):
                if deadline.expired():
                    break
                chunk = files[start : start + FOOTERS_AT_ONCE]
                engine.query("SELECT count(*) AS n FROM read_parquet(?)", [chunk])
                footers += len(chunk)
        return f"{tables} tables planned, {footers} data files' footers read"

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()


# The process's analytics: the analytics service's, or the datasets service's own where it runs alone.
ANALYTICS: Slot[Analytics] = Slot("analytics")
