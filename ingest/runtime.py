"""What the upload path of one process needs: the bus, its topics and the lake (the lookups it makes are kept
in the process's reference cache, services.kit.cache)."""

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
from services.kit.cache import Cache
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot

log = logging.getLogger(__name__)


def make_bus(settings: PlatformSettings) -> Bus:
    if settings.bus_kind == "local":
        return LocalBus(settings.data_dir / "bus", settings.bus.partitions)
    return KafkaBus(
        settings.kafka.bootstrap,
        settings.bus.partitions,
        replication_factor=settings.bus.replication_factor,
        min_insync_replicas=settings.bus.min_insync_replicas,
    )


@dataclass
class IngestRuntime:
    settings: PlatformSettings
    bus: Bus
    topics: Topics
    lake: Lake
    # The process's cache of immutable lake metadata (catalog.manifest_cache); None in a lake writer process.
    manifests: Cache[Any] | None = None
    _engine: QueryEngine | None = None
    _engine_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: PlatformSettings, manifests: Cache[Any] | None = None) -> IngestRuntime:
        topics = Topics.with_prefix(settings.bus.topic_prefix)
        bus = make_bus(settings)
        bus.ensure_topics(topics.all())
        ensure_bucket(settings)
        lake = Lake(LakeConfig.from_settings(settings))
        lake.ensure_tables()
        return cls(settings, bus, topics, lake, manifests)

    def query_engine(self) -> QueryEngine:
        """Blocking: DuckDB over this process's lake, opened on first use (dead-letter pages)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = QueryEngine(
                    self.lake, threads=1, memory_limit="256MB", manifests=self.manifests
                )
            return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self.bus.close()


RUNTIME: Slot[IngestRuntime] = Slot("ingest")  # opened by the ingest service
