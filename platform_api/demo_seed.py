"""Load the demo world through the platform's own API, once: a rerun resumes or does nothing.

``demo-seed.json`` in the data directory is the seed's only record of what is in: per section of the world,
how many items were sent, and per finishing step (``FINISHING``), 1 once it returned. Each count is written
after its work is done, never before, so a seed killed at any point leaves counts at or below what is in,
and the rerun does the rest. A finishing step redone is a no-op (the lake's marks, a record's KPIs measured
once, the dataset found by its title, rollups already current); an item whose request completed just before
the kill is sent again: sections keyed by their own ids answer 409 and skip it, but a deployment record or a
use case, numbered by the API, would be created twice (a window of one request). A seed is complete when
every section of the world as built now and every finishing step are counted: the rerun of a complete seed
(every `make run` after the first) only reads the file, without starting a platform or opening the lake; a
world that grew since, or a step added since, is not complete and is finished.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from tqdm import tqdm

from platform_api import demo_models
from platform_api.app import create_app
from platform_api.demo_data import DESIGNATED_SINCE, DESIGNATED_VENDORS, DemoWorld, build_world
from platform_api.demo_deployments import demo_deployment, designate_since, measure_demo_kpis
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from services.usecases.runnable.signature import Signature


class SeedError(RuntimeError):
    pass


class SeedProgress:
    """How many items of each section (or finishing step) are already in; kept on disk so a rerun never
    duplicates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}

    def count(self, section: str) -> int:
        return self.done.get(section, 0)

    def advance(self, section: str) -> None:
        self.done[section] = self.count(section) + 1
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.done))
        tmp.replace(self.path)

    def complete(self, world: DemoWorld) -> bool:
        """Every item of ``world`` sent and every finishing step done."""
        return all(self.count(section) >= len(items) for section, items, _ in _sections(world)) and all(
            self.count(step) for step, _ in FINISHING
        )


async def _post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], *, ok_conflict: bool = False
) -> None:
    response = await client.post(path, json=body)
    if response.status_code == 409 and ok_conflict:
        return
    if response.status_code >= 300:
        raise SeedError(f"POST {path} answered {response.status_code}: {response.text[:500]}")


def _sections(
    world: DemoWorld,
) -> list[tuple[str, list[Any], Callable[[httpx.AsyncClient, Any], Awaitable[None]]]]:
    async def company(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        await _post(client, "/api/v1/companies", body, ok_conflict=True)

    async def factory(client: httpx.AsyncClient, item: tuple[str, dict[str, Any]]) -> None:
        company_id, body = item
        await _post(client, f"/api/v1/companies/{company_id}/factories", body, ok_conflict=True)

    async def model(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        await _post(client, "/api/v1/standards", body, ok_conflict=True)
        await _post(
            client, f"/api/v1/standards/{body['id']}/versions/{body['version']}/publish", {}, ok_conflict=True
        )

    async def designation(client: httpx.AsyncClient, company_id: str) -> None:
        await designate_since(client, company_id, DESIGNATED_SINCE)

    async def deployment(client: httpx.AsyncClient, item: dict[str, Any]) -> None:
        await demo_deployment(client, item)

    async def usecase(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        response = await client.post("/api/v1/usecases", json=body)
        if response.status_code != 201:
            raise SeedError(f"POST /api/v1/usecases answered {response.status_code}: {response.text[:500]}")
        await _post(client, f"/api/v1/usecases/{response.json()['id']}/publish", {})

    trained: dict[str, bytes] = {}  # both models, trained on first need (a rerun that is done trains none)

    async def runnable(client: httpx.AsyncClient, item: tuple[str, dict[str, Any], Signature]) -> None:
        if not trained:
            trained.update(demo_models.train(world))
        await demo_models.seed_runnable(client, item, trained[item[0]])

    async def regional_centre(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        await _post(client, "/api/v1/companies/regional-centres", body, ok_conflict=True)

    async def support_centre(client: httpx.AsyncClient, item: tuple[dict[str, Any], dict[str, Any]]) -> None:
        centre, programme = item
        await _post(client, "/api/v1/companies/support-centres", centre, ok_conflict=True)
        path = f"/api/v1/companies/support-centres/{centre['id']}/programmes"
        await _post(client, path, programme, ok_conflict=True)

    async def survey(client: httpx.AsyncClient, item: tuple[int, dict[str, Any]]) -> None:
        year, body = item
        response = await client.put(f"/api/v1/companies/dashboard/tech-level-surveys/{year}", json=body)
        if response.status_code != 200:
            raise SeedError(f"PUT survey {year} answered {response.status_code}: {response.text[:500]}")

    return [
        ("companies", world.companies, company),
        ("factories", world.factories, factory),
        ("standards", world.models, model),
        ("designations", list(DESIGNATED_VENDORS), designation),
        ("deployments", world.deployments, deployment),
        ("usecases", world.usecases, usecase),
        ("runnable_cases", demo_models.CASES, runnable),
        ("regional_centres", world.regional_centres, regional_centre),
        ("support_centres", world.support_centres, support_centre),
        ("tech_level_surveys", world.tech_level_surveys, survey),
    ]


async def seed(
    client: httpx.AsyncClient,
    progress: SeedProgress,
    world: DemoWorld | None = None,
) -> int:
    """Send every not-yet-sent item of the demo world; returns how many were sent now."""
    sent = 0
    for section, items, send in _sections(world or build_world()):
        start = progress.count(section)
        if start >= len(items):
            continue
        for item in tqdm(items[start:], desc=f"seed {section}", unit="item", initial=start, total=len(items)):
            await send(client, item)
            progress.advance(section)
            sent += 1
    return sent


async def _as_admin(
    settings: PlatformSettings, work: Callable[[httpx.AsyncClient, FastAPI], Awaitable[int]]
) -> int:
    """Run ``work`` against a short-lived in-process platform with an admin token."""
    # a short-lived app: the server started next rolls the lake up, not this one
    app = create_app(settings.replaced(analytics={"rollup_refresh_seconds": 0}))
    async with app.router.lifespan_context(app):
        issuer = state_of(app).get(DEV_ISSUER)
        token = issuer.issue(
            subject="demo-seed", roles=["admin"], org_id="org-operator", username="demo-seed"
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://seed.internal",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60.0,
        ) as client:
            return await work(client, app)


async def _seed_in_process(settings: PlatformSettings, progress: SeedProgress, world: DemoWorld) -> int:
    return await _as_admin(settings, lambda client, _: seed(client, progress, world))


def measure_telemetry_kpis(settings: PlatformSettings) -> None:
    """Once the demo telemetry is in the lake: the KPIs of records at factories that improved, measured."""
    from platform_api import demo_telemetry

    start = demo_telemetry.START.date()
    end = start + timedelta(days=demo_telemetry.DAYS)
    items = build_world().deployments
    count = asyncio.run(_as_admin(settings, lambda client, _: measure_demo_kpis(client, items, start, end)))
    print(f"demo KPIs measured from telemetry: {count} records" if count else "demo KPIs already measured")


def seed_embedded(settings: PlatformSettings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    progress = SeedProgress(settings.data_dir / "demo-seed.json")
    world = build_world()
    if progress.complete(world):
        print("demo data already loaded")
        return
    sent = asyncio.run(_seed_in_process(settings, progress, world))
    print("demo data already loaded" if sent == 0 else f"demo data loaded: {sent} items")
    for step, finish in FINISHING:
        if not progress.count(step):
            finish(settings)
            progress.advance(step)


def seed_dataset(settings: PlatformSettings) -> None:
    """The demo's labelled dataset: anomalies injected into the lake once, published by an AI centre."""
    from catalog.lake import Lake, LakeConfig
    from platform_api import demo_dataset

    world = build_world()
    rows = demo_dataset.inject(Lake(LakeConfig.from_settings(settings)), world)
    published = asyncio.run(_as_admin(settings, lambda client, app: demo_dataset.publish(client, app, world)))
    print(f"demo anomalies injected: {rows} readings" if rows else "demo anomalies already in the lake")
    print("demo dataset published" if published else "demo dataset already published")


def seed_telemetry(settings: PlatformSettings) -> None:
    """Demo readings into the lake, once: the snapshot that holds them is marked."""
    from catalog.lake import Lake, LakeConfig, ensure_bucket
    from platform_api import demo_telemetry

    ensure_bucket(settings)
    lake = Lake(LakeConfig.from_settings(settings))
    rows = demo_telemetry.load(lake)
    print("demo telemetry already in the lake" if rows == 0 else f"demo telemetry loaded: {rows} readings")


def seed_rollups(settings: PlatformSettings) -> None:
    """The rollups of the demo readings, computed once here rather than by the first server's refresher: the
    first dashboards of a fresh `make run` read them instead of a month of raw readings, and the refresher
    finds them current (every demo day is closed)."""
    from catalog.lake import Lake, LakeConfig
    from catalog.rollups import refresh, rollup_engine

    refresh(Lake(LakeConfig.from_settings(settings)), progress=True, trino=rollup_engine(settings))


# After the API sections, in this order: the KPIs are measured from the telemetry, the anomalies are injected
# into it, and the rollups are computed from all of it.
FINISHING: tuple[tuple[str, Callable[[PlatformSettings], None]], ...] = (
    ("telemetry", seed_telemetry),
    ("kpis", measure_telemetry_kpis),
    ("dataset", seed_dataset),
    ("rollups", seed_rollups),
)
