"""The analytics machinery of one process: the query engine over the lake, opened when first reachable."""

from __future__ import annotations

import threading
from typing import Any

from catalog.engines import SqlEngine, TrinoEngine
from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine
from services.kit.cache import Cache
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot


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

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()


# The process's analytics: the analytics service's, or the datasets service's own where it runs alone.
ANALYTICS: Slot[Analytics] = Slot("analytics")
