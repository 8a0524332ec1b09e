"""The rollups' refresher of a platform process: rounds of ``catalog.rollups.refresh`` in a child process.

A round runs DuckDB over a day of readings; native code can crash (DuckDB 1.5.5 once died of a general
protection fault in a 30-minute soak). In its own process such a crash takes only the refresher down: the
platform process (in the embedded topology, the whole platform) keeps serving, logs the exit and starts
another child, which redoes the round from the watermark (nothing was committed). With
``analytics.rollup_engine = trino`` the child has Trino compute the tables and commits the watermarks; a
child that dies between Trino's commit and its watermark leaves rows no reader uses, which the next round
replaces (``catalog.rollups.watermark``). A stop during a round ends
the child the same way; the next start redoes it.

The child starts on the first poke (a lake writer's commit) or after the first interval, not with the process:
a platform that never receives readings never pays for it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import select
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from catalog.rollups import REFRESH_MEMORY, refresh, rollup_engine
from catalog.runtime import Analytics
from services.kit.cache import Caches
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot

log = logging.getLogger(__name__)

RESTART_AFTER_S = 5.0  # a child that keeps dying at once is not restarted in a tight loop
STOP_GRACE_S = 2.0  # a child between rounds ends by itself within this; one mid-round is terminated


def rounds(settings: PlatformSettings, interval_s: float, wake: Connection) -> None:
    """The child: a round at once, then every ``interval_s`` seconds or when a byte arrives on ``wake``, until
    the platform closes its end (or dies). A failed round (the lake unreachable for a while) is logged and
    retried: it left the watermark where it was."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # the child's own, with the memory a refresh is given
    analytics = Analytics(
        settings, Caches.from_settings(settings.cache).manifests, REFRESH_MEMORY, keep_blocks=False
    )
    trino = rollup_engine(settings)  # None: DuckDB in this child computes every rollup
    try:
        while True:
            try:
                engine = analytics.engine()
                for done in refresh(engine.lake, engine=engine, trino=trino):
                    if done.days:
                        log.info(
                            "rollup %s: %d day(s), %d hour(s) recomputed up to snapshot %s",
                            done.table,
                            done.days,
                            done.hours,
                            done.watermark,
                        )
            except Exception:
                log.exception("rollup refresh failed; retrying in %.0fs", interval_s)
            ready, _, _ = select.select([wake.fileno()], [], [], interval_s)
            if ready and not os.read(wake.fileno(), 4096):
                return
    finally:
        analytics.close()


class Refresher:
    """Starts, watches and stops the child running :func:`rounds`; ``poke()`` it after a lake commit.

    It talks to the child over a pipe, not shared locks or events: a child killed while holding one would
    leave the platform process waiting on it for ever. A poke is a byte written without blocking (a full pipe
    already holds a wake); a stop closes the pipe."""

    def __init__(self, settings: PlatformSettings, interval_s: float) -> None:
        self.settings, self.interval_s = settings, interval_s
        # spawn, never fork: the platform process has threads (a forked child may inherit a held lock)
        self._context = multiprocessing.get_context("spawn")
        self._first, self._stopped = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._wake: Connection | None = None  # the platform's end of the current child's pipe
        self._thread = threading.Thread(target=self._supervise, name="rollup-supervisor", daemon=True)
        self.process: BaseProcess | None = None
        self.restarts = 0

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        self._first.set()
        with self._lock:
            if self._wake is not None:
                with contextlib.suppress(BlockingIOError, BrokenPipeError):
                    os.write(self._wake.fileno(), b"!")

    def stop(self) -> None:
        with self._lock:  # no child is started after this
            self._stopped.set()
            self._close_pipe()
        self._first.set()
        process = self.process
        if process is not None:
            process.join(STOP_GRACE_S)
            if process.is_alive():
                process.terminate()
                process.join(STOP_GRACE_S)
        if self._thread.ident is not None:
            self._thread.join(STOP_GRACE_S * 3)

    def _close_pipe(self) -> None:
        if self._wake is not None:
            self._wake.close()
            self._wake = None

    def _supervise(self) -> None:
        self._first.wait(self.interval_s)
        while True:
            with self._lock:
                if self._stopped.is_set():
                    return
                theirs, self._wake = self._context.Pipe(duplex=False)
                os.set_blocking(self._wake.fileno(), False)
                process = self._context.Process(
                    target=rounds,
                    args=(self.settings, self.interval_s, theirs),
                    name="rollup-refresher",
                    daemon=True,  # ends with the platform process, whatever happens to it
                )
                process.start()
                self.process = process  # only a started one: stop() joins it
                theirs.close()  # the child has its own copy: its end closes when it exits
            process.join()
            with self._lock:
                # a platform process exiting without a stop ends its daemon children itself: not a crash
                if self._stopped.is_set() or not threading.main_thread().is_alive():
                    return
                self._close_pipe()
            self.restarts += 1
            log.error(
                "the rollup refresher process exited with code %s; starting another in %.0fs",
                process.exitcode,
                RESTART_AFTER_S,
            )
            self._stopped.wait(RESTART_AFTER_S)


REFRESHER: Slot[Refresher] = Slot("rollups")  # started by the analytics service when it refreshes
