"""The facet memo: an answer per key, served while the data's generation holds and not for too long."""

from __future__ import annotations

import time

from services.kit.facets import Memo


def test_an_answer_is_served_while_its_generation_holds() -> None:
    memo = Memo(size=2)
    computed: list[str] = []

    def answer(value: str) -> str:
        computed.append(value)
        return value

    assert memo.get("a", 1, lambda: answer("a1")) == "a1"
    assert memo.get("a", 1, lambda: answer("never")) == "a1", "same generation: kept"
    assert memo.get("a", 2, lambda: answer("a2")) == "a2", "a write moved the generation"
    memo.get("b", 2, lambda: answer("b2"))
    memo.get("c", 2, lambda: answer("c2"))  # the third key pushes out the least recently used
    assert memo.get("a", 2, lambda: answer("a2 again")) == "a2 again"
    assert computed == ["a1", "a2", "b2", "c2", "a2 again"]


def test_an_answer_is_not_served_after_its_time() -> None:
    memo = Memo(max_age_s=0.05)
    assert memo.get("k", 1, lambda: "first") == "first"
    time.sleep(0.06)
    assert memo.get("k", 1, lambda: "second") == "second"
