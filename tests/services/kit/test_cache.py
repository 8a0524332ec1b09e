"""The cache facility (services.kit.cache): bounded by bytes and by time, least recently used out first, one
computation per question at a time, and keys that two callers share only when they may see the same."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kit.cache import ADMIN, PUBLIC, Cache, Key, Viewer, approximate_size, viewer_of
from services.kit.principal import Principal, Role


def _key(name: str, version: int = 1) -> Key:
    return Key("test", PUBLIC, version, (name,))


def test_the_least_recently_used_entries_go_first_to_stay_within_the_bytes() -> None:
    entry = approximate_size(_key("a")) + approximate_size(b"x" * 100)  # every key here is as large
    cache: Cache[bytes] = Cache("t", max_bytes=3 * entry, ttl_s=60)
    for name in "abc":
        cache.put(_key(name), b"x" * 100)
    assert cache.get(_key("a")) == b"x" * 100  # used: "b" is now the least recent
    cache.put(_key("d"), b"x" * 100)
    assert [cache.get(_key(n)) is not None for n in "abcd"] == [True, False, True, True]
    stats = cache.stats()
    assert (stats.entries, stats.evictions, stats.bytes) == (3, 1, 3 * entry)
    assert (stats.hits, stats.misses) == (4, 1)


def test_a_value_larger_than_the_whole_budget_is_not_kept_and_drops_nothing() -> None:
    cache: Cache[bytes] = Cache("t", max_bytes=2000, ttl_s=60)
    cache.put(_key("small"), b"1")
    assert cache.put(_key("big"), b"x" * 5000) == b"x" * 5000
    assert cache.get(_key("big")) is None and cache.get(_key("small")) == b"1"
    assert cache.stats().evictions == 0


def test_sizes_count_what_a_value_holds() -> None:
    @dataclass
    class Doc:
        items: list[str]

    assert approximate_size(b"x" * 10_000) > 10_000
    assert approximate_size({"k": ["y" * 10_000]}) > 10_000
    assert approximate_size(Doc(["z" * 10_000, "w" * 10_000])) > 20_000


def test_an_entry_lives_at_most_its_time() -> None:
    cache: Cache[str] = Cache("t", max_bytes=100_000, ttl_s=0.05)
    cache.put(_key("a"), "cache's own time")
    cache.put(_key("b"), "shorter", ttl_s=0.01)
    cache.put(_key("c"), "not longer than the cache's", ttl_s=10)
    time.sleep(0.02)
    assert [cache.get(_key(n)) for n in "ab"] == ["cache's own time", None]
    time.sleep(0.04)
    assert [cache.get(_key(n)) for n in "ac"] == [None, None]
    assert cache.stats().bytes == 0


def test_an_answer_made_before_a_clear_is_not_stored_after_it() -> None:
    cache: Cache[str] = Cache("t", max_bytes=100_000, ttl_s=60)
    before = cache.epoch
    cache.clear()
    cache.put(_key("a"), "read before the write", epoch=before)
    cache.put(_key("b"), "read after", epoch=cache.epoch)
    assert (cache.get(_key("a")), cache.get(_key("b"))) == (None, "read after")


def test_a_memo_answer_is_served_while_its_version_holds_and_is_fresh() -> None:
    cache: Cache[str] = Cache("t", max_bytes=100_000, ttl_s=60)
    computed: list[str] = []

    def answer(value: str) -> str:
        computed.append(value)
        return value

    assert cache.memo(_key("a", 1), lambda: answer("a1"), fresh_s=60) == "a1"
    assert cache.memo(_key("a", 1), lambda: answer("never"), fresh_s=60) == "a1", "same version: kept"
    assert cache.memo(_key("a", 2), lambda: answer("a2"), fresh_s=60) == "a2", "a write moved the version"
    assert cache.memo(_key("a", 2), lambda: answer("a2 again"), fresh_s=0) == "a2 again", "too old"
    assert computed == ["a1", "a2", "a2 again"]


def test_one_recount_at_a_time_the_others_get_the_last_answer_or_wait() -> None:
    cache: Cache[str] = Cache("t", max_bytes=100_000, ttl_s=60)
    cache.memo(_key("k", 1), lambda: "old", fresh_s=0.05)
    time.sleep(0.06)
    started, release = threading.Event(), threading.Event()
    recounts: list[int] = []

    def slow_recount() -> str:
        recounts.append(1)
        started.set()
        assert release.wait(5)
        return "new"

    owner = ThreadPoolExecutor(max_workers=1).submit(cache.memo, _key("k", 1), slow_recount, fresh_s=0.05)
    assert started.wait(5)
    # Same data, only older than fresh: served at once, no second recount.
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: cache.memo(_key("k", 1), slow_recount, fresh_s=0.05), range(6)))
    assert answers == ["old"] * 6 and recounts == [1]
    # Data that changed: nothing stale is served; it waits for the recount, then counts its own version.
    changed = ThreadPoolExecutor(max_workers=1).submit(cache.memo, _key("k", 2), lambda: "changed", fresh_s=9)
    time.sleep(0.05)
    assert not changed.done()
    release.set()
    assert owner.result(5) == "new" and changed.result(5) == "changed"
    assert cache.memo(_key("k", 2), lambda: "never", fresh_s=9) == "changed"


def test_an_organisation_called_admin_or_public_is_neither_the_admins_nor_the_public() -> None:
    for org_id in ("admin", "public", "all", ""):
        sme = viewer_of(Principal(subject="u", roles=frozenset({Role.SME}), org_id=org_id))
        assert sme == Viewer("org", org_id, frozenset({"sme"}))
        assert sme not in (ADMIN, PUBLIC)
    assert viewer_of(None) == PUBLIC
    assert viewer_of(Principal(subject="a", roles=frozenset({Role.ADMIN}), org_id="org-x")) == ADMIN
    with pytest.raises(ValueError):
        Viewer("org")
    with pytest.raises(ValueError):
        Viewer("admin", org_id="admin")


# --- property: key equality implies equal visibility ------------------------------------------------------

ORGS = ("admin", "public", "all", "published", "", "org-a", "org-b")
REGIONS = ("11", "48")
FACTORIES = ("factory-a", "factory-b")
SUBJECTS = ("u1", "u2", "admin")


@dataclass(frozen=True)
class Item:
    """Something a service shows some callers: every rule a service applies today, written out."""

    owner: str
    published: bool
    region: str
    factory: str
    assigned: str  # the evaluator scoring it
    by_region: bool  # shown to whoever covers its region (regional centres), not only to reviewers


UNIVERSE = [
    Item(owner, published, region, factory, assigned, by_region)
    for owner in ORGS
    for published in (False, True)
    for region in REGIONS
    for factory in FACTORIES
    for assigned in SUBJECTS
    for by_region in (False, True)
]


def _sees(p: Principal | None, item: Item) -> bool:
    if item.published:
        return True
    if p is None:
        return False
    if "admin" in p.roles:
        return True
    people = bool(set(p.roles) - {"gateway", "public"})
    return (
        (people and p.org_id == item.owner)
        or ("agency" in p.roles and item.region in p.regions)
        or (item.by_region and item.region in p.regions)
        or ("gateway" in p.roles and p.factory_id == item.factory)
        or ("evaluator" in p.roles and p.subject == item.assigned)
    )


principals = st.one_of(
    st.none(),
    st.builds(
        Principal,
        subject=st.sampled_from(SUBJECTS),
        roles=st.frozensets(st.sampled_from(list(Role)), max_size=3),
        org_id=st.one_of(st.none(), st.sampled_from(ORGS), st.text(max_size=4)),
        factory_id=st.one_of(st.none(), st.sampled_from(FACTORIES)),
        regions=st.frozensets(st.sampled_from(REGIONS)),
    ),
)


def _kept_key(p: Principal | None) -> Key:
    return Key("any-kind", viewer_of(p), 7, ("the same question",))


@settings(max_examples=400, deadline=None)
@given(first=principals, second=principals)
def test_two_callers_share_a_kept_answer_only_when_they_see_the_same(
    first: Principal | None, second: Principal | None
) -> None:
    if _kept_key(first) == _kept_key(second):
        owned = [p.org_id for p in (first, second) if p is not None and p.org_id is not None]
        items = UNIVERSE + [Item(o, False, "11", "factory-a", "u1", False) for o in owned]
        assert [_sees(first, i) for i in items] == [_sees(second, i) for i in items]


@settings(max_examples=200, deadline=None)
@given(p=principals, data=st.data())
def test_callers_differing_in_one_grant_do_not_share(p: Principal | None, data: st.DataObject) -> None:
    """The previous property over near neighbours, where a collision would hide."""
    if p is None:
        return
    field = data.draw(st.sampled_from(["roles", "org_id", "regions", "factory_id", "subject"]))
    other_value = {
        "roles": st.frozensets(st.sampled_from(list(Role)), max_size=3),
        "org_id": st.one_of(st.none(), st.sampled_from(ORGS)),
        "regions": st.frozensets(st.sampled_from(REGIONS)),
        "factory_id": st.one_of(st.none(), st.sampled_from(FACTORIES)),
        "subject": st.sampled_from(SUBJECTS),
    }[field]
    changed: dict[str, Any] = {field: data.draw(other_value)}
    other = dataclasses.replace(p, **changed)
    items = UNIVERSE + [Item(o, False, "48", "factory-b", "u2", True) for o in (p.org_id, other.org_id) if o]
    if [_sees(p, i) for i in items] != [_sees(other, i) for i in items]:
        assert _kept_key(p) != _kept_key(other)
