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
from catalog.runtime import ANALYTICS, Analytics
from services.kit.app_state import state_of
from services.kit.slots import Slot
from services.kit.spec import ServiceSpec

OWN_ANALYTICS: Slot[Analytics] = Slot("datasets_analytics")  # made here when no analytics service runs


async def startup(app: FastAPI) -> None:
    state = state_of(app)
    state.put(snapshot.DATASETS, await run_in_threadpool(snapshot.open_store, state.settings))
    if state.find(ANALYTICS) is None:  # a datasets process without the analytics service
        state.put(ANALYTICS, state.put(OWN_ANALYTICS, Analytics(state.settings, state.caches.manifests)))


async def shutdown(app: FastAPI) -> None:
    own = state_of(app).pop(OWN_ANALYTICS)
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
