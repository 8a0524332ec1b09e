"""A thread-safe map of bounded size that forgets its least recently used entries first.

The size is the number of entries, or the sum of their weights (``weigh``, e.g. ``len`` of bytes values); an
entry heavier than the whole bound is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class Lru(Generic[K, V]):
    def __init__(self, limit: int, weigh: Callable[[V], int] = _one) -> None:
        self.limit, self._weigh = limit, weigh
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> V:
        weight = self._weigh(value)
        if weight > self.limit:
            return value
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._size += weight - (replaced[1] if replaced else 0)
            self._entries[key] = (value, weight)
            while self._size > self.limit:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped
        return value
