"""Start and stop of the ingest service in a process; in the embedded topology, its lake writer too."""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from ingest.runtime import IngestRuntime
from ingest.writer import METRICS, LakeWriter
from services.kit.settings import PlatformSettings


class EmbeddedWriter:
    """The lake writer as a thread of the platform process; its health is part of the process's readiness."""

    def __init__(self, runtime: IngestRuntime, app: FastAPI) -> None:
        # The analytics service of the same process refreshes its rollups once new readings committed.
        self.writer = LakeWriter(runtime, on_commit=lambda: _poke_rollups(app))
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self.writer.run, args=(self.stop,), name="lake-writer", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def check(self) -> None:
        if not self.thread.is_alive() and not self.stop.is_set():
            raise RuntimeError("the lake writer thread has died")
        self.writer.health.check()

    def close(self) -> None:
        self.stop.set()
        if self.thread.ident is not None:  # started (a failed start-up may stop before)
            self.thread.join(timeout=30)


def _poke_rollups(app: FastAPI) -> None:
    refresher = getattr(app.state, "rollups", None)  # started by the analytics service, if mounted here
    if refresher is not None:
        refresher.poke()


async def startup(app: FastAPI) -> None:
    settings: PlatformSettings = app.state.settings
    runtime = await run_in_threadpool(IngestRuntime.open, settings, app.state.caches.manifests)
    app.state.ingest = runtime
    app.state.readiness["bus"] = runtime.bus.check
    app.state.readiness["lake"] = lambda: runtime.lake.catalog.list_namespaces()
    if settings.embedded and settings.writer.embedded:
        # One process is the whole platform: its lake writer runs beside the API.
        if not getattr(app.state, "writer_metrics", False):  # once per app: an app may start again
            for metric in METRICS:  # the process's /metrics shows its writer's too
                app.state.metrics.registry.register(metric)
            app.state.writer_metrics = True
        writer = app.state.lake_writer = EmbeddedWriter(runtime, app)
        app.state.readiness["lake-writer"] = writer.check
        writer.start()


async def shutdown(app: FastAPI) -> None:
    writer: EmbeddedWriter | None = getattr(app.state, "lake_writer", None)
    if writer is not None:
        await run_in_threadpool(writer.close)
    runtime: IngestRuntime | None = getattr(app.state, "ingest", None)
    if runtime is not None:
        await run_in_threadpool(runtime.close)
