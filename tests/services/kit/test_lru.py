"""The bounded map behind rendered JSON and the rollups' manifest reads forgets the least recently used."""

from __future__ import annotations

from services.kit.lru import Lru


def test_the_least_recently_used_entry_goes_first() -> None:
    lru: Lru[str, int] = Lru(2)
    assert lru.put("a", 1) == 1
    lru.put("b", 2)
    assert lru.get("a") == 1  # used: "b" is now the least recent
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    lru.put("a", 10)  # stored again: replaced and most recent
    lru.put("d", 4)
    assert (lru.get("a"), lru.get("c"), lru.get("d")) == (10, None, 4)
