"""The facet memo: an answer per key, served while the data's generation holds and not for too long."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

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


def test_one_recount_at_a_time_the_others_get_the_last_answer_or_wait() -> None:
    memo = Memo(max_age_s=0.05)
    memo.get("k", 1, lambda: "old")
    time.sleep(0.06)
    started, release = threading.Event(), threading.Event()
    recounts: list[int] = []

    def slow_recount() -> str:
        recounts.append(1)
        started.set()
        assert release.wait(5)
        return "new"

    owner = ThreadPoolExecutor(max_workers=1).submit(memo.get, "k", 1, slow_recount)
    assert started.wait(5)
    # Same data, only older than the memo's age: served at once, no second recount.
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: memo.get("k", 1, slow_recount), range(6)))
    assert answers == ["old"] * 6 and recounts == [1]
    # Data that changed: nothing stale is served; it waits for the recount, then counts its own generation.
    changed = ThreadPoolExecutor(max_workers=1).submit(memo.get, "k", 2, lambda: "changed")
    time.sleep(0.05)
    assert not changed.done()
    release.set()
    assert owner.result(5) == "new" and changed.result(5) == "changed"
    assert memo.get("k", 2, lambda: "never") == "changed"
