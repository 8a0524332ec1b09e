"""Anonymous visitors typing ever new searches and filters cannot grow the process: every cache stays within
its byte budget (services.kit.cache), as the facility and /metrics report it."""

from __future__ import annotations

import random
import re
import shutil
import string
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from tests.factories import usecase_body
from tests.loops import run_apart

KiB = 1024
BUDGETS = {
    "portal": 256 * KiB,
    "pages": 128 * KiB,
    "rendered": 128 * KiB,
    "answers": 64 * KiB,
    "reference": 64 * KiB,
    "manifests": 64 * KiB,
}
QUERIES = 10_000
REGIONS = ("11", "26", "41", "48", "50", "99", "")
PATHS = ("/cases", "/deployments", "/companies", "/standards")


@pytest.fixture
def small_caches(_sqlite_template: Path, tmp_path: Path) -> FastAPI:
    """SQLite only: the bound is the process's, whatever the database; the limit lets every query in."""
    shutil.copyfile(_sqlite_template, tmp_path / "platform.db")
    settings = PlatformSettings(
        topology="embedded",
        database={"url": f"sqlite:///{tmp_path / 'platform.db'}"},
        data_dir=tmp_path / "data",
        public_url="http://testserver",
    ).replaced(
        rate_limit={"portal_per_minute": 2 * QUERIES},
        cache={f"{name}_bytes": size for name, size in BUDGETS.items()},
    )
    return create_app(settings)


def _metric(text: str, name: str, cache: str) -> float:
    found = re.search(rf'^{name}{{cache="{cache}"}} (\S+)$', text, re.MULTILINE)
    assert found, f"{name} of {cache} not in /metrics"
    return float(found.group(1))


def _within_budgets(app: FastAPI) -> None:
    for cache in state_of(app).caches.all():
        stats = cache.stats()
        assert stats.bytes <= BUDGETS[cache.name], (cache.name, stats)


async def _visits(app: FastAPI) -> str:
    """Three published cases, then the 10,000 distinct anonymous queries; /metrics afterwards.

    On the app's own event loop, in the test's thread: a TestClient hands every message of a request to the
    app's thread and back (76-80 ms a page against 53-58 ms this way, 200 pages each at load average 18)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        issuer = state_of(app).get(DEV_ISSUER)
        token = issuer.issue(subject="v", roles=["vendor"], org_id="org-vendor-3")
        vendor = {"Authorization": f"Bearer {token}"}
        for title in ("용접 불량 예측 AI", "도장 공정 최적화", "사출 성형 품질 예측"):
            made = await client.post("/api/v1/usecases", json=usecase_body(title_ko=title), headers=vendor)
            assert made.status_code == 201, made.text
            published = await client.post(f"/api/v1/usecases/{made.json()['id']}/publish", headers=vendor)
            assert published.status_code == 200, published.text

        draw = random.Random(20261207)
        for n in range(QUERIES):
            words = " ".join(
                "".join(draw.choices(string.ascii_lowercase, k=draw.randint(3, 9))) for _ in range(2)
            )
            params = {"q": words, "region": draw.choice(REGIONS), "page": str(draw.randint(1, 40))}
            answer = await client.get(draw.choice(PATHS), params=params)
            assert answer.status_code == 200, (params, answer.text[:300])
            if n % 1000 == 999:
                _within_budgets(app)
        return (await client.get("/metrics")).text


@pytest.mark.slow  # ~15 ms a page, 10,000 pages: in `make test`, not the fast tier
@pytest.mark.timeout(1800)
def test_ten_thousand_distinct_anonymous_queries_stay_within_the_byte_budgets(small_caches: FastAPI) -> None:
    metrics = run_apart(_visits(small_caches))

    _within_budgets(small_caches)
    caches = state_of(small_caches).caches
    assert caches.portal.stats().evictions > 0 and caches.pages.stats().evictions > 0, "the bounds held them"
    for name, budget in BUDGETS.items():
        assert _metric(metrics, "smartmfg_cache_max_bytes", name) == budget
        assert _metric(metrics, "smartmfg_cache_bytes", name) <= budget
    assert _metric(metrics, "smartmfg_cache_evictions_total", "portal") > 0
    assert _metric(metrics, "smartmfg_cache_misses_total", "pages") >= QUERIES - 100


def test_the_default_budgets_total_forty_four_mib() -> None:
    budgets = PlatformSettings().cache
    total = sum(getattr(budgets, f"{name}_bytes") for name in BUDGETS)
    assert total == 44 * 1024 * 1024


def test_metrics_show_each_caches_hits_misses_and_bytes(client: TestClient) -> None:
    before = client.get("/metrics").text
    assert _metric(before, "smartmfg_cache_hits_total", "pages") == 0
    assert _metric(before, "smartmfg_cache_bytes", "pages") == 0
    assert client.get("/cases").status_code == 200 and client.get("/cases").status_code == 200
    after = client.get("/metrics").text
    assert _metric(after, "smartmfg_cache_misses_total", "pages") == 1
    assert _metric(after, "smartmfg_cache_hits_total", "pages") == 1, "the second visit got the kept page"
    assert _metric(after, "smartmfg_cache_bytes", "pages") > 1000
    assert _metric(after, "smartmfg_cache_max_bytes", "rendered") == 12 * 1024 * 1024
