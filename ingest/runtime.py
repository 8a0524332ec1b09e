"""The ingest machinery of one process: bus, topics, lake and (embedded) the lake writers."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from minio import Minio

from catalog.lake import Lake, LakeConfig
from ingest.bus import Bus, Topics
from ingest.bus.kafka_bus import KafkaBus
from ingest.bus.local_bus import LocalBus
from services.kit.settings import PlatformSettings

log = logging.getLogger(__name__)


def make_bus(settings: PlatformSettings) -> Bus:
    if (settings.bus or ("local" if settings.embedded else "kafka")) == "local":
        return LocalBus(settings.data_dir / "bus")
    return KafkaBus(settings.kafka_bootstrap)


def ensure_bucket(settings: PlatformSettings) -> None:
    if not settings.warehouse.startswith("s3://"):
        return
    client = Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=False,
    )
    if not client.bucket_exists(settings.lake_bucket):
        client.make_bucket(settings.lake_bucket)


@dataclass
class IngestRuntime:
    settings: PlatformSettings
    bus: Bus
    topics: Topics
    lake: Lake
    stop: threading.Event = field(default_factory=threading.Event)
    model_cache: dict[tuple[str, str], tuple[float, Any]] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def open(cls, settings: PlatformSettings) -> IngestRuntime:
        topics = Topics.with_prefix(settings.topic_prefix)
        bus = make_bus(settings)
        bus.ensure_topics(topics.all())
        ensure_bucket(settings)
        lake = Lake(LakeConfig.from_settings(settings))
        lake.ensure_tables()
        return cls(settings, bus, topics, lake)

    def start_writers(self) -> None:
        from ingest.writer import LakeWriter

        thread = threading.Thread(
            target=LakeWriter(self).run, args=(self.stop,), name="lake-writer", daemon=True
        )
        thread.start()
        self.threads.append(thread)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        self.bus.close()


async def startup(app: FastAPI) -> None:
    settings: PlatformSettings = app.state.settings
    runtime = await run_in_threadpool(IngestRuntime.open, settings)
    app.state.ingest = runtime
    app.state.readiness["bus"] = runtime.bus.check
    app.state.readiness["lake"] = lambda: runtime.lake.catalog.list_namespaces()
    if settings.embedded and settings.run_writers:
        # One process is the whole platform: its lake writers run beside the API.
        runtime.start_writers()


async def shutdown(app: FastAPI) -> None:
    runtime: IngestRuntime | None = getattr(app.state, "ingest", None)
    if runtime is not None:
        await run_in_threadpool(runtime.close)
