"""A lake aggregate is computed once per version of the readings (``catalog.lake_answers``): the same
question about the same snapshot is answered from the ``answers`` cache, and a commit to the readings makes
the next answer count what it added. The world is ``test_peers``'s (its own instance for this module)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from catalog.lake import READINGS_SCHEMA
from platform_api.demo_data import brn_with_checksum
from services.kit.app_state import state_of
from tests.catalog.conftest import World
from tests.catalog.test_peers import RANGE, factory_rows, peers

__all__ = ["peers"]  # the fixture, for this module


def hits(world: World) -> int:
    return state_of(world.client.app).caches.answers.stats().hits


def test_benchmarks_are_kept_per_readings_version(peers: World) -> None:
    admin = peers.headers("admin", org_id="org-operator")
    sixth = {
        "id": "org-peer-6",
        "kind": "sme",
        "name": {"ko": "피어6", "en": "Peer 6"},
        "business_registration_number": brn_with_checksum("306860001"),
        "region_code": "11",
        "industry_code": "C29",
        "employees": 46,
    }
    assert peers.client.post("/api/v1/companies", json=sixth, headers=admin).status_code == 201
    agency = peers.headers("agency", org_id="org-agency")
    ask = {"kpi": "availability", "by": ["region", "industry"], **RANGE}

    first = peers.get("/kpis/benchmarks", agency, **ask)
    assert first.status_code == 200, first.text
    seoul = first.json()["items"][0]
    # P1-P3 stopped 1, 2 and 3 hours of 24: (23 + 22 + 21) / 72
    assert (seoul["factories"], seoul["mean"]) == (3, pytest.approx(91.666667))
    before = hits(peers)
    again = peers.get("/kpis/benchmarks", peers.headers("admin", org_id="org-operator"), **ask)
    assert again.json() == first.json()
    assert hits(peers) == before + 1, "the same question of the same snapshot is not computed again"

    # A sixth Seoul factory, stopped an hour: a new snapshot of the readings, a new answer.
    rows = [
        row | {"factory_id": "factory-peer-6", "org_id": "org-peer-6", "equipment_id": "eq-6"}
        for row in factory_rows(1)
    ]
    peers.setup.lake().readings().append(pa.Table.from_pylist(rows, schema=READINGS_SCHEMA))
    after = peers.get("/kpis/benchmarks", agency, **ask).json()["items"][0]
    # (23 + 22 + 21 + 23) / 96
    assert (after["factories"], after["mean"]) == (4, pytest.approx(92.708333))
