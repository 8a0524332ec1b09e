"""One analytics API, two engines: DuckDB in the process and Trino (infra/trino) answer the same.

Two platforms share one metadata database and one lake: Iceberg tables on the real MinIO whose JDBC catalog
is the PostgreSQL database Trino's ``lake`` catalog reads (``smartmfg``, catalog name ``smartmfg``), in a
namespace of this module's own. One platform answers with DuckDB, the other with Trino
(``SMARTMFG_ANALYTICS_ENGINE=trino``); every answer of readings, series, benchmarks (with disclosure
control), exports, KPIs/OEE (from the readings and from the daily rollup, KPI benchmarks and peer ranks,
evidence, the KPI export) and the tenancy refusals is compared, at the same pinned snapshot. A few answers
are also checked against figures worked out by hand (tests/catalog/test_kpis.py's for the KPIs), so that two
engines agreeing on a wrong answer fail too.
"""

from __future__ import annotations

import io
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from catalog import rollups
from catalog.appends import OFFSETS_KEY
from catalog.lake import Lake, LakeConfig
from catalog.query import ReadingFilter
from catalog.runtime import ANALYTICS
from catalog.states import is_alarm_sql, state_class_sql
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.standards.roles import DOWN_STATES, NORMAL_CONDITIONS, RUNNING_STATES, is_alarm, state_class
from tests.catalog.conftest import FACTORIES, World, _remove_prefix, day_rows, make_setup, seed
from tests.catalog.test_kpis import EXPECTED, FACTORY, H4, MODELS, ORG, hand_set
from tests.infra.conftest import TRINO_PORT

pytestmark = pytest.mark.servers

# The catalog database Trino's `lake` catalog reads (infra/trino/server.sh).
TRINO_CATALOG_DB = "postgresql+psycopg://smartmfg:smartmfg@127.0.0.1:55432/smartmfg"
TRINO_URL = f"http://127.0.0.1:{TRINO_PORT}"
ALL_DAYS = {"from": "2025-11-01T00:00:00Z", "to": "2025-11-05T00:00:00Z"}
DAY2 = {"from": "2025-11-02T00:00:00Z", "to": "2025-11-03T00:00:00Z"}


@dataclass
class Pair:
    """The same request to the DuckDB platform and to the Trino platform."""

    duck: World
    trino: World

    def get(self, path: str, headers: dict[str, str] | None, **params: Any) -> tuple[Any, Any]:
        a = self.duck.get(path, headers, **params)
        b = self.trino.get(path, headers, **params)
        return a, b

    def same(self, path: str, headers: dict[str, str] | None, **params: Any) -> Any:
        """Both answers, which must be equal (status, and body up to float rounding); returns the body."""
        a, b = self.get(path, headers, **params)
        assert a.status_code == b.status_code, (path, a.text, b.text)
        body_a, body_b = _body(a), _body(b)
        assert_same(body_a, body_b, path)
        return body_a


def _body(answer: Any) -> Any:
    kind = answer.headers.get("content-type", "")
    if kind.startswith("application/json"):
        return answer.json()
    if "parquet" in kind or answer.content[:4] == b"PAR1":
        return pq.read_table(io.BytesIO(answer.content)).to_pylist()
    return answer.text


def assert_same(a: Any, b: Any, where: str) -> None:
    """Equal, floats to 1e-12 relative (the engines may sum in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), (where, sorted(a), sorted(b))
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


@pytest.fixture(scope="module")
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    run = uuid.uuid4().hex[:8]
    namespace, prefix = f"test_engines_{run}", f"test-engines-{run}"
    lake_values = {
        "catalog_url": TRINO_CATALOG_DB,
        "warehouse": f"s3://smartmfg-lake/{prefix}",
        "namespace": namespace,
    }
    directory: Path = tmp_path_factory.mktemp("engines")
    with make_setup(request, "minio", directory) as setup:
        # the same lake; no rollup refresher (its tables are not what is compared)
        duck_settings = setup.settings.replaced(lake=lake_values, analytics={"rollup_refresh_seconds": 0})
        trino_settings = duck_settings.replaced(
            analytics={"engine": "trino"}, trino={"url": TRINO_URL, "catalog": "lake"}
        )
        lake = Lake(LakeConfig.from_settings(duck_settings))
        try:
            with (
                TestClient(create_app(duck_settings)) as duck_client,
                TestClient(create_app(trino_settings)) as trino_client,
            ):
                lake.ensure_tables()
                commits = seed(lake)
                yield Pair(World(setup, duck_client, commits), World(setup, trino_client, commits))
        finally:
            for table in lake.catalog.list_tables(namespace):
                lake.catalog.drop_table(table)
            lake.catalog.drop_namespace(namespace)
            _remove_prefix(f"{prefix}/")


def test_the_trino_platform_answers_with_trino(pair: Pair) -> None:
    engines = [state_of(w.client.app).get(ANALYTICS).engine().engine.name for w in (pair.duck, pair.trino)]
    assert engines == ["duckdb", "trino"]


def test_readings_pages_are_the_same_and_cursors_cross_engines(pair: Pair) -> None:
    admin = pair.duck.headers("admin")
    first = pair.same("/readings", admin, factory_id="factory-sme-1-a", limit=7, **DAY2)
    assert [r["ts"][11:16] for r in first["items"]] == ["00:00"] * 6 + ["01:00"]
    assert [(r["equipment_id"], r["item_id"]) for r in first["items"]] == [
        ("eq-1", "execution"),
        ("eq-1", "force"),
        ("eq-1", "spindle_speed"),
        ("eq-2", "execution"),
        ("eq-2", "force"),
        ("eq-2", "spindle_speed"),
        ("eq-1", "force"),
    ]
    # Walk the listing: each next page read through the *other* engine's cursor, which is engine-free.
    items, cursor, pages = list(first["items"]), first["next_cursor"], 1
    while cursor:
        a, b = pair.get("/readings", admin, factory_id="factory-sme-1-a", limit=7, cursor=cursor, **DAY2)
        assert a.status_code == b.status_code == 200
        assert_same(a.json(), b.json(), f"page {pages}")
        items += a.json()["items"]
        cursor, pages = b.json()["next_cursor"], pages + 1
    # hours x (2 lathes x spindle speed + 2 presses) + every 6th hour 2 executions
    assert len(items) == 24 * 4 + 4 * 2 and pages == 15
    assert len({(r["ts"], r["equipment_id"], r["item_id"]) for r in items}) == len(items)


def test_a_pinned_snapshot_answers_the_same_after_new_commits(pair: Pair) -> None:
    admin = pair.duck.headers("admin")
    first = pair.same("/readings", admin, factory_id="factory-sme-2-a", limit=50)
    # A late commit (a day after the others' ranges): a listing that started before it does not see it,
    # on either engine, and reads the snapshot of its first page to the end.
    late = day_rows("factory-sme-2-a", datetime(2025, 11, 6, tzinfo=UTC)).slice(0, 10)
    lake = state_of(pair.duck.client.app).get(ANALYTICS).engine().lake
    lake.readings().append(late, snapshot_properties={OFFSETS_KEY: json.dumps({"0": 999})})
    rest = pair.same(
        "/readings", admin, factory_id="factory-sme-2-a", limit=1000, cursor=first["next_cursor"]
    )
    assert len(first["items"]) + len(rest["items"]) == 4 * (24 * 4 + 4 * 2)
    assert rest["scan"]["snapshot_id"] == first["scan"]["snapshot_id"]
    fresh = pair.same("/readings", admin, factory_id="factory-sme-2-a", limit=1000)
    assert len(fresh["items"]) == 4 * (24 * 4 + 4 * 2) + 10
    assert fresh["scan"]["snapshot_id"] != first["scan"]["snapshot_id"]


def test_series_are_the_same_in_every_bucket_and_zone(pair: Pair) -> None:
    sme1 = pair.duck.headers("sme", org_id="org-sme-1")
    # Every width in a zone half an hour off UTC (the hardest to bucket alike), per equipment; the
    # calendar widths in UTC and Seoul, per factory.
    cases = [(bucket, "Asia/Kolkata", "equipment") for bucket in ("1m", "5m", "15m", "1h", "6h", "1d", "7d")]
    cases += [(bucket, tz, "factory") for bucket in ("1h", "1d", "7d") for tz in ("UTC", "Asia/Seoul")]
    for bucket, tz, group_by in cases:
        body = pair.same(
            "/series", sme1, item_id="spindle_speed", bucket=bucket, tz=tz, group_by=group_by, **ALL_DAYS
        )
        assert body["items"], (bucket, tz, group_by)
    # Kolkata is UTC+05:30: its days and hours start at half past a UTC hour.
    days = pair.same("/series", sme1, item_id="spindle_speed", bucket="1d", tz="Asia/Kolkata", **ALL_DAYS)
    assert {p["bucket"] for p in days["items"]} == {
        "2025-10-31T18:30:00Z",
        "2025-11-01T18:30:00Z",
        "2025-11-02T18:30:00Z",
        "2025-11-03T18:30:00Z",
        "2025-11-04T18:30:00Z",
    }


def test_series_figures_worked_out_by_hand(pair: Pair) -> None:
    sme1 = pair.duck.headers("sme", org_id="org-sme-1")
    # A Seoul day starts at 15:00 UTC the day before and holds every hour's value once per lathe.
    day = pair.same(
        "/series",
        sme1,
        item_id="spindle_speed",
        factory_id=["factory-sme-1-a"],
        bucket="1d",
        tz="Asia/Seoul",
        **{"from": "2025-11-01T15:00:00Z", "to": "2025-11-02T15:00:00Z"},
    )
    assert [(p["bucket"], p["readings"]) for p in day["items"]] == [("2025-11-01T15:00:00Z", 48)]
    point = day["items"][0]
    assert (point["mean"], point["min"], point["max"], point["median"]) == (1011.5, 1000.0, 1023.0, 1011.5)
    # One lathe, six hours 1000..1005: median between the 3rd and 4th, p95 three quarters past the 5th.
    six = pair.same(
        "/series",
        sme1,
        item_id="spindle_speed",
        factory_id=["factory-sme-1-a"],
        equipment_id="eq-1",
        bucket="6h",
        group_by="equipment",
        **{"from": "2025-11-02T00:00:00Z", "to": "2025-11-02T06:00:00Z"},
    )
    assert [(p["median"], p["p95"]) for p in six["items"]] == [(1002.5, pytest.approx(1004.75))]


def test_benchmarks_show_and_suppress_the_same_groups(pair: Pair) -> None:
    vendor = pair.duck.headers("vendor", org_id="org-vendor-1")
    lathes = pair.same(
        "/benchmarks", vendor, model_id="cnc-lathe", item_id="spindle_speed", bucket="1d", **DAY2
    )
    assert lathes["suppressed_groups"] == 0
    # four factories x 48 values: 1000+h, 1100+h, 1200+h, 1300+h twice each
    (group,) = lathes["items"]
    assert (group["factories"], group["readings"], group["mean"], group["median"]) == (4, 192, 1161.5, 1161.5)
    assert group["p95"] == pytest.approx(1318.45)
    # only two factories run presses: below the minimum group size of 3 on both engines
    presses = pair.same("/benchmarks", vendor, model_id="press", item_id="force", bucket="1d", **ALL_DAYS)
    assert presses["items"] == [] and presses["suppressed_groups"] == 4
    for bucket in ("1h", "7d"):
        for tz in ("UTC", "Asia/Seoul"):
            pair.same(
                "/benchmarks",
                vendor,
                model_id="cnc-lathe",
                item_id="spindle_speed",
                bucket=bucket,
                tz=tz,
                **ALL_DAYS,
            )


def test_exports_are_the_same(pair: Pair) -> None:
    owner = pair.duck.headers("sme", org_id="org-sme-1")
    csv_text = pair.same("/export/readings", owner, factory_id="factory-sme-1-b", format="csv", **ALL_DAYS)
    assert csv_text.count("\n") == 1 + 4 * (24 * 2 + 4 * 2)
    rows = pair.same("/export/readings", owner, factory_id="factory-sme-1-b", format="parquet", **ALL_DAYS)
    assert len(rows) == 4 * (24 * 2 + 4 * 2)
    assert rows[0]["ts"] == datetime(2025, 11, 1, tzinfo=UTC)


def test_tenancy_is_enforced_the_same(pair: Pair) -> None:
    sme1 = pair.duck.headers("sme", org_id="org-sme-1")
    sme2 = pair.duck.headers("sme", org_id="org-sme-2")
    vendor = pair.duck.headers("vendor", org_id="org-vendor-1")
    gateway = pair.duck.headers("gateway", org_id="org-sme-1", factory_id="factory-sme-1-a")
    public = pair.duck.headers("public")
    refusals = [
        (sme2, "/readings", {"factory_id": "factory-sme-1-a", **DAY2}, 403),
        (sme2, "/series", {"item_id": "spindle_speed", "factory_id": ["factory-sme-1-b"], **DAY2}, 403),
        (vendor, "/readings", {"factory_id": "factory-sme-3-a", **DAY2}, 403),
        (gateway, "/readings", {"factory_id": "factory-sme-1-b", **DAY2}, 403),
        (public, "/readings", {"factory_id": "factory-sme-1-a", **DAY2}, 403),
        (sme1, "/export/readings", {"factory_id": "factory-sme-2-a", **DAY2}, 403),
        (public, "/benchmarks", {"model_id": "cnc-lathe", "item_id": "spindle_speed", **DAY2}, 403),
        (None, "/series", {"item_id": "spindle_speed", **DAY2}, 401),
    ]
    for headers, path, params, status in refusals:
        a, b = pair.get(path, headers, **params)
        assert (a.status_code, b.status_code) == (status, status), (path, a.text, b.text)
        assert a.json()["detail"] == b.json()["detail"]
    # Without naming factories, each caller's series covers its own factories only, on both engines.
    mine = pair.same("/series", sme1, item_id="spindle_speed", bucket="1d", **ALL_DAYS)
    assert {p["factory_id"] for p in mine["items"]} == {"factory-sme-1-a", "factory-sme-1-b"}
    gateways = pair.same("/series", gateway, item_id="spindle_speed", bucket="1d", **ALL_DAYS)
    assert {p["factory_id"] for p in gateways["items"]} == {"factory-sme-1-a"}
    assert set(FACTORIES) >= {p["factory_id"] for p in mine["items"]}


def test_an_unreachable_trino_is_a_503(pair: Pair) -> None:
    settings = pair.trino.setup.settings.replaced(
        lake=state_of(pair.trino.client.app).settings.lake.model_dump(),
        analytics={"rollup_refresh_seconds": 0, "engine": "trino"},
        trino={"url": "http://127.0.0.1:9", "catalog": "lake"},
    )
    with TestClient(create_app(settings)) as client:
        world = World(pair.trino.setup, client, 0)
        answer = world.get("/readings", world.headers("admin"), factory_id="factory-sme-1-a", **DAY2)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"


# -- KPIs/OEE --------------------------------------------------------------------------------------------
# test_kpis.py's hand-computed equipment (a lathe with states and counters, a compressor with an alarm), in
# three factories of three organisations over 2025-11-10: a week after the other tests' days.
KPI_FACTORIES = {FACTORY: ORG, "factory-kpi-2": "org-kpi-2", "factory-kpi-3": "org-kpi-3"}


@pytest.fixture(scope="module")
def kpi_lake(pair: Pair) -> None:
    admin = pair.duck.headers("admin", org_id="org-operator")
    for body in MODELS:  # one metadata database: both platforms' standards see them
        assert pair.duck.client.post("/api/v1/standards", json=body, headers=admin).status_code == 201
        published = pair.duck.client.post(
            f"/api/v1/standards/{body['id']}/versions/1.0.0/publish", headers=admin
        )
        assert published.status_code == 200, published.text
    table = state_of(pair.duck.client.app).get(ANALYTICS).engine().lake.readings()
    for offset, (factory_id, org_id) in enumerate(KPI_FACTORIES.items(), start=1000):
        rows = hand_set()
        for column, value in (("factory_id", factory_id), ("org_id", org_id)):
            index = rows.schema.get_field_index(column)
            rows = rows.set_column(index, rows.schema.field(index), pa.array([value] * rows.num_rows))
        table.append(rows, snapshot_properties={OFFSETS_KEY: json.dumps({"0": offset})})


def test_states_are_classified_as_the_standards_do(pair: Pair) -> None:
    names = sorted(RUNNING_STATES | DOWN_STATES | NORMAL_CONDITIONS)
    # case and surrounding whitespace (tab, newline, no-break and ideographic spaces) do not matter
    values = names + [n.lower() for n in names] + [f" \t{n.title()}\u3000\u00a0\n" for n in names]
    values += ["READY", "Setup", "warning", "fault", "RUN NING", "", "   ", "\u3000"]
    for world in (pair.duck, pair.trino):
        sql = state_of(world.client.app).get(ANALYTICS).engine().engine
        rows = sql.rows(
            f"SELECT v, {state_class_sql('v')} AS cls, {is_alarm_sql('v')} AS alarm "
            f"FROM ({sql.unnest([('v', 'varchar')])}) t",
            [values],
        )
        assert len(rows) == len(values)
        for row in rows:
            assert (row["cls"], row["alarm"]) == (state_class(row["v"]), is_alarm(row["v"])), (sql.name, row)
    assert state_class(" \tFeed_Hold\u3000\u00a0\n") == "down" and state_class("READY") == "idle"
    assert is_alarm("\u3000normal ") is False and is_alarm("") is True


def test_kpis_are_the_same_and_the_hand_computed_figures(pair: Pair, kpi_lake: None) -> None:
    own = pair.duck.headers("sme", org_id=ORG)
    whole = pair.same("/kpis", own, factory_id=FACTORY, bucket="all", **H4)
    assert whole["source"] == "readings"
    (point,) = whole["items"]
    for kpi, expected in EXPECTED.items():
        assert point["values"][kpi] == pytest.approx(expected, rel=1e-6), kpi
    inputs = point["inputs"]
    assert (inputs["pbt_s"], inputs["apt_s"], inputs["adet_s"], inputs["adot_s"]) == (
        14400,
        10500,
        1800,
        2100,
    )
    assert (inputs["pq"], inputs["gq"], inputs["sq"], inputs["failures"]) == (170, 163, 7, 4)
    # 08h: running 30 + 15 of 60 min; 09h: running; 10h: idle 30, running 30; 11h: down 20, running 40
    hourly = pair.same("/kpis", own, factory_id=FACTORY, bucket="hour", group_by="equipment", **H4)
    lathe = [p for p in hourly["items"] if p["equipment_id"] == "eq-a"]
    assert [p["values"]["availability"] for p in lathe] == pytest.approx([75.0, 100.0, 50.0, 100 * 40 / 60])
    assert [p["inputs"]["pq"] for p in lathe] == [0, 60, 60, 50]
    # calendar buckets in a zone, one equipment with its ideal cycle time overridden
    pair.same("/kpis", own, factory_id=FACTORY, bucket="day", tz="Asia/Seoul", **H4)
    faster = pair.same(
        "/kpis", own, factory_id=FACTORY, bucket="all", equipment_id="eq-a", ideal_cycle_time_s=30, **H4
    )
    assert faster["items"][0]["values"]["performance"] == pytest.approx(100 * 30 * 170 / 10500)
    # the most buckets a request may ask for (1,992 hours, each edge an element of an array parameter)
    weeks = {"from": "2025-09-01T00:00:00Z", "to": "2025-11-23T00:00:00Z"}
    many = pair.same("/kpis", own, factory_id=FACTORY, bucket="hour", **weeks)
    # from the compressor's first reading (07:00) on, the last states hold to the end of the range
    assert many["items"][0]["start"] == "2025-11-10T07:00:00Z" and len(many["items"]) == 17 + 12 * 24
    csv_text = pair.same("/export/kpis", own, factory_id=FACTORY, bucket="hour", format="csv", **H4)
    assert csv_text.count("\n") == 1 + 4
    # KPIs are refused alike to another organisation
    other = pair.duck.headers("sme", org_id="org-sme-1")
    a, b = pair.get("/kpis", other, factory_id=FACTORY, **H4)
    assert (a.status_code, b.status_code) == (403, 403) and a.json()["detail"] == b.json()["detail"]


def test_evidence_is_the_same_and_its_snapshot_crosses_engines(pair: Pair, kpi_lake: None) -> None:
    own = pair.duck.headers("sme", org_id=ORG)
    body = {
        "factory_id": FACTORY,
        "kpi": "oee",
        "baseline": {"start": "2025-11-10T17:00:00+09:00", "end": "2025-11-10T21:00:00+09:00"},  # H4 in KST
        "after": {"start": "2025-11-17T08:00:00Z", "end": "2025-11-17T12:00:00Z"},
    }
    answers = [
        w.client.post("/api/v1/analytics/kpis/measure", json=body, headers=own)
        for w in (pair.duck, pair.trino)
    ]
    assert [a.status_code for a in answers] == [200, 200], answers[1].text
    duck, trino = (a.json() for a in answers)
    assert_same(duck, trino, "/kpis/measure")
    assert duck["before"] == pytest.approx(EXPECTED["oee"]) and duck["after"] is None
    assert (duck["readings_used"], duck["rows_used"]) == (21, 27)
    # Trino re-runs the snapshot DuckDB answered from
    again = pair.trino.client.post(
        "/api/v1/analytics/kpis/measure", json=body | {"snapshot_id": duck["snapshot_id"]}, headers=own
    )
    assert again.status_code == 200 and again.json() == trino


def test_kpi_benchmarks_and_peer_ranks_are_the_same(pair: Pair, kpi_lake: None) -> None:
    vendor = pair.duck.headers("vendor", org_id="org-vendor-1")
    by_default = pair.same("/kpis/benchmarks", vendor, kpi="availability", **H4)
    # no factory is in the companies' register: one group without region or industry, of the three
    # factories' 21 readings each; quartiles only for groups of twice the minimum size
    assert by_default["suppressed_groups"] == 0
    (group,) = by_default["items"]
    assert (group["factories"], group["readings"], group["mean"], group["median"]) == (3, 63, 72.916667, None)
    # by model: only the lathe defines availability (14 of each factory's readings)
    by_model = pair.same("/kpis/benchmarks", vendor, kpi="oee", by=["model"], **H4)
    (lathes,) = by_model["items"]
    assert (lathes["key"], lathes["factories"], lathes["readings"]) == ({"model": "kpi-lathe"}, 3, 42)
    assert lathes["mean"] == pytest.approx(EXPECTED["oee"], abs=1e-6)
    # a week without readings: nothing published, on both
    empty = pair.same(
        "/kpis/benchmarks",
        vendor,
        kpi="oee",
        **{"from": "2025-11-17T00:00:00Z", "to": "2025-11-18T00:00:00Z"},
    )
    assert empty["items"] == [] and empty["suppressed_groups"] == 0
    own = pair.duck.headers("sme", org_id=ORG)
    peers = pair.same("/kpis/peers", own, factory_id=FACTORY, kpi="mttr", **H4)
    # two peers with the same value: each tie counts half
    assert (peers["peers"], peers["percentile_rank"], peers["suppressed"]) == (3, 50.0, False)
    assert peers["value"] == pytest.approx(EXPECTED["mttr"])


def test_kpis_from_the_daily_rollup_are_the_same(pair: Pair, kpi_lake: None) -> None:
    # last of the KPI tests: the rollups now exist, and whole past UTC days are read from item_daily
    rollups.refresh(state_of(pair.duck.client.app).get(ANALYTICS).engine().lake)
    own = pair.duck.headers("sme", org_id=ORG)
    day = {"from": "2025-11-10T00:00:00Z", "to": "2025-11-11T00:00:00Z"}
    body = pair.same("/kpis", own, factory_id=FACTORY, bucket="day", **day)
    assert body["source"] == "rollups"
    (point,) = body["items"]
    # eq-a from its first reading at 07:30 to midnight: running 60 + 75 + 30 + 760 min, idle 30, down 35
    assert point["values"]["availability"] == pytest.approx(100 * 925 / 990)
    assert point["inputs"]["pq"] == 170 and point["inputs"]["failures"] == 4
    assert point["inputs"]["energy_kwh"] == pytest.approx(40.5 + 359.5 + 250)
    vendor = pair.duck.headers("vendor", org_id="org-vendor-1")
    (group,) = pair.same("/kpis/benchmarks", vendor, kpi="availability", **day)["items"]
    assert (group["factories"], group["mean"]) == (3, round(100 * 925 / 990, 6))
    # whole days: the peer ranks read the peer table (peer_daily) on both engines; two peers tie with it
    peers = pair.same("/kpis/peers", own, factory_id=FACTORY, kpi="availability", **day)
    assert (peers["peers"], peers["percentile_rank"], peers["suppressed"]) == (3, 50.0, False)
    assert peers["value"] == pytest.approx(100 * 925 / 990)


def test_series_from_the_hourly_rollup_are_the_same(pair: Pair, kpi_lake: None) -> None:
    # after the daily rollup's test: rollups current, so whole-hour buckets with stats=basic read item_hours
    rollups.refresh(state_of(pair.duck.client.app).get(ANALYTICS).engine().lake)
    sme1 = pair.duck.headers("sme", org_id="org-sme-1")
    for bucket, tz in (("1h", "UTC"), ("6h", "Asia/Seoul"), ("1d", "Asia/Seoul"), ("7d", "UTC")):
        body = pair.same(
            "/series", sme1, item_id="spindle_speed", bucket=bucket, tz=tz, stats="basic", **ALL_DAYS
        )
        assert body["source"] == "rollups" and body["items"], (bucket, tz)
    day = pair.same(
        "/series",
        sme1,
        item_id="spindle_speed",
        factory_id="factory-sme-1-a",
        bucket="1d",
        stats="basic",
        **DAY2,
    )
    # two lathes, hours 0-23: 1000 + hour rpm
    assert [(p["bucket"], p["readings"], p["mean"], p["min"], p["max"]) for p in day["items"]] == [
        ("2025-11-02T00:00:00Z", 48, 1011.5, 1000.0, 1023.0)
    ]


def test_benchmarks_from_the_peer_table_are_the_same(pair: Pair, kpi_lake: None) -> None:
    # rollups current: whole UTC days with stats=basic read the peer table (peer_daily), on both engines
    engine = state_of(pair.duck.client.app).get(ANALYTICS).engine()
    rollups.refresh(engine.lake)
    flt = ReadingFilter(
        model_id="cnc-lathe",
        item_ids=("spindle_speed",),
        start=datetime(2025, 11, 2, tzinfo=UTC),
        end=datetime(2025, 11, 3, tzinfo=UTC),
    )
    found = rollups.daily_benchmark(engine, flt)
    assert found is not None, "the peer table does not hold 2025-11-02"
    # four factories x 48 values: 1000+h, 1100+h, 1200+h, 1300+h twice each (as from the readings)
    assert [(r["factories"], r["readings"], r["mean"]) for r in found[0]] == [(4, 192, 1161.5)]
    vendor = pair.duck.headers("vendor", org_id="org-vendor-1")
    lathes = pair.same(
        "/benchmarks", vendor, model_id="cnc-lathe", item_id="spindle_speed", stats="basic", **DAY2
    )
    assert lathes["source"] == "rollups" and lathes["suppressed_groups"] == 0
    assert [(g["bucket"], g["factories"], g["readings"], g["mean"]) for g in lathes["items"]] == [
        ("2025-11-02T00:00:00Z", 4, 192, 1161.5)
    ]
    # two factories run presses: below the minimum group size of 3, from the peer table as from the readings
    presses = pair.same("/benchmarks", vendor, model_id="press", item_id="force", stats="basic", **ALL_DAYS)
    assert presses["items"] == [] and presses["suppressed_groups"] == 4
