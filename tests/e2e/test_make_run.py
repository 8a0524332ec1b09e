"""`make run`'s server as a real subprocess: migrations, demo data, readiness, a seed killed half-way and
finished by the next run, and an idempotent rerun."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

# slow: about a minute; a run that has not timed it yet starts it first (tests/workers.py).
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SMARTMFG = Path(sys.executable).parent / "smartmfg"
FINISHED = ("telemetry", "kpis", "dataset", "rollups")  # what demo-seed.json counts besides the API's items


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path, command: str = "run") -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {**os.environ, "SMARTMFG_DATA_DIR": str(data_dir), "SMARTMFG_TOPOLOGY": "embedded"}
    env.pop("SMARTMFG_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(SMARTMFG), command, "--port", str(port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def _run_platform(data_dir: Path, command: str = "run") -> tuple[subprocess.Popen[str], str]:
    """`smartmfg run` (or ``command``) on ``data_dir``, once it answers ready."""
    proc, base = _start(data_dir, command)
    deadline = time.monotonic() + 420  # first start seeds the demo world and a month of telemetry
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"platform exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    _stop(proc)
    raise AssertionError("platform did not become ready within 420 s")


def _stop(proc: subprocess.Popen[str]) -> str:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


def _kill_once_seeded(data_dir: Path, step: str) -> None:
    """Start `make run` and kill it (SIGKILL: nothing of it runs after) as soon as its seed has finished
    ``step`` (platform_api.demo_seed.FINISHING), so that the seed is half done."""
    proc, _ = _start(data_dir)
    progress = data_dir / "demo-seed.json"
    deadline = time.monotonic() + 420
    try:
        while step not in (json.loads(progress.read_text()) if progress.exists() else {}):
            if proc.poll() is not None:
                raise AssertionError(f"exited before its seed's {step}: {proc.communicate()[0]}")
            assert time.monotonic() < deadline, f"the seed did not finish {step} within 420 s"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def _count(base: str, path: str) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(f"{base}{path}", params=params, timeout=30).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


def test_make_run_serves_seeded_platform_and_rerun_adds_nothing(tmp_path: Path) -> None:
    # the first `make run` is killed once its seed has loaded the telemetry: the next finishes the seed
    _kill_once_seeded(tmp_path, "telemetry")
    proc, base = _run_platform(tmp_path)
    try:
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["status"] == "ok"
        assert ready["checks"]["database"] == "ok"
        assert ready["checks"]["warm-up"] == "ok"  # `make run` warms up before it reports ready
        counts = {
            path: _count(base, path)
            for path in ("/api/v1/deployments", "/api/v1/companies", "/api/v1/usecases", "/api/v1/standards")
        }
        assert counts["/api/v1/deployments"] >= 200
        assert counts["/api/v1/companies"] >= 60
        assert counts["/api/v1/usecases"] >= 40
        assert counts["/api/v1/standards"] >= 10
        # a busy machine (load average 30-40) took over httpx's default 5 s for /docs
        aggregates = f"{base}/api/v1/deployments/aggregates"
        regions = httpx.get(aggregates, params={"by": "region"}, timeout=30).json()
        assert all(group["count"] > 0 for group in regions["groups"]), "every 시·도 has deployments"
        assert "스마트제조혁신" in httpx.get(f"{base}/", timeout=30).text
        assert httpx.get(f"{base}/docs", timeout=30).status_code == 200
        readings = _telemetry_readings(base)
        assert readings >= 1_000_000, "the lake holds the demo telemetry"
        _check_telemetry_kpis(base)
    finally:
        output = _stop(proc)
    assert "API docs:" in output

    seeded = (tmp_path / "demo-seed.json").read_text()
    finished = {step: n for step, n in json.loads(seeded).items() if step in FINISHED}
    assert finished == {"telemetry": 1, "kpis": 1, "dataset": 1, "rollups": 1}, "the killed seed was finished"
    proc, base = _run_platform(tmp_path)
    try:
        again = {path: _count(base, path) for path in counts}
        readings_again = _telemetry_readings(base)
    finally:
        output_again = _stop(proc)
    assert again == counts, "running `make run` twice must not duplicate demo data"
    assert readings_again == readings, "nor the demo telemetry"
    assert (tmp_path / "demo-seed.json").read_text() == seeded, "a complete seed is not resumed"
    assert "demo data already loaded" in output_again


def _token(base: str, username: str) -> dict[str, str]:
    form = {"grant_type": "password", "client_id": "smartmfg-api", "username": username}
    token = httpx.post(f"{base}/dev-oidc/token", data=form | {"password": f"{username}-pass"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _telemetry_readings(base: str) -> int:
    tables = httpx.get(f"{base}/api/v1/analytics/tables", headers=_token(base, "admin1"), timeout=30).json()
    return int(next(t["records"] for t in tables["items"] if t["table"].endswith(".readings")))


def _check_telemetry_kpis(base: str) -> None:
    """The demo SME's factory went live mid-window: its OEE measured from telemetry rose after go-live."""
    from platform_api.demo_telemetry import DAYS, START, go_live

    live = go_live("factory-sme-1-a")
    assert live is not None
    end = START + timedelta(days=DAYS)
    body = {
        "factory_id": "factory-sme-1-a",
        "kpi": "oee",
        "baseline": {"start": START.isoformat(), "end": live.isoformat()},
        "after": {"start": live.isoformat(), "end": end.isoformat()},
        "snapshot_id": None,
    }
    answer = httpx.post(
        f"{base}/api/v1/analytics/kpis/measure", json=body, headers=_token(base, "sme1"), timeout=60
    )
    assert answer.status_code == 200, answer.text
    measured = answer.json()
    assert measured["readings_used"] > 10_000
    assert 0 < measured["before"] < measured["after"] <= 100
