"""A process's warm-up: the one-time work its first visitor would otherwise pay, done after start-up and
before ``/readyz`` says ready.

Invariants:

- It runs after the lifespan's start-up, in the background: uvicorn serves as soon as start-up returns, so
  ``/healthz`` (liveness) answers throughout, while ``/readyz`` reports the ``warm-up`` check as not ready
  until every step has run, failed or been skipped. A load balancer or a Kubernetes readiness probe keeps
  traffic away meanwhile; nothing else waits on it.
- Steps are blocking callables run one after another in a worker thread (never on the event loop), each
  given the app and the :class:`Deadline` of the whole warm-up (``settings.warmup.budget_seconds``). A step
  that works through many pieces asks ``deadline.expired()`` between them; once the budget is spent no
  further step starts, a running one is no longer waited for, and the process reports ready: a slow warm-up
  costs first requests their speed, never the process its readiness.
- A step is an optimisation: its failure (a server down, a lake unreachable) is logged and the next step
  runs. Start-up hooks (``ServiceSpec.startup``) remain the place for what a process cannot serve without.
- Each step's time is logged and kept (``Warmup.took``, shown by /metrics as
  ``smartmfg_warmup_step_seconds``): warm only what measurably costs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fastapi import FastAPI
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.kit.slots import Slot, Slots

log = logging.getLogger(__name__)


class Deadline:
    """When the warm-up's budget runs out (or the process began to shut down)."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds
        self._stopped = False

    def left(self) -> float:
        return 0.0 if self._stopped else max(0.0, self._at - time.monotonic())

    def expired(self) -> bool:
        return self.left() == 0.0

    def stop(self) -> None:
        """The process is shutting down: steps stop at their next check."""
        self._stopped = True


# A step returns what it did, in a few words for the log ("607 data files"), or None.
Step = Callable[[FastAPI, Deadline], str | None]


class WarmingUp(Exception):
    """What the ``warm-up`` readiness check raises until the warm-up is over."""


@dataclass
class Warmup:
    steps: list[tuple[str, Step]]
    budget_seconds: float
    took: dict[str, float] = field(default_factory=dict)  # seconds of each step that ran to its end
    current: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    deadline: Deadline | None = None

    def ready(self) -> None:
        """The readiness check: raises while warming up."""
        if not self.done.is_set():
            raise WarmingUp(f"warming up ({self.current or 'starting'})")

    async def run(self, app: FastAPI) -> None:
        deadline = self.deadline = Deadline(self.budget_seconds)
        started = time.perf_counter()
        try:
            for name, step in self.steps:
                if deadline.expired():
                    log.warning("warm-up: budget of %g s spent, %s not run", self.budget_seconds, name)
                    continue
                self.current = name
                begun = time.perf_counter()
                try:
                    did = await asyncio.wait_for(asyncio.to_thread(step, app, deadline), deadline.left())
                except TimeoutError:
                    if deadline.expired():
                        log.warning("warm-up: %s still running when the budget ran out; not waited for", name)
                    else:  # the step's own time-out (a server that did not answer)
                        log.exception("warm-up: %s failed; skipped", name)
                    continue
                except Exception:  # an optional piece: the process serves without it, only slower at first
                    log.exception("warm-up: %s failed; skipped", name)
                    continue
                self.took[name] = time.perf_counter() - begun
                log.info("warm-up: %s in %.0f ms%s", name, self.took[name] * 1000, f" ({did})" if did else "")
        finally:
            self.current = None
            self.done.set()
            log.info("warm-up done in %.0f ms; ready", (time.perf_counter() - started) * 1000)

    def stop(self) -> None:
        if self.deadline is not None:
            self.deadline.stop()


class WarmupCollector(Collector):
    """The seconds each finished step of the process's warm-up took, for /metrics (registered once per app:
    the warm-up of each start of its lifespan is found in its slot when scraped)."""

    def __init__(self, holder: Slots) -> None:
        self.holder = holder

    def collect(self) -> Iterator[Metric]:
        took = GaugeMetricFamily(
            "smartmfg_warmup_step_seconds", "Seconds each warm-up step took", labels=["step"]
        )
        warmup = self.holder.find(WARMUP)
        for name, seconds in list(warmup.took.items()) if warmup is not None else []:
            took.add_metric([name], seconds)
        yield took


WARMUP: Slot[Warmup] = Slot("warmup")
