"""A period of days in Korea (midnight KST is 15:00 UTC) is measured from the peer table for its whole UTC
days and from the readings for the 9 hours before the first and the 15 hours after the last, with the
figures a single pass over the readings gives: before the rollups exist, after, and while the peer table
is behind the readings (catalog.kpi_endpoints._peer_inputs).

Factory K1 (org-kst-1, one lathe of ``kpi-lathe``: execution state and a part counter, ideal cycle time
60 s) from 2025-11-09 12:00 to 11-11 20:00 UTC; factory K2 (org-kst-2) only on the morning of 11-11, so
the peer table never holds it. The period 2025-11-10 to 11-11 in Korea is [11-09 15:00, 11-11 15:00) UTC:
48 hours, of which 11-10 is the only whole UTC day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from catalog.lake import READINGS_SCHEMA
from catalog.lake_answers import answer_key
from catalog.rollups import PEERS, closed_rollup, refresh
from platform_api.app import create_app
from platform_api.demo_data import brn_with_checksum
from services.kit.app_state import state_of
from tests.catalog.conftest import LAKES, World, make_setup
from tests.catalog.test_kpis import MODELS
from tests.services.companies.test_regional_telemetry import staff

KST_DAYS = {"start": "2025-11-09T15:00:00Z", "to": "2025-11-11T15:00:00Z"}  # 11-10 and 11-11 in Korea
WITHIN_A_DAY = {"start": "2025-11-10T05:00:00Z", "to": "2025-11-10T08:00:00Z"}
UTC_DAY = {"start": "2025-11-10T00:00:00Z", "to": "2025-11-11T00:00:00Z"}
TODAY = date(2025, 11, 12)  # the refreshes' "today": 11-09, 10 and 11 are closed
KPIS = ("availability", "performance", "throughput", "mtbf", "mttr", "oee")


def _row(factory: int, item: str, ts: str, value: str | float) -> dict[str, Any]:
    return {
        "factory_id": f"factory-kst-{factory}",
        "org_id": f"org-kst-{factory}",
        "equipment_id": f"eq-{factory}",
        "model_id": "kpi-lathe",
        "model_version": "1.0.0",
        "item_id": item,
        "ts": datetime.fromisoformat(ts).replace(tzinfo=UTC),
        "value_num": value if isinstance(value, float) else None,
        "value_text": value if isinstance(value, str) else None,
        "unit": None,
        "quality": "good",
        "batch_key": f"kst-{factory}-{item}-{ts}",
        "ingested_at": datetime(2025, 11, 12, tzinfo=UTC),
    }


READINGS = [
    # K1's state: running but for STOPPED (PackML: down) 11-09 20:00-22:00, 11-10 06:00-07:00 and
    # 11-11 03:00-04:30: one stop in each part of the period
    *(
        _row(1, "execution", ts, value)
        for ts, value in (
            ("2025-11-09 12:00", "RUNNING"),
            ("2025-11-09 20:00", "STOPPED"),
            ("2025-11-09 22:00", "RUNNING"),
            ("2025-11-10 06:00", "STOPPED"),
            ("2025-11-10 07:00", "RUNNING"),
            ("2025-11-11 03:00", "STOPPED"),
            ("2025-11-11 04:30", "RUNNING"),
            ("2025-11-11 18:00", "STOPPED"),
        )
    ),
    # K1's parts: 100 before the period (the base), then +30, +70, +60 in it, +40 after it
    *(
        _row(1, "parts", ts, value)
        for ts, value in (
            ("2025-11-09 14:00", 100.0),
            ("2025-11-09 18:00", 130.0),
            ("2025-11-10 12:00", 200.0),
            ("2025-11-11 10:00", 260.0),
            ("2025-11-11 20:00", 300.0),
        )
    ),
    # K2: running 02:00-05:00, then stopped until the end of the period
    _row(2, "execution", "2025-11-11 02:00", "RUNNING"),
    _row(2, "execution", "2025-11-11 05:00", "STOPPED"),
]


@pytest.fixture(scope="module", params=LAKES)
def kst(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory: Path = tmp_path_factory.mktemp(f"kst-{request.param}")
    with (
        make_setup(request, request.param, directory) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        world = World(setup, client, 0)
        admin = world.headers("admin", org_id="org-operator")
        assert client.post("/api/v1/standards", json=MODELS[0], headers=admin).status_code == 201
        published = client.post("/api/v1/standards/kpi-lathe/versions/1.0.0/publish", headers=admin)
        assert published.status_code == 200, published.text
        for n in (1, 2):
            company = {
                "id": f"org-kst-{n}",
                "kind": "sme",
                "name": {"ko": f"한국시간{n}", "en": f"KST {n}"},
                "business_registration_number": brn_with_checksum(f"{400 + n:03d}860001"),
                "region_code": "11",
                "industry_code": "C29",
                "employees": 30,
            }
            assert client.post("/api/v1/companies", json=company, headers=admin).status_code == 201
        setup.lake().readings().append(pa.Table.from_pylist(READINGS, schema=READINGS_SCHEMA))
        yield world


def _refresh(world: World) -> None:
    """Rolled up; the kept answers dropped, since a refresh leaves the readings' version, their key, as it
    was (catalog.lake_answers): the next question is measured again, from the rollups if they answer."""
    refresh(world.setup.lake(), today=TODAY)
    state_of(world.client.app).caches.answers.clear()


def _figures(world: World, factory: int, period: dict[str, str]) -> dict[str, float | None]:
    """The factory's own KPIs over the period, as its rank among all factories answers them."""
    out = {}
    for kpi in KPIS:
        answer = world.get(
            "/kpis/peers",
            world.headers("sme", org_id=f"org-kst-{factory}"),
            factory_id=f"factory-kst-{factory}",
            kpi=kpi,
            **{"from": period["start"], "to": period["to"]},
        )
        assert answer.status_code == 200, answer.text
        out[kpi] = answer.json()["value"]
    return out


def _source(world: World, period: dict[str, str]) -> str:
    """Where the kept answer of every factory's inputs over the period was read: rollups or readings."""
    snapshot = world.setup.lake().readings().current_snapshot()
    assert snapshot is not None
    asked = (datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["to"]), False)
    key = answer_key("kpi-inputs", snapshot.snapshot_id, asked)
    kept = state_of(world.client.app).caches.answers.get(key)
    assert kept is not None, "asked just before"
    return str(kept[2])


# K1 over the Korean days: down 2 + 1 + 1.5 = 4.5 h of 48 in three stops, running 43.5 h; 160 parts.
# availability 43.5 / 48; performance 160 x 60 s / 43.5 h = 9,600 / 156,600 s; throughput 160 / 48 h;
# MTBF 43.5 h / (3 failures + 1); MTTR 4.5 h / 3; no good or reject count: no quality, no OEE
K1 = {
    "availability": 90.625,
    "performance": 6.130268,
    "throughput": 3.333333,
    "mtbf": 10.875,
    "mttr": 1.5,
    "oee": None,
}
# K2: running 3 h, then down 10 h until the period's end: 3 / 13; no counter; one failure
K2 = dict.fromkeys(KPIS) | {"availability": 23.076923, "mtbf": 1.5, "mttr": 10.0}
# 11-10 05:00-08:00: running (carried in from 11-09 22:00) 2 h, down 06:00-07:00
K1_WITHIN = {"availability": 66.666667, "performance": None, "throughput": None, "mtbf": 1.0, "mttr": 1.0}
# 11-10: down 06:00-07:00 only; 70 parts (the base of 130 carried in from 11-09)
K1_UTC_DAY = {"availability": 95.833333, "performance": 5.072464, "throughput": 2.916667, "mtbf": 11.5}


def test_korean_days_are_measured_as_one_pass_over_the_readings(kst: World) -> None:
    lake = kst.setup.lake()
    assert closed_rollup(lake, date(2025, 11, 11), None, PEERS) is None
    assert _figures(kst, 1, KST_DAYS) == K1
    assert _figures(kst, 2, KST_DAYS) == K2
    assert _source(kst, KST_DAYS) == "readings", "no peer table yet"

    _refresh(kst)
    assert closed_rollup(lake, date(2025, 11, 11), None, PEERS) is not None
    assert _figures(kst, 1, KST_DAYS) == K1, "11-10 from the peer table, 9 h and 15 h from the readings"
    assert _figures(kst, 2, KST_DAYS) == K2, "a factory of the last 15 hours only, its organisation found"
    assert _source(kst, KST_DAYS) == "rollups"

    within = _figures(kst, 1, WITHIN_A_DAY)
    assert {k: within[k] for k in K1_WITHIN} == K1_WITHIN
    assert _source(kst, WITHIN_A_DAY) == "readings", "no whole UTC day in the period"
    whole = _figures(kst, 1, UTC_DAY)
    assert {k: whole[k] for k in K1_UTC_DAY} == K1_UTC_DAY
    assert _source(kst, UTC_DAY) == "rollups"


def test_a_peer_table_behind_the_readings_leaves_the_period_to_them(kst: World) -> None:
    lake = kst.setup.lake()
    _refresh(kst)
    # a late stop of K1 on 11-10, 15:00-15:30: the whole day of the peer table is stale
    late = [
        _row(1, "execution", "2025-11-10 15:00", "STOPPED"),
        _row(1, "execution", "2025-11-10 15:30", "RUNNING"),
    ]
    lake.readings().append(pa.Table.from_pylist(late, schema=READINGS_SCHEMA))
    # down 5 h in four stops, running 43 h: 43 / 48; MTBF 43 / 5; MTTR 5 / 4; 160 x 60 / (43 x 3,600)
    changed = K1 | {"availability": 89.583333, "performance": 6.20155, "mtbf": 8.6, "mttr": 1.25}
    assert closed_rollup(lake, date(2025, 11, 11), None, PEERS) is None
    assert _figures(kst, 1, KST_DAYS) == changed
    assert _source(kst, KST_DAYS) == "readings"
    _refresh(kst)
    assert _figures(kst, 1, KST_DAYS) == changed
    assert _source(kst, KST_DAYS) == "rollups"
    assert _figures(kst, 2, KST_DAYS) == K2


def test_uploads_fall_in_the_month_of_korea_they_were_read_in(kst: World) -> None:
    """The monthly uploads count readings per quarter hour and put the quarters into months of ``tz``:
    the readings either side of midnight KST on 11-30 (15:00 UTC) fall in November and December."""
    agency = staff(kst, "11")
    months = {"region": "11", "from": "2025-11-01T00:00:00+09:00", "to": "2026-01-01T00:00:00+09:00"}

    def uploads() -> dict[str, dict[str, Any]]:
        answer = kst.get("/uploads", agency, **months)
        assert answer.status_code == 200, answer.text
        return {row["month"]: row for row in answer.json()["items"]}

    november = uploads()["2025-11"]
    assert (november["factories"], november["equipment"]) == (2, 2)  # K1's lathe, K2's
    edge = [
        _row(1, "parts", ts, value) | {"equipment_id": "eq-9"}
        for ts, value in (("2025-11-30 14:59", 1.0), ("2025-11-30 15:00", 2.0), ("2025-12-01 03:00", 3.0))
    ]
    kst.setup.lake().readings().append(pa.Table.from_pylist(edge, schema=READINGS_SCHEMA))
    after = uploads()
    assert after["2025-11"] == november | {"equipment": 3, "readings": november["readings"] + 1}
    assert after["2025-12"] == {
        "month": "2025-12",
        "region": "11",
        "factories": 1,
        "equipment": 1,
        "readings": 2,
    }
