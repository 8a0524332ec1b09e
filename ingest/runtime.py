"""What the upload path of one process needs: the bus, its topics, the lake, and lookups it caches."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, TypeVar

from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine
from ingest.bus import Bus, Topics
from ingest.bus.kafka_bus import KafkaBus
from ingest.bus.local_bus import LocalBus
from services.kit.settings import PlatformSettings

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
# The lookups an upload makes are keyed by what gateways send (any model id and version): bounded, so that
# a gateway naming ever new ones cannot grow the process (a forgotten entry is fetched again).
MAX_CACHED_MODEL_VERSIONS = 10_000  # the plan targets 500 key equipment types, a few versions each
MAX_CACHED_FACTORIES = 100_000  # only registered factories are cached


class BoundedCache(dict[K, V]):
    """A dict that forgets its least recently stored entries beyond ``limit`` (storing a key again, as an
    expired entry's refresh does, makes it the most recent)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        self.pop(key, None)
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]


def make_bus(settings: PlatformSettings) -> Bus:
    if settings.bus_kind == "local":
        return LocalBus(settings.data_dir / "bus", settings.bus.partitions)
    return KafkaBus(settings.kafka.bootstrap, settings.bus.partitions)


@dataclass
class IngestRuntime:
    settings: PlatformSettings
    bus: Bus
    topics: Topics
    lake: Lake
    model_cache: BoundedCache[tuple[str, str], tuple[float, Any, bool]] = field(
        default_factory=lambda: BoundedCache(MAX_CACHED_MODEL_VERSIONS)
    )
    factory_cache: BoundedCache[str, tuple[float, dict[str, Any]]] = field(
        default_factory=lambda: BoundedCache(MAX_CACHED_FACTORIES)
    )
    _engine: QueryEngine | None = None
    _engine_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: PlatformSettings) -> IngestRuntime:
        topics = Topics.with_prefix(settings.bus.topic_prefix)
        bus = make_bus(settings)
        bus.ensure_topics(topics.all())
        ensure_bucket(settings)
        lake = Lake(LakeConfig.from_settings(settings))
        lake.ensure_tables()
        return cls(settings, bus, topics, lake)

    def query_engine(self) -> QueryEngine:
        """Blocking: DuckDB over this process's lake, opened on first use (dead-letter pages)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = QueryEngine(self.lake, threads=1, memory_limit="256MB")
            return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self.bus.close()
