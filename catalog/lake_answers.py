"""Aggregate answers of the lake computed once per version of the readings.

Every factory's KPI inputs of a period, or the uploads count, read every factory's readings of the period
(a regional centre's dashboard asks for three KPI benchmarks and the uploads per view, an SME's rank chart
three KPIs of its peers): the same question about the same data has the same answer, so it is kept in the
process's ``answers`` cache (``services.kit.cache``) and computed again only when the data moved.

Invariants:
- The version is the readings table's current snapshot: every commit to the lake (the writer's batches,
  a compaction) makes a new one, so an answer is never served from older data than the table holds now.
  The rollups are derived from the readings and need no version of their own.
- The key's viewer is ``PUBLIC``: these answers are anonymous aggregates under the disclosure rule, the
  same for every caller the route admits (an agency reviewer's regions are checked before the lookup, and
  what the route answers depends only on what was asked). Who may read is the route's dependency's
  business, never the cache's.
- An answer also depends on the SME register (region, industry, size of each organisation), which the
  analytics service reads again after ``DIRECTORY_TTL_S``: a kept answer lives no longer than that.
- One question is asked by a bounded set of parameters (a KPI, dimensions, a period, regions), each
  validated by the route before it reaches the key; the cache is bounded by bytes and time regardless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from fastapi import Request

from catalog.endpoints import run_blocking
from catalog.peers import DIRECTORY_TTL_S
from catalog.query import QueryEngine
from services.kit.cache import PUBLIC, Key, caches

T = TypeVar("T")


def readings_version(engine: QueryEngine) -> int | None:
    """The readings table's current snapshot id (None while the table holds nothing)."""
    snapshot = engine.lake.readings().current_snapshot()
    return None if snapshot is None else snapshot.snapshot_id


def answer_key(kind: str, version: int | None, asked: tuple[Hashable, ...]) -> Key:
    """The one key of a lake aggregate: what it is, the readings version, what was asked."""
    return Key(f"lake.{kind}", PUBLIC, version, asked)


async def once_per_version(
    request: Request,
    engine: QueryEngine,
    kind: str,
    asked: tuple[Hashable, ...],
    compute: Callable[[], Awaitable[T]],
) -> T:
    """The answer to ``asked`` computed from the readings' current version, or ``compute()`` kept for it."""
    cache = caches(request).answers
    key = answer_key(kind, await run_blocking(readings_version, engine), asked)
    found: T | None = cache.get(key)
    if found is not None:
        return found
    epoch = cache.epoch  # an answer computed across a clear of the cache is not kept
    return cache.put(key, await compute(), ttl_s=DIRECTORY_TTL_S, epoch=epoch)
