"""The distributed topology on one machine: every service its own uvicorn process, a gateway that proxies
to them, and lake writers as processes, watched by one supervisor (``smartmfg run-distributed``).

Invariants:
- Every process is told the whole route table (``SMARTMFG_SERVICE_URLS``): the gateway proxies every
  service, a service process keeps its own routes and calls its siblings directly (platform_api.app).
- Each child runs in its own session (process group): a Ctrl-C in the terminal reaches the supervisor
  only, which stops every child with SIGTERM, then SIGKILL after ``grace`` seconds, and returns only once
  all are gone. Nothing outlives the supervisor.
- A child that exits on its own is started again after ``restart_delay`` seconds, doubled (up to 60 s)
  for each death in a row within ``STABLE_SECONDS`` of its start: a crash loop is slowed, never given up
  on. While a service is down the gateway answers its routes with 503 and ``Retry-After``
  (platform_api.proxy); the other services keep answering.
- No more lake writers than the topics have partitions (``bus.partitions``): one more would get none.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

import httpx

from platform_api.registry import SERVICE_MODULES
from services.kit.settings import PlatformSettings

STABLE_SECONDS = 30.0
MAX_RESTART_DELAY = 60.0
# Ports above the gateway's: services at +1…, writers' status servers at +WRITER_PORT_OFFSET….
WRITER_PORT_OFFSET = 100


@dataclass(frozen=True)
class ChildSpec:
    """One process of the topology: how to start it and where it says it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    url: str | None = None  # what a person opens (gateway, services); writers have only a status page


def plan(
    settings: PlatformSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    writers: int = 2,
    services: list[str] | None = None,
    base_env: Mapping[str, str] | None = None,
) -> list[ChildSpec]:
    """The processes of the topology, gateway first: ``port`` is the gateway's, services follow it."""
    if writers > settings.bus.partitions:
        raise ValueError(
            f"{writers} lake writers for {settings.bus.partitions} partitions (SMARTMFG_BUS_PARTITIONS): "
            "a writer beyond the partitions would idle"
        )
    names = services or list(SERVICE_MODULES)
    gateway = f"http://{host}:{port}"
    urls = {name: f"http://{host}:{port + 1 + i}" for i, name in enumerate(names)}
    env = {
        **(base_env if base_env is not None else os.environ),
        **settings.replaced(topology="distributed", public_url=gateway).environment(),
        "SMARTMFG_SERVICE_URLS": json.dumps(urls),
        "PYTHONUNBUFFERED": "1",
    }
    serve = [sys.executable, "-m", "platform_api.cli", "serve", "--host", host]
    children = [ChildSpec("gateway", [*serve, "--port", str(port)], env, f"{gateway}/readyz", gateway)]
    for name, url in urls.items():
        service_port = url.rsplit(":", 1)[1]
        argv = [*serve, "--service", name, "--port", service_port]
        children.append(ChildSpec(name, argv, env, f"{url}/readyz", url))
    for i in range(writers):
        status = port + WRITER_PORT_OFFSET + i
        argv = [sys.executable, "-m", "ingest.writer", "--port", str(status)]
        children.append(ChildSpec(f"writer-{i + 1}", argv, env, f"http://{host}:{status}/readyz"))
    return children


@dataclass
class _Running:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    quick_deaths: int = 0  # in a row, each within STABLE_SECONDS of its start
    pumps: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    """Starts the children, restarts those that die, stops them all on :meth:`stop`."""

    def __init__(
        self,
        children: list[ChildSpec],
        *,
        restart_delay: float = 2.0,
        grace: float = 20.0,
        out: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.restart_delay = restart_delay
        self.grace = grace
        self.out = out or sys.stdout
        self.clock = clock
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._children = [_Running(spec) for spec in children]

    def say(self, line: str) -> None:
        with self._lock:
            self.out.write(f"[supervisor] {line}\n")
            self.out.flush()

    def _start(self, child: _Running) -> None:
        proc = subprocess.Popen(
            child.spec.argv,
            env=child.spec.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child.proc, child.started_at, child.restart_at = proc, self.clock(), None
        pump = threading.Thread(target=self._pump, args=(child.spec.name, proc), daemon=True)
        pump.start()
        child.pumps.append(pump)
        self.say(f"{child.spec.name}: started pid {proc.pid}")

    def _pump(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        """A child's output, line by line, prefixed with its name (one terminal for the whole topology)."""
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.out.write(f"[{name}] {line}\n")
                self.out.flush()

    def start(self) -> None:
        for child in self._children:
            self._start(child)

    def wait_ready(self, timeout: float = 180.0) -> list[str]:
        """Wait until every child answers its ``/readyz`` with 200; returns the names still not ready."""
        deadline = self.clock() + timeout
        pending = {c.spec.name: c.spec.ready_url for c in self._children}
        with httpx.Client(timeout=2.0) as client:
            while pending and self.clock() < deadline and not self.stopping.is_set():
                self.check()
                for name, url in list(pending.items()):
                    try:
                        if client.get(url).status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if pending:
                    self.stopping.wait(0.5)
        return sorted(pending)

    def check(self) -> None:
        """Note children that exited and start again those whose restart time has come."""
        now = self.clock()
        for child in self._children:
            if self.stopping.is_set():
                return
            if child.proc is not None and child.restart_at is None and child.proc.poll() is not None:
                lived = now - child.started_at
                if lived >= STABLE_SECONDS:
                    child.quick_deaths = 0
                delay = min(self.restart_delay * 2**child.quick_deaths, MAX_RESTART_DELAY)
                child.quick_deaths += 1
                child.restart_at = now + delay
                self.say(
                    f"{child.spec.name}: exited with {child.proc.returncode} after {lived:.0f} s; "
                    f"restarting in {delay:.0f} s"
                )
            elif child.restart_at is not None and now >= child.restart_at:
                self._start(child)

    def run(self, poll_seconds: float = 0.5) -> None:
        """Watch the children until :meth:`stop` is called (from a signal handler or another thread)."""
        while not self.stopping.wait(poll_seconds):
            self.check()

    def stop(self) -> None:
        self.stopping.set()

    def shutdown(self) -> None:
        """SIGTERM to every child's process group, SIGKILL to those still there after ``grace`` seconds."""
        self.stopping.set()
        alive = [c for c in self._children if c.proc is not None and c.proc.poll() is None]
        for child in alive:
            _signal_group(child.proc, signal.SIGTERM)
        deadline = self.clock() + self.grace
        for child in alive:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.spec.name}: still running after {self.grace:.0f} s; killing it")
                _signal_group(child.proc, signal.SIGKILL)
                child.proc.wait()
        for child in self._children:
            for pump in child.pumps:
                pump.join(timeout=5)
        self.say("all processes stopped")

    def table(self) -> list[tuple[str, int | None, str]]:
        """(name, pid, url) of every child, for the banner."""
        return [(c.spec.name, c.proc.pid if c.proc else None, _shown_url(c.spec)) for c in self._children]


def _shown_url(spec: ChildSpec) -> str:
    return spec.url or spec.ready_url.removesuffix("/readyz")


def _signal_group(proc: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError):  # it exited between the check and the signal
        os.killpg(proc.pid, sig)
