"""Load the demo world through the platform's own API, once: a rerun resumes or does nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from platform_api.app import create_app
from platform_api.demo_data import DemoWorld, build_world
from services.kit.settings import PlatformSettings


class SeedError(RuntimeError):
    pass


class SeedProgress:
    """How many items of each section are already in; kept on disk so a rerun never duplicates."""

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

    async def deployment(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        await _post(client, "/api/v1/deployments", body)

    async def usecase(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        response = await client.post("/api/v1/usecases", json=body)
        if response.status_code != 201:
            raise SeedError(f"POST /api/v1/usecases answered {response.status_code}: {response.text[:500]}")
        await _post(client, f"/api/v1/usecases/{response.json()['id']}/publish", {})

    return [
        ("companies", world.companies, company),
        ("factories", world.factories, factory),
        ("standards", world.models, model),
        ("deployments", world.deployments, deployment),
        ("usecases", world.usecases, usecase),
    ]


async def seed(client: httpx.AsyncClient, progress: SeedProgress, world: DemoWorld | None = None) -> int:
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


async def _seed_in_process(settings: PlatformSettings) -> int:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        token = app.state.dev_issuer.issue(
            subject="demo-seed", roles=["admin"], org_id="org-operator", username="demo-seed"
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://seed.internal",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60.0,
        ) as client:
            return await seed(client, SeedProgress(settings.data_dir / "demo-seed.json"))


def seed_embedded(settings: PlatformSettings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    sent = asyncio.run(_seed_in_process(settings))
    print("demo data already loaded" if sent == 0 else f"demo data loaded: {sent} items")
