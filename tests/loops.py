"""Running a coroutine to its end from a test, whatever the worker ran before.

A browser test's sync Playwright keeps an event loop running in the worker's thread for the rest of the
session, and ``asyncio.run`` refuses to start inside a running loop: which test fails then depends on how
xdist shares the tests out. ``run_apart`` runs the coroutine on a loop of its own in a fresh thread, so it
behaves the same after a browser test as without one (``tests/test_loops.py`` keeps ``asyncio.run`` out of
the tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()
