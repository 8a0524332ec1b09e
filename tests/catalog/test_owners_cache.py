"""Which organisations a factory's readings carry: kept in the process's ``manifests`` cache (services.kit.
cache), within its byte budget, for at most a minute, and never kept while a factory has no data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from catalog.lake import READINGS_SCHEMA, Lake
from catalog.query import QueryEngine, owners_key
from services.kit.cache import Cache
from tests.catalog.conftest import make_setup

TS = datetime(2025, 11, 3, 9, tzinfo=UTC)


@pytest.fixture
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    with make_setup(request, "local", tmp_path) as setup:
        made = setup.lake()
        made.ensure_tables()
        yield made


def append(lake: Lake, factory_id: str, org_id: str) -> None:
    row: dict[str, Any] = {
        "factory_id": factory_id,
        "org_id": org_id,
        "equipment_id": "eq-1",
        "model_id": "cnc-lathe",
        "model_version": "1.0.0",
        "item_id": "spindle_speed",
        "ts": TS,
        "value_num": 1200.0,
        "value_text": None,
        "unit": "rpm",
        "quality": "good",
        "batch_key": f"{factory_id}/{org_id}/0",
        "ingested_at": TS,
    }
    lake.readings().append(pa.Table.from_pylist([row], schema=READINGS_SCHEMA))


def test_owners_are_kept_and_a_factory_without_data_is_asked_again(lake: Lake) -> None:
    append(lake, "factory-a", "org-sme-1")
    manifests: Cache[Any] = Cache("manifests", max_bytes=64 * 1024, ttl_s=3600)
    engine = QueryEngine(lake, manifests=manifests)

    assert engine.owners(["factory-a", "factory-b"]) == {
        "factory-a": frozenset({"org-sme-1"}),
        "factory-b": frozenset(),
    }
    assert manifests.get(owners_key(lake, "factory-a")) == frozenset({"org-sme-1"})
    assert manifests.get(owners_key(lake, "factory-b")) is None  # no data yet: nothing kept

    append(lake, "factory-a", "org-sme-2")  # a second owner's rows (a transferred factory)
    append(lake, "factory-b", "org-sme-3")
    assert engine.owners(["factory-a", "factory-b"]) == {
        "factory-a": frozenset({"org-sme-1"}),  # the kept answer, until it expires
        "factory-b": frozenset({"org-sme-3"}),
    }
    engine.close()


def test_kept_owners_expire(lake: Lake) -> None:
    append(lake, "factory-a", "org-sme-1")
    manifests: Cache[Any] = Cache("manifests", max_bytes=64 * 1024, ttl_s=0.3)
    engine = QueryEngine(lake, manifests=manifests)
    assert engine.owners(["factory-a"]) == {"factory-a": frozenset({"org-sme-1"})}
    append(lake, "factory-a", "org-sme-2")
    time.sleep(0.4)  # the cache's time to live, shorter than the minute owners are kept, bounds the entry
    assert engine.owners(["factory-a"]) == {"factory-a": frozenset({"org-sme-1", "org-sme-2"})}
    engine.close()


def test_the_kept_owners_stay_within_the_budget(lake: Lake) -> None:
    for n in range(40):
        append(lake, f"factory-{n:02d}", f"org-sme-{n:02d}")
    manifests: Cache[Any] = Cache("manifests", max_bytes=4 * 1024, ttl_s=3600)
    engine = QueryEngine(lake, manifests=manifests)
    factories = [f"factory-{n:02d}" for n in range(40)]
    answer = engine.owners(factories)
    assert answer["factory-00"] == frozenset({"org-sme-00"})
    assert answer["factory-39"] == frozenset({"org-sme-39"})
    stats = manifests.stats()
    assert stats.bytes <= 4 * 1024 and 0 < stats.entries < 40 and stats.evictions > 0
    engine.close()


def test_two_lakes_never_share_a_factorys_owners(
    lake: Lake, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    (tmp_path / "other").mkdir()
    with make_setup(request, "local", tmp_path / "other") as setup:
        other = setup.lake()
        assert owners_key(lake, "factory-a") != owners_key(other, "factory-a")
