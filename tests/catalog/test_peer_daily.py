"""The peer table (``peer_daily``) answers the rank and KPI benchmarks exactly as the readings do, holds the
classified figures worked out by hand, is recomputed when a closed day receives readings, and changes
nothing of what is disclosed.

The five factories of ``test_peers`` (one lathe each, running all day but for a stop of 1, 2, 3, 4 and 6
hours from noon; P1-P3 in Seoul, P4-P5 in Busan; P5's gateway repeats its state every minute of the
morning) on 2025-11-10.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyarrow as pa

from catalog.lake import READINGS_SCHEMA
from catalog.rollups import PEERS, closed_rollup, refresh
from tests.catalog.conftest import World
from tests.catalog.test_kpis import DAY
from tests.catalog.test_peers import RANGE, factory_rows, peers  # noqa: F401 (the world fixture)

CLOSED = (DAY + timedelta(days=2)).date()  # "today" for the refresh: 2025-11-10 and 11 are closed
UNTIL = (DAY + timedelta(days=1)).date()  # the end of RANGE


def _table_row(world: World, factory_id: str) -> dict[str, Any]:
    table = world.setup.lake().catalog.load_table(f"{world.setup.lake().config.namespace}.{PEERS.name}")
    rows = table.scan().to_arrow().to_pylist()
    (row,) = [r for r in rows if r["factory_id"] == factory_id and r["day"] == DAY.date()]
    return {k: v for k, v in row.items() if k not in ("day", "org_id", "model_id", "model_version")}


def _rank(world: World, org: str, factory_id: str, **params: Any) -> dict[str, Any]:
    answer = world.get("/kpis/peers", world.headers("sme", org_id=org), factory_id=factory_id, **params)
    assert answer.status_code == 200, answer.text
    return {k: answer.json()[k] for k in ("value", "peers", "mean", "percentile_rank", "suppressed")}


def test_the_peer_table_answers_as_the_readings_and_follows_late_readings(peers: World) -> None:  # noqa: F811
    lake = peers.setup.lake()
    seoul = {"kpi": "availability", "peers": ["region"], **RANGE}
    # availability: P1 23/24, P2 22/24, P3 21/24; the mean of the three is 22/24; both others stopped longer
    today = {"value": 95.833333, "peers": 3, "mean": 91.666667, "percentile_rank": 100.0, "suppressed": False}
    assert closed_rollup(lake, UNTIL, None, PEERS) is None  # no table yet: read from the readings
    assert _rank(peers, "org-peer-1", "factory-peer-1", **seoul) == today
    benchmarks = peers.get(
        "/kpis/benchmarks", peers.headers("sme", org_id="org-peer-1"), kpi="availability", **RANGE
    ).json()

    refresh(lake, today=CLOSED)
    assert closed_rollup(lake, UNTIL, None, PEERS) is not None
    # one row per equipment, item and day: RUNNING 00:00, STOPPED 12:00 (PackML: down), RUNNING 13:00
    assert _table_row(peers, "factory-peer-1") == {
        "factory_id": "factory-peer-1",
        "equipment_id": "eq-1",
        "item_id": "execution",
        "readings": 3,
        "increase": None,
        "total": None,
        "running_s": 82800.0,
        "idle_s": 0.0,
        "down_s": 3600.0,
        "down_onsets": 1,
        # the same values read as an alarm condition (not the item's role): none is a normal condition
        "alarm_s": 86400.0,
        "clear_s": 0.0,
        "alarm_onsets": 1,
    }
    assert _rank(peers, "org-peer-1", "factory-peer-1", **seoul) == today
    again = peers.get(
        "/kpis/benchmarks", peers.headers("sme", org_id="org-peer-1"), kpi="availability", **RANGE
    ).json()
    assert again == benchmarks
    assert [(g["key"], g["factories"], g["readings"], g["mean"]) for g in again["items"]] == [
        ({"region": "11", "industry": "C29"}, 3, 9, 91.666667)
    ]

    # a late file of the closed day: P1 also stopped 06:00-07:00, so 22/24 as P2 (a tie counts half)
    late = [
        row | {"ts": DAY + timedelta(hours=hour), "value_text": value, "batch_key": "peer-late"}
        for row in factory_rows(1)[:1]
        for hour, value in ((6, "STOPPED"), (7, "RUNNING"))
    ]
    lake.readings().append(pa.Table.from_pylist(late, schema=READINGS_SCHEMA))
    changed = {
        "value": 91.666667,
        "peers": 3,
        "mean": 90.277778,
        "percentile_rank": 75.0,
        "suppressed": False,
    }
    assert closed_rollup(lake, UNTIL, None, PEERS) is None  # behind the readings: they answer meanwhile
    assert _rank(peers, "org-peer-1", "factory-peer-1", **seoul) == changed
    refresh(lake, today=CLOSED)
    assert closed_rollup(lake, UNTIL, None, PEERS) is not None
    row = _table_row(peers, "factory-peer-1")
    assert (row["readings"], row["running_s"], row["down_s"], row["down_onsets"]) == (5, 79200.0, 7200.0, 2)
    assert _rank(peers, "org-peer-1", "factory-peer-1", **seoul) == changed


def test_the_peer_table_discloses_what_the_readings_did(peers: World) -> None:  # noqa: F811
    refresh(peers.setup.lake(), today=CLOSED)
    assert closed_rollup(peers.setup.lake(), UNTIL, None, PEERS) is not None
    # Busan: P4 and P5 only, fewer than the minimum of 3: the caller's own figure, nothing of the group
    busan = _rank(peers, "org-peer-4", "factory-peer-4", kpi="mttr", peers=["region"], **RANGE)
    assert busan == {"value": 4.0, "peers": 2, "mean": None, "percentile_rank": None, "suppressed": True}
    # all five: enough factories, but P5 holds most of the readings
    everyone = _rank(peers, "org-peer-1", "factory-peer-1", kpi="availability", **RANGE)
    assert everyone["peers"] == 5 and everyone["suppressed"] and everyone["mean"] is None
    dominated = peers.get(
        "/kpis/benchmarks",
        peers.headers("sme", org_id="org-peer-1"),
        kpi="availability",
        by=["industry"],
        **RANGE,
    ).json()
    assert dominated["items"] == [] and dominated["suppressed_groups"] == 1
    other = peers.get(
        "/kpis/peers",
        peers.headers("sme", org_id="org-peer-1"),
        factory_id="factory-peer-2",
        kpi="oee",
        **RANGE,
    )
    assert other.status_code == 403
