"""The warm-up (services.kit.warmup): ready only once it is over, alive throughout, bounded, never fatal."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from platform_api.app import create_app
from platform_api.warmup import steps as warmup_steps
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.warmup import WARMUP, Deadline, WarmingUp, Warmup
from tests.loops import run_apart

APP = FastAPI()


def _until(check: threading.Event) -> None:
    assert check.wait(10), "the test's step was never released"


def test_not_ready_until_every_step_has_run() -> None:
    release, ran = threading.Event(), []

    def first(app: FastAPI, deadline: Deadline) -> str:
        _until(release)
        ran.append("first")
        return "3 things"

    def second(app: FastAPI, deadline: Deadline) -> None:
        ran.append("second")

    async def scenario() -> None:
        warmup = Warmup([("first", first), ("second", second)], budget_seconds=30)
        task = asyncio.create_task(warmup.run(APP))
        await asyncio.sleep(0.05)
        with pytest.raises(WarmingUp, match=r"warming up \(first\)"):
            warmup.ready()
        release.set()
        await task
        warmup.ready()  # no longer raises
        assert ran == ["first", "second"]
        assert list(warmup.took) == ["first", "second"]

    run_apart(scenario())


def test_a_failing_step_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    ran = []

    def broken(app: FastAPI, deadline: Deadline) -> None:
        raise ConnectionRefusedError("lake unreachable")

    def after(app: FastAPI, deadline: Deadline) -> None:
        ran.append("after")

    warmup = Warmup([("broken", broken), ("after", after)], budget_seconds=30)
    with caplog.at_level(logging.INFO, logger="services.kit.warmup"):
        run_apart(warmup.run(APP))
    warmup.ready()
    assert ran == ["after"]
    assert list(warmup.took) == ["after"]
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failed] == ["warm-up: broken failed; skipped"]
    assert "lake unreachable" in caplog.text


def test_the_budget_bounds_the_warm_up(caplog: pytest.LogCaptureFixture) -> None:
    """A step still running when the budget is spent is not waited for, later steps do not start, and the
    process reports ready."""
    ran = []

    def stuck(app: FastAPI, deadline: Deadline) -> None:
        time.sleep(0.8)  # does not ask the deadline

    def never(app: FastAPI, deadline: Deadline) -> None:
        ran.append("never")

    async def timed(warmup: Warmup) -> float:
        started = time.perf_counter()
        await warmup.run(APP)
        return time.perf_counter() - started  # (the loop then waits for the stuck thread to end)

    warmup = Warmup([("stuck", stuck), ("never", never)], budget_seconds=0.3)
    with caplog.at_level(logging.WARNING, logger="services.kit.warmup"):
        took = run_apart(timed(warmup))
    warmup.ready()
    assert ran == [] and warmup.took == {}
    assert took < 0.7, f"waited {took:.2f} s for a budget of 0.3 s"
    assert [r.getMessage() for r in caplog.records] == [
        "warm-up: stuck still running when the budget ran out; not waited for",
        "warm-up: budget of 0.3 s spent, never not run",
    ]


def test_a_deadline_expires_with_the_budget_or_at_shutdown() -> None:
    deadline = Deadline(0.2)
    assert not deadline.expired() and 0.1 < deadline.left() <= 0.2
    time.sleep(0.25)
    assert deadline.expired() and deadline.left() == 0.0
    stopped = Deadline(30)
    stopped.stop()  # the process shuts down: a step's next check ends it
    assert stopped.expired()


def _ready_after_warming_up(client: TestClient) -> dict[str, str]:
    assert client.get("/healthz").json() == {"status": "ok"}  # alive while warming up
    for _ in range(1500):
        ready = client.get("/readyz")
        if ready.status_code == 200:
            break
        assert ready.status_code == 503
        assert ready.json()["checks"]["warm-up"].startswith("error: warming up (")
        time.sleep(0.02)
    assert ready.status_code == 200
    checks: dict[str, str] = ready.json()["checks"]
    return checks


def test_a_platform_process_warms_up_before_it_reports_ready(settings: PlatformSettings) -> None:
    app = create_app(settings.replaced(warmup={"enabled": True}))
    with TestClient(app) as client:
        assert _ready_after_warming_up(client)["warm-up"] == "ok"
        warmup = state_of(app).get(WARMUP)
        assert list(warmup.took) == ["route table", "portal templates", "analytics: warm_lake"]
        metrics = client.get("/metrics").text
        for step in warmup.took:
            assert f'smartmfg_warmup_step_seconds{{step="{step}"}}' in metrics
        assert client.get("/").status_code == 200
    with TestClient(app) as client:  # started again: warms up again, the same metrics
        assert _ready_after_warming_up(client)["warm-up"] == "ok"
        assert state_of(app).get(WARMUP) is not warmup
        assert 'smartmfg_warmup_step_seconds{step="route table"}' in client.get("/metrics").text


def test_a_served_process_settles_its_heap_last() -> None:
    """A process that froze its heap before serving (services.kit.heap, `smartmfg serve`) freezes what the
    warm-up made too; a test's app (nothing frozen) does not."""
    assert [name for name, _ in warmup_steps([], portal=False)] == ["route table"]
    gc.freeze()
    try:
        served = [name for name, _ in warmup_steps([], portal=True)]
    finally:
        gc.unfreeze()
    assert served == ["route table", "portal templates", "heap"]


def test_off_unless_asked(settings: PlatformSettings) -> None:
    """Apps built in-process (tests, benchmarks) do not warm up: the default is off."""
    assert PlatformSettings().warmup.enabled is False
    with TestClient(create_app(settings)) as client:
        assert "warm-up" not in client.get("/readyz").json()["checks"]
