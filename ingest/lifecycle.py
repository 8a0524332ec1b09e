"""Start and stop of the ingest service in a process; in the embedded topology, its lake writer too."""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from catalog.rollup_refresher import REFRESHER
from ingest.runtime import RUNTIME, IngestRuntime
from ingest.writer import METRICS, LakeWriter
from services.kit.app_state import state_of
from services.kit.slots import Slot


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
        # Else a poll waiting for records holds the stop (and every test's teardown) for its 0.2 s.
        self.writer.runtime.bus.wake()
        if self.thread.ident is not None:  # started (a failed start-up may stop before)
            self.thread.join(timeout=30)


WRITER: Slot[EmbeddedWriter] = Slot("lake_writer")
WRITER_METRICS: Slot[bool] = Slot("writer_metrics")  # registered once per app: an app may start again


def _poke_rollups(app: FastAPI) -> None:
    refresher = state_of(app).find(REFRESHER)  # started by the analytics service, if mounted here
    if refresher is not None:
        refresher.poke()


async def startup(app: FastAPI) -> None:
    state = state_of(app)
    settings = state.settings
    runtime = state.put(
        RUNTIME, await run_in_threadpool(IngestRuntime.open, settings, state.caches.manifests)
    )
    state.readiness["bus"] = runtime.bus.check
    state.readiness["lake"] = lambda: runtime.lake.catalog.list_namespaces()
    if settings.embedded and settings.writer.embedded:
        # One process is the whole platform: its lake writer runs beside the API.
        if state.find(WRITER_METRICS) is None:
            for metric in METRICS:  # the process's /metrics shows its writer's too
                state.metrics.register(metric)
            state.put(WRITER_METRICS, True)
        writer = state.put(WRITER, EmbeddedWriter(runtime, app))
        state.readiness["lake-writer"] = writer.check
        writer.start()


async def shutdown(app: FastAPI) -> None:
    state = state_of(app)
    writer = state.pop(WRITER)
    if writer is not None:
        await run_in_threadpool(writer.close)
    runtime = state.pop(RUNTIME)
    if runtime is not None:
        await run_in_threadpool(runtime.close)
