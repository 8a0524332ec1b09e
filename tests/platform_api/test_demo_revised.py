"""The demo's corrected records say so in both languages: a Korean reader sees "(개정)" where an English
one sees "(revised)" (issue 29: English titles said it, Korean ones did not)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from platform_api.demo_data import build_world
from platform_api.demo_seed import SeedProgress, seed
from tests.conftest import Auth


def test_a_revised_demo_record_is_titled_alike_in_both_languages(
    client: TestClient, auth: Auth, tmp_path: Path
) -> None:
    world = build_world()
    revised = next(d for d in world.deployments if d["state"] == "revised")
    world = replace(world, deployments=[revised], usecases=[])
    admin = auth("admin", org_id="org-operator", username="demo-seed")

    async def load() -> int:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://seed.test", headers=admin, timeout=60
        ) as http:
            return await seed(http, SeedProgress(tmp_path / "seed.json"), world)

    assert client.portal is not None
    assert client.portal.call(load) > 0
    [record] = client.get("/api/v1/deployments").json()["items"]
    assert record["revision"] == 2
    assert record["title"] == {
        "ko": "태광플라스틱(주) 식별시스템·머신비전 구축 (개정)",
        "en": "Taekwang Plastics Co. Identification systems & machine vision deployment (revised)",
    }
