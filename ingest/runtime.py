"""What the upload path of one process needs: the bus, its topics, the lake, and lookups it caches."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine
from ingest.bus import Bus, Topics
from ingest.bus.kafka_bus import KafkaBus
from ingest.bus.local_bus import LocalBus
from services.kit.settings import PlatformSettings

log = logging.getLogger(__name__)


def make_bus(settings: PlatformSettings) -> Bus:
    if (settings.bus or ("local" if settings.embedded else "kafka")) == "local":
        return LocalBus(settings.data_dir / "bus", settings.bus_partitions)
    return KafkaBus(settings.kafka_bootstrap, settings.bus_partitions)


@dataclass
class IngestRuntime:
    settings: PlatformSettings
    bus: Bus
    topics: Topics
    lake: Lake
    model_cache: dict[tuple[str, str], tuple[float, Any, bool]] = field(default_factory=dict)
    factory_cache: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _engine: QueryEngine | None = None
    _engine_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: PlatformSettings) -> IngestRuntime:
        topics = Topics.with_prefix(settings.topic_prefix)
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
