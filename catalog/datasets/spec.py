"""The datasets service: mounted at /api/v1/datasets, its metadata tables in its own migration tree.

It reads the lake through the analytics machinery of the process (``catalog.runtime.Analytics``): the one
the analytics service started when both are mounted, its own otherwise.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from catalog.datasets import snapshot
from catalog.datasets.endpoints import router
from catalog.runtime import Analytics
from services.kit.spec import ServiceSpec


async def startup(app: FastAPI) -> None:
    app.state.dataset_store = await run_in_threadpool(snapshot.open_store, app.state.settings)
    if getattr(app.state, "analytics", None) is None:  # a datasets process without the analytics service
        app.state.analytics = app.state.datasets_analytics = Analytics(
            app.state.settings, app.state.caches.manifests
        )


async def shutdown(app: FastAPI) -> None:
    own: Analytics | None = getattr(app.state, "datasets_analytics", None)
    if own is not None:
        await run_in_threadpool(own.close)


SPEC = ServiceSpec(
    name="datasets",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="공유 데이터셋 — de-identified datasets from the lake, data cards, licences, claims",
    startup=[startup],
    shutdown=[shutdown],
)
