"""The analytics service: DuckDB over the Iceberg lake, mounted at /api/v1/analytics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool

from catalog import endpoints, export_endpoints, kpi_endpoints, upload_endpoints
from catalog.ai_runs import endpoints as ai_run_endpoints
from catalog.ai_runs.follow import Follower
from catalog.rollup_refresher import Refresher
from catalog.runtime import Analytics
from services.kit.spec import ServiceSpec
from services.usecases.runnable.runner import limits_of
from services.usecases.runnable.store import open_models

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
    analytics = Analytics(app.state.settings, app.state.caches.manifests)
    app.state.analytics = analytics
    app.state.readiness["analytics"] = analytics.ready
    try:
        await run_in_threadpool(analytics.engine)
    except Exception:  # the rest of the process still serves; analytics answers 503 until the lake is back
        log.exception("the lake is unreachable; analytics will retry on the next request")
    if app.state.settings.analytics.rollup_refresh_seconds > 0:
        app.state.rollups = Refresher(app.state.settings, app.state.settings.analytics.rollup_refresh_seconds)
        app.state.rollups.start()
    app.state.run_models = open_models(app.state.settings)
    if app.state.settings.ai.follow_seconds > 0:
        app.state.ai_follower = Follower(
            analytics,
            app.state.run_models,
            limits_of(app.state.settings),
            app.state.settings.ai.follow_seconds,
        )
        app.state.ai_follower.start()


async def shutdown(app: FastAPI) -> None:
    follower: Follower | None = getattr(app.state, "ai_follower", None)
    if follower is not None:
        await run_in_threadpool(follower.stop)
    refresher: Refresher | None = getattr(app.state, "rollups", None)
    if refresher is not None:
        await run_in_threadpool(refresher.stop)
    analytics: Analytics | None = getattr(app.state, "analytics", None)
    if analytics is not None:
        await run_in_threadpool(analytics.close)


SPEC = ServiceSpec(
    name="analytics",
    router=router,
    description="데이터 분석 — raw readings, time series and cross-factory benchmarks over the lake (DuckDB)",
    startup=[startup],
    shutdown=[shutdown],
)
