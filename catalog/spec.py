"""The analytics service: DuckDB over the Iceberg lake, mounted at /api/v1/analytics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool

from catalog import endpoints, export_endpoints, kpi_endpoints, upload_endpoints
from catalog.ai_runs import endpoints as ai_run_endpoints
from catalog.ai_runs.follow import FOLLOWER, Follower
from catalog.rollup_refresher import REFRESHER, Refresher
from catalog.runtime import ANALYTICS, Analytics
from services.kit.app_state import state_of
from services.kit.spec import ServiceSpec
from services.kit.warmup import Deadline
from services.usecases.runnable.runner import limits_of
from services.usecases.runnable.store import models_of

log = logging.getLogger(__name__)
router = APIRouter()
for part in (
    endpoints.router,
    kpi_endpoints.router,
    export_endpoints.router,
    upload_endpoints.router,
    ai_run_endpoints.router,
):
    router.include_router(part)


async def startup(app: FastAPI) -> None:
    state = state_of(app)
    settings = state.settings
    analytics = state.put(ANALYTICS, Analytics(settings, state.caches.manifests))
    state.readiness["analytics"] = analytics.ready
    try:
        await run_in_threadpool(analytics.engine)
    except Exception:  # the rest of the process still serves; analytics answers 503 until the lake is back
        log.exception("the lake is unreachable; analytics will retry on the next request")
    if settings.analytics.rollup_refresh_seconds > 0:
        state.put(REFRESHER, Refresher(settings, settings.analytics.rollup_refresh_seconds)).start()
    models = models_of(state)
    if settings.ai.follow_seconds > 0:
        follower = Follower(analytics, models, limits_of(settings), settings.ai.follow_seconds)
        state.put(FOLLOWER, follower).start()


def warm_lake(app: FastAPI, deadline: Deadline) -> str:
    return state_of(app).get(ANALYTICS).warm(deadline)


async def shutdown(app: FastAPI) -> None:
    state = state_of(app)
    follower = state.pop(FOLLOWER)
    if follower is not None:
        await run_in_threadpool(follower.stop)
    refresher = state.pop(REFRESHER)
    if refresher is not None:
        await run_in_threadpool(refresher.stop)
    analytics = state.pop(ANALYTICS)
    if analytics is not None:
        await run_in_threadpool(analytics.close)


SPEC = ServiceSpec(
    name="analytics",
    router=router,
    description="데이터 분석 — raw readings, time series and cross-factory benchmarks over the lake (DuckDB)",
    startup=[startup],
    shutdown=[shutdown],
    warmup=[warm_lake],
)
