"""What every benchmark of bench/ shares: the servers' addresses, scratch databases, process handling,
resident-memory sampling, percentiles, and the result files that bench/report.py turns into
docs/benchmarks.md.

A benchmark writes one JSON file under ``bench/results/`` (git-ignored scratch): its ``figures`` (each a
name, a value, a unit, whether higher is better, and the target it is judged against) plus free-form
``details`` for the report's tables. ``report.py`` renders them; ``baseline.py`` compares them with
``bench/baseline.json``.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from catalog.lake import Lake

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG = "postgresql+psycopg://smartmfg:smartmfg@127.0.0.1:55432/smartmfg"
KAFKA = os.environ.get("SMARTMFG_KAFKA_BOOTSTRAP", "127.0.0.1:59092")
KEYCLOAK_ISSUER = "http://127.0.0.1:58080/realms/smartmfg"
# What else ran on the machine, for benchmarks that take no --conditions (bench/run.py sets it).
CONDITIONS_ENV = "SMARTMFG_BENCH_CONDITIONS"


@dataclass
class Figure:
    """One measured number, the way the report prints it and bench-check compares it."""

    name: str
    value: float
    unit: str
    higher_is_better: bool
    target: str = "-"
    runs: list[float] = field(default_factory=list)


@dataclass
class Result:
    bench: str
    sizes: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    conditions: str = ""

    def add(self, name: str, runs: Sequence[float], unit: str, *, higher: bool, target: str = "-") -> float:
        value = statistics.median(runs)
        self.figures.append(Figure(name, value, unit, higher, target, [float(r) for r in runs]))
        return value

    def save(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.bench}.json"
        body = {
            **asdict(self),
            "conditions": self.conditions or os.environ.get(CONDITIONS_ENV, ""),
            "machine": machine(),
            "measured_at": datetime.now(UTC).isoformat(),
        }
        path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
        return path


def exit_on_sigterm() -> None:
    """A terminated benchmark unwinds (SystemExit), so that it stops the servers it started and drops its
    scratch database instead of leaving them behind."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def machine() -> dict[str, Any]:
    """The machine kind a figure belongs to: bench-check compares figures of the same kind only."""
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = platform.processor()
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }


def committed_rows(lake: Lake) -> int:
    """Rows in the readings table's current snapshot (its summary's total, no scan)."""
    snapshot = lake.readings().current_snapshot()
    if snapshot is None or snapshot.summary is None:
        return 0
    return int(snapshot.summary.additional_properties.get("total-records", 0))


def wait_rows(
    lake: Lake, expected: int, timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> float:
    """Polls until the table holds ``expected`` rows; returns ``clock()`` at that moment."""
    deadline = time.monotonic() + timeout_s
    while (rows := committed_rows(lake)) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {rows} of {expected} rows in the lake after {timeout_s:.0f} s")
        time.sleep(0.05)
    return clock()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def rss_mib(pid: int) -> float:
    """Resident memory of one process, from /proc (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


FLAT_MARGIN = (1.10, 16.0)  # flat: the late figure at most 10 % + 16 MiB above the early one


def flatness(series: list[tuple[float, float]]) -> dict[str, Any]:
    """Whether resident memory stopped growing after the warm-up (the first fifth of the samples).

    Judged on the floor (5th percentile: the level between bursts) and the peaks (95th percentile) of the
    last fifth, each within 10 % + 16 MiB of the second fifth's. A leak or an unbounded cache raises both;
    a process merely busy more of the time (a rollup round taking longer as the day's readings grow)
    raises its median, not its floor or peaks, as long as it rests at all. The medians and the
    least-squares slope after the warm-up (MiB per minute) are reported beside the verdict."""
    alive = [(t, v) for t, v in series if v > 0]  # a process that has exited reads 0
    values = [v for _, v in alive]
    fifth = max(1, len(values) // 5)
    early, late = values[fifth : 2 * fifth] or values, values[-fifth:]
    tail = alive[fifth:]
    slope = 0.0
    if len(tail) > 1 and tail[-1][0] > tail[0][0]:
        slope = statistics.linear_regression([t / 60 for t, _ in tail], [v for _, v in tail]).slope
    out = {"first": statistics.median(early), "last": statistics.median(late), "slope_mib_per_min": slope}
    for q in (5, 95):
        out[f"first_p{q}"], out[f"last_p{q}"] = percentile(early, q), percentile(late, q)
    out["flat"] = all(
        out[f"last_p{q}"] <= out[f"first_p{q}"] * FLAT_MARGIN[0] + FLAT_MARGIN[1] for q in (5, 95)
    )
    return out


class RssSampler:
    """Samples the RSS of named processes every ``every`` seconds in a thread: peaks and the series; and
    the machine's 1-minute load average, so that a figure says how busy the machine was meanwhile."""

    def __init__(self, pids: dict[str, int], every: float = 0.5) -> None:
        self.pids = pids
        self.every = every
        self.series: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
        self.load: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic() - self._started
            for name, pid in self.pids.items():
                self.series[name].append((now, rss_mib(pid)))
            self.load.append(os.getloadavg()[0])
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self) -> dict[str, float]:
        return {name: max((v for _, v in s), default=0.0) for name, s in self.series.items()}

    def load_average(self) -> dict[str, float]:
        """The 1-minute load average over the sampling: median and highest."""
        if not self.load:
            return {}
        return {"median": round(statistics.median(self.load), 2), "max": round(max(self.load), 2)}


@contextlib.contextmanager
def scratch_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new PostgreSQL database for one run (platform tables and the Iceberg catalog), dropped after
    unless ``keep``."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            print(f"kept database {url}", flush=True)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(proc: subprocess.Popen[bytes], base: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {base} was ready")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{base} not ready after {timeout_s:.0f} s")


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """SIGTERM the process group this benchmark started, SIGKILL after the timeout."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(10)


def start(cmd: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """A child in its own session (so ``stop`` ends it and its children), output appended to ``log``; in
    ``cwd`` if given (DuckDB spills to ``.tmp`` there)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def keycloak_token(client: str, username: str | None = None) -> str:
    """An access token of the realm (infra/keycloak/realm.json), as the distributed topology wants: a
    gateway client's (client credentials), or a user's through ``client`` (password grant)."""
    form = {"client_id": client, "client_secret": f"{client}-secret", "grant_type": "client_credentials"}
    if username:
        form.update(grant_type="password", username=username, password=f"{username}-pass")
    answer = httpx.post(f"{KEYCLOAK_ISSUER}/protocol/openid-connect/token", data=form, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])
