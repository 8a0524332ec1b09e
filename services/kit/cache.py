"""The process's caches: one facility, bounded by bytes and by time, keyed so that answers cannot leak.

Every cache of a platform process is a named :class:`Cache` of the one :class:`Caches` object the app factory
creates (``create_app``) and routes reach through :data:`CachesDep`; nothing else keeps answers between
requests. A cache holds at most its byte budget (``settings.cache``, an estimate of the memory the entry's key
and value take: :func:`approximate_size`) and an entry at most its time to live; beyond the budget the least
recently used entries go first, an entry larger than the whole budget is not kept. Every cache is
thread-safe (sync routes run in a thread pool) and counts its hits, misses and evictions for ``/metrics``.

Keys: a cached answer is stored under a :class:`Key` of its *kind* (one function per kind builds it), the
:class:`Viewer` it was made for and the *version* of the data it was made from. A viewer is not an id: an
organisation called ``"admin"`` or ``"public"`` is ``Viewer(kind="org", org_id="admin")``, never the
admins' or the public's view (that collision once leaked drafts). Two callers share an answer only when
:func:`viewer_of` gives them the same viewer, that is when they may see the same data. Data that does not
depend on who asks (a published standard, an Iceberg manifest) is kept for :data:`PUBLIC`; whoever reads it
is checked after the lookup, never by the key.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

from cachetools import TLRUCache
from fastapi import Depends, Request
from pydantic import BaseModel

from services.kit.principal import Principal, Role
from services.kit.slots import Slot, slots_of

if TYPE_CHECKING:
    from services.kit.settings import CacheSettings

V = TypeVar("V")


@dataclass(frozen=True)
class Viewer:
    """Who an answer was made for, as far as what they may see goes.

    ``public``: what everyone sees; ``org``: that and what the organisation ``org_id`` owns; ``admin``:
    everything. A signed-in caller's other grants ride along, as each service reads them: ``roles`` (a
    gateway sees nothing of its organisation, a reviewer more), ``regions`` (the 시·도 a reviewer or a
    regional centre's staff covers), ``factory_id`` (a gateway's factory) and, for evaluators, who they are
    (``subject``: they see what is assigned to them). Callers alike in all of these see the same."""

    kind: Literal["public", "org", "admin"]
    org_id: str | None = None
    roles: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    factory_id: str | None = None
    subject: str | None = None

    def __post_init__(self) -> None:
        if (self.kind == "org") != (self.org_id is not None):
            raise ValueError(f"a viewer of kind {self.kind!r} with org_id {self.org_id!r}")


PUBLIC = Viewer("public")
ADMIN = Viewer("admin")


def viewer_of(principal: Principal | None) -> Viewer:
    """The view ``principal`` gets: the only way a caller becomes part of a cache key."""
    if principal is None:
        return PUBLIC
    if principal.is_admin:
        return ADMIN
    acts = principal.org_id is not None and principal.acts_for(principal.org_id)
    return Viewer(
        "org" if acts else "public",
        principal.org_id if acts else None,
        frozenset(principal.roles),
        principal.regions,
        principal.factory_id,
        principal.subject if Role.EVALUATOR in principal.roles else None,
    )


@dataclass(frozen=True)
class Key:
    """Where an answer is kept: its kind (e.g. ``"usecases.search"``), the viewer it was made for, the
    version of the data it was made from (``None``: only its time to live bounds it) and what was asked."""

    kind: str
    viewer: Viewer
    version: Hashable
    asked: tuple[Hashable, ...] = ()

    def unversioned(self) -> Key:
        """The same question about any version of the data."""
        return dataclasses.replace(self, version=None)


def approximate_size(value: object) -> int:
    """Bytes ``value`` takes with everything it holds (each object counted once): containers, strings,
    bytes, numbers, dataclasses, Pydantic models and other objects' attributes."""
    seen: set[int] = set()
    todo: list[object] = [value]
    total = 0
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, str | bytes | bytearray | int | float | bool | type(None)):
            continue
        if isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
        elif isinstance(item, BaseModel):
            todo.append(item.__dict__)
        elif dataclasses.is_dataclass(item):
            todo.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif hasattr(item, "__dict__"):
            todo.append(vars(item))
    return total


@dataclass
class _Entry:
    value: Any
    size: int
    ttl_s: float
    made: float  # time.monotonic() when stored


class _Store(TLRUCache):
    """cachetools' time-aware LRU, counting what it drops for room (not what expires)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, ttu=lambda _k, entry, now: now + entry.ttl_s, getsizeof=lambda e: e.size)
        self.evictions = 0

    def popitem(self) -> tuple[Any, Any]:
        dropped = super().popitem()
        self.evictions += 1
        return dropped


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    bytes: int
    entries: int


class Cache(Generic[V]):
    """One named cache: at most ``max_bytes`` (keys and values), each entry for at most ``ttl_s`` seconds
    (or less, as ``put`` says)."""

    def __init__(self, name: str, max_bytes: int, ttl_s: float) -> None:
        self.name, self.max_bytes, self.ttl_s = name, max_bytes, ttl_s
        self._store = _Store(max_bytes)
        self._lock = threading.Lock()
        self._hits = self._misses = 0
        self._epoch = 0
        self._computing: dict[Key, threading.Event] = {}

    def get(self, key: Key) -> V | None:
        with self._lock:
            entry = self._kept(key)
            return None if entry is None else entry.value

    def put(self, key: Key, value: V, *, ttl_s: float | None = None, epoch: int | None = None) -> V:
        """Keep ``value`` (and return it). Not kept when it is larger than the whole cache, or when the
        cache was cleared since ``epoch`` (:attr:`epoch` read before the value was made: an answer read
        before a write must not be stored after it)."""
        size = approximate_size(key) + approximate_size(value)
        entry = _Entry(value, size, self.ttl_s if ttl_s is None else min(ttl_s, self.ttl_s), time.monotonic())
        with self._lock:
            if entry.size <= self.max_bytes and (epoch is None or epoch == self._epoch):
                self._store[key] = entry
        return value

    def memo(self, key: Key, compute: Callable[[], V], *, fresh_s: float) -> V:
        """The answer kept at ``key`` if computed within ``fresh_s`` seconds, else ``compute()`` kept there.

        One computation per question at a time (``key`` of any version): the others asking meanwhile wait
        for it, or, when the answer they would get differs only by its age (same version), get that answer
        at once. Otherwise every request arriving as an answer expires computes it again, and at national
        scale a handful of recounts at once hold the threads and the database for seconds (measured: the
        portal home's p95 at 8.5 s, p50 17 ms)."""
        question = key.unversioned()
        while True:
            with self._lock:
                found = self._kept(key)
                if found is not None and time.monotonic() - found.made < fresh_s:
                    return found.value
                flight = self._computing.get(question)
                if flight is None:
                    flight = self._computing[question] = threading.Event()
                    break
                if found is not None:
                    return found.value
            flight.wait()  # then its answer, if of this version, or this thread's turn to compute
        try:
            return self.put(key, compute())
        finally:
            with self._lock:
                del self._computing[question]
            flight.set()

    def _kept(self, key: Key) -> _Entry | None:
        entry: _Entry | None = self._store.get(key)
        if entry is None:
            self._misses += 1
        else:
            self._hits += 1
        return entry

    @property
    def epoch(self) -> int:
        """Moves with every :meth:`clear`."""
        return self._epoch

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self._epoch += 1

    def stats(self) -> CacheStats:
        with self._lock:
            self._store.expire()
            return CacheStats(
                self._hits, self._misses, self._store.evictions, int(self._store.currsize), len(self._store)
            )


@dataclass(frozen=True)
class Caches:
    """Every cache of the process, by what it holds."""

    portal: Cache[Any]  # public API answers the portal read (platform_api.portal.api)
    pages: Cache[bytes]  # browse pages as signed-out visitors get them (platform_api.portal.kept)
    rendered: Cache[bytes]  # JSON of stored entities by version (services.kit.rendered)
    answers: Cache[Any]  # facet counts, search hits, aggregates by data generation (services.kit.facets)
    reference: Cache[Any]  # documents read from other services: standards, factories, registers
    manifests: Cache[Any]  # Iceberg manifest files, what they list, whose rows a factory's are (catalog)

    @classmethod
    def from_settings(cls, settings: CacheSettings) -> Caches:
        return cls(
            portal=Cache("portal", settings.portal_bytes, settings.portal_seconds),
            pages=Cache("pages", settings.pages_bytes, settings.pages_seconds),
            rendered=Cache("rendered", settings.rendered_bytes, settings.rendered_seconds),
            answers=Cache("answers", settings.answers_bytes, settings.answers_seconds),
            reference=Cache("reference", settings.reference_bytes, settings.reference_seconds),
            manifests=Cache("manifests", settings.manifests_bytes, settings.manifests_seconds),
        )

    def all(self) -> tuple[Cache[Any], ...]:
        return (self.portal, self.pages, self.rendered, self.answers, self.reference, self.manifests)


CACHES: Slot[Caches] = Slot("caches")  # made by the app factory (services.kit.app_state)


def caches(request: Request) -> Caches:
    """The caches of the app serving ``request`` (made by the app factory)."""
    return slots_of(request.app).get(CACHES)


CachesDep = Annotated[Caches, Depends(caches)]
