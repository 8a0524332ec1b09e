"""`smartmfg run-distributed` as a subprocess for the multi-process tests (and bench/soak.py --ha): a fresh
database, topics and bucket per run; the supervisor's output in a log file, its children's pids read from it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from platform_api.registry import SERVICE_MODULES
from tests.e2e.test_distributed import ISSUER

SMARTMFG = Path(sys.executable).parent / "smartmfg"
RESTART_DELAY = 8  # long enough to see an outage, short enough to wait for the restart


def free_base_port() -> int:
    """A gateway port whose service (+1…) and writer status (+100, +101) ports are free too."""
    for _ in range(50):
        base = 20000 + (uuid.uuid4().int % 20000)
        wanted = [base + i for i in range(len(SERVICE_MODULES) + 1)] + [base + 100, base + 101]
        free = True
        for port in wanted:
            with socket.socket() as s:
                free = free and s.connect_ex(("127.0.0.1", port)) != 0
        if free:
            return base
    raise AssertionError("no free port range")


def eventually(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


def gateway_token(client: str = "edge-gw-demo-1") -> str:
    """A token of one of the realm's edge gateway clients (infra/keycloak/realm.json)."""
    answer = httpx.post(
        f"{ISSUER}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": client, "client_secret": f"{client}-secret"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


Platform = tuple[str, Path, subprocess.Popen[bytes]]


@contextmanager
def run_distributed(
    database: str,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    *,
    writers: int = 2,
    restart_delay: float = RESTART_DELAY,
) -> Iterator[Platform]:
    """`smartmfg run-distributed` on a fresh database, topics and bucket; stopped with Ctrl-C (SIGINT)."""
    base_port = free_base_port()
    suffix = uuid.uuid4().hex[:8]
    full_env = {
        **os.environ,
        "SMARTMFG_DATABASE_URL": database,
        "SMARTMFG_OIDC_ISSUER": ISSUER,
        "SMARTMFG_ALLOW_DEV_SECRETS": "true",
        "SMARTMFG_DATA_DIR": str(tmp_path / "data"),
        "SMARTMFG_BUS_TOPIC_PREFIX": f"e2e-dist-{suffix}",
        "SMARTMFG_LAKE_BUCKET": f"e2e-dist-{suffix}",
        "SMARTMFG_WRITER_FLUSH_SECONDS": "0.5",
        # the processes are ready without their warm-up (services.kit.warmup), which no test here times
        "SMARTMFG_WARMUP_ENABLED": "false",
        **(env or {}),
    }
    full_env.pop("SMARTMFG_TOPOLOGY", None)  # run-distributed sets it
    log = tmp_path / "run-distributed.log"
    argv = [str(SMARTMFG), "run-distributed", "--port", str(base_port), "--writers", str(writers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*argv, "--restart-delay", str(restart_delay)],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def ready() -> bool:
            assert proc.poll() is None, f"run-distributed exited:\n{log.read_text()[-3000:]}"
            return "Ctrl-C stops them all" in log.read_text()

        eventually(ready, "ready", timeout=300)
        yield f"http://127.0.0.1:{base_port}", log, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def pids_of(log: Path) -> dict[str, int]:
    """The latest pid the supervisor reported for each process."""
    return {m[1]: int(m[2]) for m in re.finditer(r"\[supervisor\] (\S+): started pid (\d+)", log.read_text())}
