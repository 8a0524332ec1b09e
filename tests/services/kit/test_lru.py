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


def test_a_weighed_bound_keeps_the_sum_of_weights_and_refuses_what_is_heavier_than_it() -> None:
    lru: Lru[str, bytes] = Lru(10, weigh=len)
    lru.put("a", b"12345")
    lru.put("b", b"1234")
    lru.put("c", b"12")  # 11 > 10: "a" goes
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (None, b"1234", b"12")
    lru.put("b", b"1")  # replaced: its old weight no longer counts
    lru.put("d", b"1234567")
    assert (lru.get("b"), lru.get("c"), lru.get("d")) == (b"1", b"12", b"1234567")
    assert lru.put("e", b"x" * 11) == b"x" * 11 and lru.get("e") is None
    assert lru.get("d") == b"1234567"  # nothing was dropped for it
