"""KPI benchmarks by region x industry and a factory's rank among peers: small and dominated groups never
leave the engine, and an SME never sees another factory's value.

Five factories of five SMEs, each with one lathe running all day except a stop of ``DOWN_HOURS`` from noon:
availability (24 - d) / 24. P1-P3 are in Seoul (11), P4-P5 in Busan (26), all in C29. P5 reports its state
every minute, so it holds far more than half of the readings of any group it is in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from catalog.lake import READINGS_SCHEMA
from catalog.peers import disclosed, from_factory_buckets
from platform_api.app import create_app
from platform_api.demo_data import brn_with_checksum
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import LAKES, World, make_setup
from tests.catalog.test_kpis import DAY, MODELS

DOWN_HOURS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6}
REGION = {1: "11", 2: "11", 3: "11", 4: "26", 5: "26"}
RANGE = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=1)).isoformat()}


def availability(n: int) -> float:
    return 100 * (24 - DOWN_HOURS[n]) / 24


def factory_rows(n: int) -> list[dict[str, Any]]:
    points = [(DAY, "RUNNING"), (DAY + timedelta(hours=12), "STOPPED")]
    points.append((DAY + timedelta(hours=12 + DOWN_HOURS[n]), "RUNNING"))
    if n == 5:  # a chatty gateway: the running state again every minute of the morning
        points += [(DAY + timedelta(minutes=m), "RUNNING") for m in range(1, 12 * 60)]
    return [
        {
            "factory_id": f"factory-peer-{n}",
            "org_id": f"org-peer-{n}",
            "equipment_id": f"eq-{n}",
            "model_id": "kpi-lathe",
            "model_version": "1.0.0",
            "item_id": "execution",
            "ts": ts,
            "value_num": None,
            "value_text": value,
            "unit": None,
            "quality": "good",
            "batch_key": f"peer-{n}",
            "ingested_at": DAY + timedelta(days=1),
        }
        for ts, value in points
    ]


@pytest.fixture(scope="module", params=LAKES)
def peers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory: Path = tmp_path_factory.mktemp(f"peers-{request.param}")
    with (
        make_setup(request, request.param, directory) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        world = World(setup, client, 0)
        admin = world.headers("admin", org_id="org-operator")
        model = MODELS[0]
        assert client.post("/api/v1/standards", json=model, headers=admin).status_code == 201
        assert (
            client.post("/api/v1/standards/kpi-lathe/versions/1.0.0/publish", headers=admin).status_code
            == 200
        )
        for n in DOWN_HOURS:
            company = {
                "id": f"org-peer-{n}",
                "kind": "sme",
                "name": {"ko": f"피어{n}", "en": f"Peer {n}"},
                "business_registration_number": brn_with_checksum(f"{300 + n:03d}860001"),
                "region_code": REGION[n],
                "industry_code": "C29",
                "employees": 40 + n,
            }
            answer = client.post("/api/v1/companies", json=company, headers=admin)
            assert answer.status_code == 201, answer.text
        rows = [row for n in DOWN_HOURS for row in factory_rows(n)]
        setup.lake().readings().append(pa.Table.from_pylist(rows, schema=READINGS_SCHEMA))
        yield world


def test_benchmarks_publish_only_large_undominated_groups(peers: World) -> None:
    sme = peers.headers("sme", org_id="org-peer-1")
    answer = peers.get("/kpis/benchmarks", sme, kpi="availability", by=["region", "industry"], **RANGE)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["min_group_size"] == 3 and body["max_share"] == 0.5
    # Seoul x C29: P1-P3, published; Busan x C29: P4-P5, too small, suppressed
    assert [g["key"] for g in body["items"]] == [{"region": "11", "industry": "C29"}]
    group = body["items"][0]
    assert group["factories"] == 3 and group["readings"] == 9
    assert group["mean"] == pytest.approx(sum(availability(n) for n in (1, 2, 3)) / 3)
    assert group["median"] is None  # a quartile of 3 factories would be one factory's own value
    assert body["suppressed_groups"] == 1

    # all five in C29: enough factories, but P5 has most of the readings
    dominated = peers.get("/kpis/benchmarks", sme, kpi="availability", by=["industry"], **RANGE).json()
    assert dominated["items"] == [] and dominated["suppressed_groups"] == 1
    for value in (availability(4), availability(5)):
        assert f"{value:.4f}"[:6] not in answer.text + str(dominated)


def test_a_factory_sees_its_rank_never_its_peers_values(peers: World) -> None:
    sme1 = peers.headers("sme", org_id="org-peer-1")
    answer = peers.get(
        "/kpis/peers", sme1, factory_id="factory-peer-1", kpi="availability", peers=["region"], **RANGE
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["value"] == pytest.approx(availability(1))
    assert body["peer_group"] == {"region": "11"} and body["peers"] == 3 and not body["suppressed"]
    assert body["percentile_rank"] == 100.0  # both others stopped longer
    for n in (2, 3, 4, 5):
        assert f"{availability(n):.3f}" not in answer.text

    sme4 = peers.headers("sme", org_id="org-peer-4")
    small = peers.get("/kpis/peers", sme4, factory_id="factory-peer-4", kpi="mttr", peers=["region"], **RANGE)
    assert small.json() | {"value": None} == {
        "factory_id": "factory-peer-4",
        "kpi": "mttr",
        "unit": "h",
        "peer_group": {"region": "26"},
        "value": None,
        "peers": 2,
        "mean": None,
        "percentile_rank": None,
        "suppressed": True,
        "min_group_size": 3,
    }
    assert small.json()["value"] == pytest.approx(DOWN_HOURS[4])  # its own figure only

    everyone = peers.get("/kpis/peers", sme1, factory_id="factory-peer-1", kpi="availability", **RANGE).json()
    assert everyone["peer_group"] == {} and everyone["peers"] == 5  # no `peers`: all factories
    assert everyone["suppressed"] and everyone["percentile_rank"] is None  # P5 dominates the readings

    other = peers.get("/kpis/peers", sme1, factory_id="factory-peer-2", kpi="availability", **RANGE)
    assert other.status_code == 403
    public = peers.headers("public")
    assert peers.get("/kpis/benchmarks", public, kpi="oee", **RANGE).status_code == 403
    bad = peers.get("/kpis/benchmarks", sme1, kpi="oee", by=["colour"], **RANGE)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"].startswith("query.by")


def test_agency_staff_read_the_kpis_of_factories_in_their_regions(peers: World) -> None:
    issuer = state_of(peers.client.app).get(DEV_ISSUER)
    token = issuer.issue(subject="reviewer", roles=["agency"], org_id="org-agency", regions=["11"])
    agency = {"Authorization": f"Bearer {token}"}
    seoul = peers.get("/kpis", agency, factory_id="factory-peer-1", bucket="all", **RANGE)
    assert seoul.status_code == 200, seoul.text
    assert seoul.json()["items"][0]["values"]["availability"] == pytest.approx(availability(1))
    assert peers.get("/kpis", agency, factory_id="factory-peer-4", **RANGE).status_code == 403  # Busan
    assert peers.get("/readings", agency, factory_id="factory-peer-1").status_code == 403  # never raw rows


def test_reading_buckets_combine_factories_and_hide_small_groups() -> None:
    """Per-factory hourly-rollup statistics become one bucket each; a bucket of fewer than the minimum
    factories is counted, not shown."""
    rows = [
        {"factory_id": "f1", "bucket": "2025-11-01", "readings": 10, "mean": 2.0},
        {"factory_id": "f2", "bucket": "2025-11-01", "readings": 30, "mean": 6.0},
        {"factory_id": "f3", "bucket": "2025-11-01", "readings": 60, "mean": 1.0},
        {"factory_id": "f1", "bucket": "2025-11-02", "readings": 5, "mean": 4.0},
        {"factory_id": "f2", "bucket": "2025-11-02", "readings": 5, "mean": 8.0},
    ]
    combined = from_factory_buckets(reversed(rows))
    assert combined == [
        {"bucket": "2025-11-01", "factories": 3, "readings": 100, "mean": pytest.approx(2.6)},
        {"bucket": "2025-11-02", "factories": 2, "readings": 10, "mean": pytest.approx(6.0)},
    ]
    shown, suppressed = disclosed(combined, 3)
    assert [b["bucket"] for b in shown] == ["2025-11-01"] and suppressed == 1
    assert disclosed(combined, 2) == (combined, 0)
