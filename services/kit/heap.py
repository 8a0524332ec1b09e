"""The serving process's garbage collector: what it scans, and how often.

CPython's full collection walks every container object the process holds. A served platform holds about
250,000 of them before its first request (modules, route tables, schemas, compiled SQL) and about 100,000
more once its caches fill; at national scale a full collection took 450-900 ms on the shared two cores
(docs/benchmarks.md, 2026-12-07), paid by whichever request allocated the object that triggered it.

:func:`settle` is called once, after the app is built and before it serves: what exists then lives as long
as the process, so it is moved out of the collector's generations (``gc.freeze``) and never scanned again;
and the youngest generation is collected after 10,000 allocations instead of 700, so a request's
short-lived objects (a page of rows, its JSON) mostly die before a collection promotes them. Tests build many
apps in one process and never call it: frozen objects are never collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
