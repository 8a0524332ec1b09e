"""Liveness, readiness and Prometheus metrics of a platform process (requests, and the caches read at each
scrape)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from services.kit.app_state import AppState, ReadinessCheck, app_state
from services.kit.cache import Caches
from services.kit.db import Database

router = APIRouter(tags=["platform"])


class CacheCollector(Collector):
    """Hits, misses, evictions and bytes of every cache, as they are when scraped."""

    def __init__(self, caches: Caches) -> None:
        self.caches = caches

    def collect(self) -> Iterator[Metric]:
        labels = ["cache"]
        hits = CounterMetricFamily("smartmfg_cache_hits", "Lookups answered from the cache", labels=labels)
        misses = CounterMetricFamily(
            "smartmfg_cache_misses", "Lookups the cache could not answer", labels=labels
        )
        evictions = CounterMetricFamily(
            "smartmfg_cache_evictions", "Entries dropped to stay within the byte budget", labels=labels
        )
        size = GaugeMetricFamily("smartmfg_cache_bytes", "Bytes the entries take (estimated)", labels=labels)
        budget = GaugeMetricFamily("smartmfg_cache_max_bytes", "The cache's byte budget", labels=labels)
        for cache in self.caches.all():
            stats = cache.stats()
            hits.add_metric([cache.name], stats.hits)
            misses.add_metric([cache.name], stats.misses)
            evictions.add_metric([cache.name], stats.evictions)
            size.add_metric([cache.name], stats.bytes)
            budget.add_metric([cache.name], cache.max_bytes)
        yield from (hits, misses, evictions, size, budget)


class Metrics:
    def __init__(self, caches: Caches, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.registry.register(CacheCollector(caches))
        self.requests = Counter(
            "smartmfg_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "smartmfg_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )


def install_metrics(app: FastAPI, state: AppState) -> None:
    metrics = Metrics(state.caches, state.metrics)

    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(request.method, path).observe(time.perf_counter() - started)
        return response


def database_check(db: Database) -> ReadinessCheck:
    def check() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return check


@router.get(
    "/healthz",
    summary="Liveness",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database and every dependency reachable",
    responses={
        503: {
            "description": "a dependency is down",
            "content": {
                "application/json": {
                    "example": {"status": "unavailable", "checks": {"database": "ok", "bus": "error: ..."}}
                }
            },
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    checks = app_state(request).readiness
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await run_in_threadpool(check)
            results[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is reported
            results[name] = f"error: {exc}"
    ok = all(v == "ok" for v in results.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": results}, 200 if ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": "smartmfg_http_requests_total{...} 1.0"}}}},
)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(app_state(request).metrics), media_type=CONTENT_TYPE_LATEST)
