"""The supervisor of `smartmfg run-distributed` on real child processes: the plan of ports and routes,
restarts with a growing delay, output prefixed with the child's name, and a shutdown that leaves nothing."""

from __future__ import annotations

import io
import json
import os
import sys
import time

import pytest

from platform_api.supervisor import ChildSpec, Supervisor, plan
from services.kit.settings import PlatformSettings

SETTINGS = PlatformSettings(
    oidc={"issuer": "https://login.example.kr/realms/smartmfg"},
    database={"url": "postgresql+psycopg://u:p@db:5432/smartmfg"},
    minio={"secret_key": "lake-secret"},
    keycloak={"client_secret": "client-secret"},
)


def test_plan_gives_every_process_the_route_table() -> None:
    children = plan(
        SETTINGS, port=8000, writers=2, services=["deployments", "companies"], base_env={"PATH": "/usr/bin"}
    )
    assert [c.name for c in children] == ["gateway", "deployments", "companies", "writer-1", "writer-2"]
    assert [c.ready_url for c in children] == [
        "http://127.0.0.1:8000/readyz",
        "http://127.0.0.1:8001/readyz",
        "http://127.0.0.1:8002/readyz",
        "http://127.0.0.1:8100/readyz",
        "http://127.0.0.1:8101/readyz",
    ]
    assert children[1].argv[1:] == [
        "-m",
        "platform_api.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--service",
        "deployments",
        "--port",
        "8001",
    ]
    assert children[3].argv[1:] == ["-m", "ingest.writer", "--port", "8100"]
    for child in children:
        env = child.env
        assert env["PATH"] == "/usr/bin"
        assert env["SMARTMFG_TOPOLOGY"] == "distributed"
        assert env["SMARTMFG_PUBLIC_URL"] == "http://127.0.0.1:8000"
        assert env["SMARTMFG_DATABASE_URL"] == "postgresql+psycopg://u:p@db:5432/smartmfg"
        assert json.loads(env["SMARTMFG_SERVICE_URLS"]) == {
            "deployments": "http://127.0.0.1:8001",
            "companies": "http://127.0.0.1:8002",
        }


def test_more_writers_than_partitions_are_refused() -> None:
    with pytest.raises(ValueError, match="7 lake writers for 6 partitions"):
        plan(SETTINGS, writers=7)
    wider = plan(SETTINGS.replaced(bus={"partitions": 12}), writers=7)
    assert [c.name for c in wider if c.name.startswith("writer")] == [f"writer-{n}" for n in range(1, 8)]


def _child(name: str, code: str) -> ChildSpec:
    return ChildSpec(name, [sys.executable, "-c", code], dict(os.environ), "http://127.0.0.1:1/readyz")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wait_exit(supervisor: Supervisor, name: str) -> None:
    child = next(c for c in supervisor._children if c.spec.name == name)
    assert child.proc is not None
    child.proc.wait(timeout=30)


def test_a_dying_child_is_restarted_later_and_later_and_shutdown_stops_all() -> None:
    out, clock = io.StringIO(), Clock()
    supervisor = Supervisor(
        [
            _child("steady", "import time; print('up', flush=True); time.sleep(120)"),
            _child("crashing", "print('boom', flush=True); raise SystemExit(3)"),
            # ignores SIGTERM: it is SIGKILLed once the grace period is over
            _child("stubborn", "import signal as s, time; s.signal(s.SIGTERM, s.SIG_IGN); time.sleep(120)"),
        ],
        restart_delay=2.0,
        grace=1.0,
        out=out,
        clock=clock,
    )
    supervisor.start()
    try:
        _wait_exit(supervisor, "crashing")
        supervisor.check()
        assert "crashing: exited with 3 after 0 s; restarting in 2 s" in out.getvalue()
        clock.now += 1.9
        supervisor.check()
        assert out.getvalue().count("crashing: started pid") == 1  # not yet
        clock.now += 0.2
        supervisor.check()
        assert out.getvalue().count("crashing: started pid") == 2
        _wait_exit(supervisor, "crashing")
        supervisor.check()  # died again at once: the delay doubles
        assert "crashing: exited with 3 after 0 s; restarting in 4 s" in out.getvalue()
        clock.now += 40
        supervisor.check()
        clock.now += 40  # this time it lived longer than 30 s: the delay is back to the first one
        _wait_exit(supervisor, "crashing")
        supervisor.check()
        assert "crashing: exited with 3 after 40 s; restarting in 2 s" in out.getvalue()
        assert "steady: exited" not in out.getvalue()
    finally:
        started = time.monotonic()
        supervisor.shutdown()
    assert time.monotonic() - started < 15
    for child in supervisor._children:
        assert child.proc is not None and child.proc.poll() is not None, child.spec.name
    text = out.getvalue()
    assert "[steady] up" in text and "[crashing] boom" in text
    assert "[supervisor] stubborn: still running after 1 s; killing it" in text
    assert text.rstrip().endswith("[supervisor] all processes stopped")
