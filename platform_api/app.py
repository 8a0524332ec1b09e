"""The gateway app factory: mounts (embedded) or proxies (distributed) every service under /api/v1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from platform_api import api_docs, observability, portal, reference_endpoints, warmup
from platform_api.identity_setup import build_token_verifier
from platform_api.proxy import ServiceProxy
from platform_api.ratelimit import install_rate_limits
from platform_api.registry import load_services
from services.identity import dev_oidc
from services.kit import app_state, audit
from services.kit.app_state import AppState
from services.kit.cache import Caches
from services.kit.clients import SERVICE_CLIENT, ServiceClient
from services.kit.contract import document_access
from services.kit.db import DATABASE, Database
from services.kit.errors import install_error_handlers
from services.kit.migrations import upgrade
from services.kit.principal import TOKEN_VERIFIER
from services.kit.settings import PlatformSettings, get_settings
from services.kit.spec import ServiceSpec
from services.kit.warmup import WARMUP, Warmup, WarmupCollector

DESCRIPTION = """
스마트제조혁신 통합 플랫폼 — Smart Manufacturing Innovation Platform.

Deployment records (구축정보), manufacturing data standards (제조데이터 표준), AI use cases
(AI 활용 사례) and specialist companies (전문기업) in one place, fed by factory edge gateways.

Authenticate with `Authorization: Bearer <access token>` (Keycloak, or the development issuer at
`/dev-oidc/token` in the embedded topology). Errors share one shape:
`{"error": "Name", "detail": "...", "fields": [{"loc": "...", "msg": "..."}]}`; send
`Accept-Language: ko` for Korean messages.
"""


def migrate(db: Database, specs: list[ServiceSpec]) -> None:
    for spec in specs:
        if spec.migrations is not None:
            upgrade(spec.migrations, db.engine, spec.version_table)


def create_app(
    settings: PlatformSettings | None = None,
    *,
    services: list[str] | None = None,
    run_migrations: bool = False,
) -> FastAPI:
    """Build a platform process: the gateway with every service, or one service (``services=[name]``)."""
    settings = settings or get_settings()
    specs = load_services(services)
    # A service process may be given the whole map (as every pod is): its own services stay local.
    remote = {n: url for n, url in settings.service_urls.items() if not services or n not in services}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = state.put(DATABASE, Database(settings.sqlalchemy_url))
        audit.install(db.sessions)
        if run_migrations:
            await run_in_threadpool(migrate, db, specs)
        state.put(TOKEN_VERIFIER, await run_in_threadpool(build_token_verifier, app, settings))
        client = state.put(
            SERVICE_CLIENT, ServiceClient(app, remote, local={spec.name for spec in specs} - remote.keys())
        )
        state.readiness["database"] = observability.database_check(db)
        started: list[ServiceSpec] = []
        warming: asyncio.Task[None] | None = None
        try:
            for spec in specs:
                if spec.name not in remote:
                    for hook in spec.startup:
                        await _maybe_await(hook(app))
                    started.append(spec)
            warming = _start_warmup(app, started, portal=services is None)
            yield
        finally:
            if warming is not None:
                state.get(WARMUP).stop()
                warming.cancel()
            for spec in reversed(started):
                for hook in spec.shutdown:
                    await _maybe_await(hook(app))
            await proxy.aclose()
            await client.aclose()
            db.dispose()

    app = FastAPI(
        title="Smart Manufacturing Innovation Platform API",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=[{"name": s.name, "description": s.description} for s in specs],
    )
    state = app_state.install(app, AppState(settings=settings, caches=Caches.from_settings(settings.cache)))
    proxy = ServiceProxy(remote)
    install_error_handlers(app)
    document_access(app)
    api_docs.install(app)  # /openapi.json and /docs in the caller's language
    observability.install_metrics(app, state)
    if settings.warmup.enabled:
        state.metrics.register(WarmupCollector(state))
    app.include_router(observability.router)
    app.include_router(reference_endpoints.router)
    portal.install(app)
    if settings.embedded and not settings.oidc.issuer:
        # Not part of the contract: the development stand-in for Keycloak's OIDC endpoints, mounted only
        # when no issuer is configured, answers as RFC 6749 says, not as the platform API does.
        app.include_router(dev_oidc.router, include_in_schema=False)
    for spec in specs:
        # Remote services stay in the merged OpenAPI document; the proxy answers their requests.
        app.include_router(spec.router, prefix=spec.prefix, tags=[spec.name])
    proxy.install(app)
    if services is None:
        # The process clients talk to (gateway or embedded); outermost, so proxied requests count too.
        install_rate_limits(app, settings)
    return app


def _start_warmup(app: FastAPI, local: list[ServiceSpec], *, portal: bool) -> asyncio.Task[None] | None:
    """The warm-up of the process and its ``local`` services, in the background (services.kit.warmup):
    /readyz not ready until it is over. None where the settings leave it off."""
    state = app_state.state_of(app)
    if not state.settings.warmup.enabled:
        return None
    run = state.put(WARMUP, Warmup(warmup.steps(local, portal=portal), state.settings.warmup.budget_seconds))
    state.readiness["warm-up"] = run.ready
    return asyncio.create_task(run.run(app), name="warm-up")


async def _maybe_await(value: Any) -> None:
    if hasattr(value, "__await__"):
        await value
