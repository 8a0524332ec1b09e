"""ISO 22400-2 KPIs and their export, against a data set computed by hand: known state changes and counts.

Equipment ``eq-a`` (model ``kpi-lathe``: execution state, part, reject and energy counters in kWh, ideal cycle
time 60 s) and ``eq-b`` (``kpi-compressor``: an alarm condition and an energy counter in Wh) of one factory,
measured over 2025-11-10 08:00-12:00 UTC (4 h). The expected figures below are worked out in the comments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from catalog import export_endpoints, kpis, rollups
from catalog.lake import READINGS_SCHEMA
from platform_api.app import create_app
from tests.catalog.conftest import LAKES, World, make_setup
from tests.factories import register_factory

FACTORY, ORG = "factory-kpi-1", "org-kpi-1"
DAY = datetime(2025, 11, 10, tzinfo=UTC)
H4 = {"from": "2025-11-10T08:00:00Z", "to": "2025-11-10T12:00:00Z"}


def at(hhmm: str, day: datetime = DAY) -> datetime:
    h, m = hhmm.split(":")
    return day + timedelta(hours=int(h), minutes=int(m))


def rows(
    equipment: str, model: str, item: str, points: list[tuple[str, Any]], day: datetime = DAY
) -> list[dict]:
    return [
        {
            "factory_id": FACTORY,
            "org_id": ORG,
            "equipment_id": equipment,
            "model_id": model,
            "model_version": "1.0.0",
            "item_id": item,
            "ts": at(t, day),
            "value_num": float(v) if not isinstance(v, str) else None,
            "value_text": v if isinstance(v, str) else None,
            "unit": None,
            "quality": "good",
            "batch_key": f"{FACTORY}/kpi/{equipment}/{item}",
            "ingested_at": day + timedelta(days=1),
        }
        for t, v in points
    ]


def hand_set(day: datetime = DAY) -> pa.Table:
    data = (
        # eq-a in [08:00, 12:00): running 30 min (carried in from 07:30), down 15, running 75, idle 30,
        # running 30, down 20, running 40 -> APT 175 min, ADET 30, ADOT 35, PBT 240; two onsets of down (FE 2)
        rows(
            "eq-a",
            "kpi-lathe",
            "execution",
            [
                ("07:30", "RUNNING"),
                ("08:30", "STOPPED"),
                ("08:45", "RUNNING"),
                ("10:00", "IDLE"),
                ("10:30", "RUNNING"),
                ("11:00", "ALARM"),
                ("11:20", "RUNNING"),
            ],
            day,
        )
        # parts 60 + 60 + 30 + 5 (reset to 0, then 5) + 15 = 170 = PQ; the 07:59 reading is the base
        + rows(
            "eq-a",
            "kpi-lathe",
            "parts",
            [("07:59", 1000), ("09:00", 1060), ("10:00", 1120), ("11:00", 1150), ("11:30", 5), ("11:59", 20)],
            day,
        )
        # rejects 4 + 3 = 7 = SQ; GQ = 163
        + rows("eq-a", "kpi-lathe", "rejects", [("07:59", 10), ("10:00", 14), ("11:59", 17)], day)
        # 40.5 kWh; the 12:00 reading is outside [08:00, 12:00)
        + rows("eq-a", "kpi-lathe", "energy", [("07:59", 500.0), ("11:59", 540.5), ("12:00", 900.0)], day)
        # eq-b alarms: out 60 min, in 30 (fault), out 30, in 20 (warning then fault: one onset), out 100
        # -> TBF 190 min, TTR 50 min, FE = 2
        + rows(
            "eq-b",
            "kpi-compressor",
            "condition",
            [
                ("07:00", "normal"),
                ("09:00", "fault"),
                ("09:30", "normal"),
                ("10:00", "warning"),
                ("10:10", "fault"),
                ("10:20", "normal"),
            ],
            day,
        )
        # 250 000 Wh = 250 kWh
        + rows("eq-b", "kpi-compressor", "energy", [("08:00", 1_000_000), ("11:00", 1_250_000)], day)
    )
    return pa.Table.from_pylist(data, schema=READINGS_SCHEMA)


A = 175 / 240
P = 60 * 170 / (175 * 60)
Q = 163 / 170
EXPECTED = {
    "availability": 100 * A,
    "performance": 100 * P,
    "quality": 100 * Q,
    "oee": 100 * A * P * Q,
    "defect_rate": 100 * 7 / 170,
    "throughput": 170 / 4,
    "energy_per_good_unit": (40.5 + 250) / 163,
    "mtbf": (175 + 190) * 60 / (3 + 3) / 3600,  # sum of TBF over sum of (FE + 1) per unit
    "mttr": (35 + 50) * 60 / (2 + 2) / 3600,
}


def _item(item_id: str, category: str, data_type: str, role: str, unit: str | None = None) -> dict[str, Any]:
    item = {
        "id": item_id,
        "name": {"ko": item_id, "en": item_id},
        "category": category,
        "data_type": data_type,
    }
    return item | {"role": role} | ({"unit": unit} if unit else {})


MODELS: list[dict[str, Any]] = [
    {
        "id": "kpi-lathe",
        "equipment_type": "KPI_LATHE",
        "name": {"ko": "선반", "en": "Lathe"},
        "version": "1.0.0",
        "ideal_cycle_time_s": 60.0,
        "items": [
            _item("execution", "EVENT", "string", "execution_state"),
            _item("parts", "EVENT", "int", "part_count", "count"),
            _item("rejects", "EVENT", "int", "reject_count", "count"),
            _item("energy", "SAMPLE", "float", "energy", "kWh"),
        ],
    },
    {
        "id": "kpi-compressor",
        "equipment_type": "KPI_COMPRESSOR",
        "name": {"ko": "압축기", "en": "Compressor"},
        "version": "1.0.0",
        "items": [
            _item("condition", "CONDITION", "string", "alarm"),
            _item("energy", "SAMPLE", "float", "energy", "Wh"),
        ],
    },
]


@dataclass
class KpiWorld(World):
    def measure(self, headers: dict[str, str], **body: Any) -> Any:
        return self.client.post("/api/v1/analytics/kpis/measure", json=body, headers=headers)


@pytest.fixture(scope="module", params=LAKES)
def kworld(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KpiWorld]:
    directory: Path = tmp_path_factory.mktemp(f"kpis-{request.param}")
    with (
        make_setup(request, request.param, directory) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        world = KpiWorld(setup, client, 0)
        admin = world.headers("admin", org_id="org-operator")
        for body in MODELS:
            assert client.post("/api/v1/standards", json=body, headers=admin).status_code == 201
            published = client.post(f"/api/v1/standards/{body['id']}/versions/1.0.0/publish", headers=admin)
            assert published.status_code == 200, published.text
        setup.lake().readings().append(hand_set(), snapshot_properties={"smartmfg.test": "1"})
        yield world


def _series(world: KpiWorld, headers: dict[str, str], **params: Any) -> Any:
    answer = world.get("/kpis", headers, factory_id=FACTORY, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_factory_kpis_equal_the_hand_computed_figures(kworld: KpiWorld) -> None:
    own = kworld.headers("sme", org_id=ORG)
    body = _series(kworld, own, bucket="all", **H4)
    assert len(body["items"]) == 1
    point = body["items"][0]
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
    assert body["units"]["oee"] == "%" and body["units"]["mtbf"] == "h"


def test_hourly_buckets_split_states_at_the_hour(kworld: KpiWorld) -> None:
    own = kworld.headers("sme", org_id=ORG)
    body = _series(kworld, own, bucket="hour", group_by="equipment", equipment_id="eq-a", **H4)
    availability = [p["values"]["availability"] for p in body["items"]]
    # 08h: running 30 + 15 of 60 min; 09h: running; 10h: idle 30, running 30; 11h: down 20, running 40
    assert availability == pytest.approx([75.0, 100.0, 50.0, 100 * 40 / 60])
    assert [p["inputs"]["pq"] for p in body["items"]] == [0, 60, 60, 50]
    assert {p["equipment_id"] for p in body["items"]} == {"eq-a"}


def test_ideal_cycle_time_is_overridable_per_equipment(kworld: KpiWorld) -> None:
    own = kworld.headers("sme", org_id=ORG)
    body = _series(kworld, own, bucket="all", equipment_id="eq-a", ideal_cycle_time_s=30, **H4)
    assert body["items"][0]["values"]["performance"] == pytest.approx(100 * 30 * 170 / 10500)
    refused = kworld.get("/kpis", own, factory_id=FACTORY, bucket="all", ideal_cycle_time_s=30, **H4)
    assert refused.status_code == 400
    assert refused.json()["fields"][0]["loc"] == "query.ideal_cycle_time_s"


def test_whole_past_days_are_read_from_the_daily_rollup(kworld: KpiWorld) -> None:
    rollups.refresh(kworld.setup.lake())
    own = kworld.headers("sme", org_id=ORG)
    day = {"from": "2025-11-10T00:00:00Z", "to": "2025-11-11T00:00:00Z"}
    body = _series(kworld, own, bucket="day", **day)
    assert body["source"] == "rollups"
    (point,) = body["items"]
    # eq-a from its first reading at 07:30 to midnight: running 60 + 75 + 30 + 760 min, idle 30, down 35
    assert point["values"]["availability"] == pytest.approx(100 * 925 / 990)
    assert point["inputs"]["pq"] == 170 and point["inputs"]["failures"] == 4
    assert point["inputs"]["energy_kwh"] == pytest.approx(40.5 + 359.5 + 250)  # the 12:00 reading counts now
    in_seoul = _series(kworld, own, bucket="day", tz="Asia/Seoul", **day)  # KST days: not whole UTC days
    assert in_seoul["source"] == "readings"
    assert body["snapshot_id"] == kworld.setup.lake().readings().current_snapshot().snapshot_id  # type: ignore[union-attr]

    # evidence over whole days still reads the readings: its snapshot id re-runs it
    days = {"start": "2025-11-10T00:00:00Z", "end": "2025-11-11T00:00:00Z"}
    first = kworld.measure(own, factory_id=FACTORY, kpi="availability", baseline=days, after=days).json()
    assert first["before"] == pytest.approx(100 * 925 / 990)
    again = kworld.measure(
        own,
        factory_id=FACTORY,
        kpi="availability",
        baseline=days,
        after=days,
        snapshot_id=first["snapshot_id"],
    )
    assert again.status_code == 200 and again.json() == first


def test_measure_is_repeatable_on_its_snapshot(kworld: KpiWorld) -> None:
    own = kworld.headers("sme", org_id=ORG)
    later = DAY + timedelta(days=7)
    baseline = {"start": "2025-11-10T17:00:00+09:00", "end": "2025-11-10T21:00:00+09:00"}  # = H4 in KST
    after = {"start": "2025-11-17T08:00:00Z", "end": "2025-11-17T12:00:00Z"}
    first = kworld.measure(own, factory_id=FACTORY, kpi="oee", baseline=baseline, after=after)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["kpi"] == "oee" and answer["unit"] == "%"
    assert answer["before"] == pytest.approx(EXPECTED["oee"]) and answer["after"] is None  # no data yet
    assert answer["readings_used"] == 21 and answer["rows_used"] == 27
    assert "kpi-lathe@1.0.0(ideal_cycle_time_s=60.0)" in answer["query"]

    kworld.setup.lake().readings().append(hand_set(later), snapshot_properties={"smartmfg.test": "2"})
    now = kworld.measure(own, factory_id=FACTORY, kpi="oee", baseline=baseline, after=after).json()
    assert now["after"] == pytest.approx(EXPECTED["oee"]) and now["snapshot_id"] != answer["snapshot_id"]
    again = kworld.measure(
        own, factory_id=FACTORY, kpi="oee", baseline=baseline, after=after, snapshot_id=answer["snapshot_id"]
    ).json()
    assert again == answer


def test_measure_checks_access_and_input(kworld: KpiWorld) -> None:
    periods = {
        "baseline": {"start": "2025-11-10T08:00:00Z", "end": "2025-11-10T12:00:00Z"},
        "after": {"start": "2025-11-17T08:00:00Z", "end": "2025-11-17T12:00:00Z"},
    }
    other = kworld.headers("sme", org_id="org-kpi-2")
    assert kworld.measure(other, factory_id=FACTORY, kpi="mttr", **periods).status_code == 403
    assert kworld.get("/kpis", other, factory_id=FACTORY, **H4).status_code == 403
    assert kworld.client.post("/api/v1/analytics/kpis/measure", json={}).status_code == 401
    admin = kworld.headers("admin", org_id="org-operator")
    assert kworld.measure(admin, factory_id=FACTORY, kpi="mttr", **periods).json()["before"] == pytest.approx(
        EXPECTED["mttr"]
    )
    backwards = {**periods, "after": {"start": "2025-11-17T12:00:00Z", "end": "2025-11-17T08:00:00Z"}}
    bad = kworld.measure(admin, factory_id=FACTORY, kpi="oee", **backwards)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"].startswith("body.after")
    unknown = kworld.measure(admin, factory_id=FACTORY, kpi="happiness", **periods)
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"] == "body.kpi"
    ancient = {**periods, "baseline": {"start": "0001-01-01T00:00:00Z", "end": "0001-01-02T00:00:00Z"}}
    refused = kworld.measure(admin, factory_id=FACTORY, kpi="oee", **ancient)
    assert refused.status_code == 422 and refused.json()["fields"][0]["loc"].startswith("body.baseline")
    far = {"from": "0001-01-01T00:00:00Z", "to": "9999-01-01T00:00:00Z"}
    for path in ("/kpis", "/kpis/benchmarks", "/export/kpis", "/export/readings"):
        answer = kworld.get(path, admin, factory_id=FACTORY, kpi="oee", bucket="hour", **far)
        assert answer.status_code == 400 and answer.json()["fields"][0]["loc"] == "query.from", path
    hourly = kworld.get(
        "/kpis",
        admin,
        factory_id=FACTORY,
        bucket="hour",
        **{"from": "2000-01-01T00:00:00Z"},
        to="2099-01-01T00:00:00Z",
    )
    assert hourly.status_code == 400 and hourly.json()["fields"][0]["loc"] == "query.bucket"
    gone = kworld.measure(admin, factory_id=FACTORY, kpi="oee", snapshot_id=12345, **periods)
    assert gone.status_code == 400 and gone.json()["fields"][0]["loc"] == "body.snapshot_id"


def test_readings_export_as_parquet_and_csv(kworld: KpiWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_endpoints, "BATCH_ROWS", 4)  # several batches, so several chunks
    own = kworld.headers("sme", org_id=ORG)
    whole = {"from": "2025-11-10T00:00:00Z", "to": "2025-11-11T00:00:00Z"}
    answer = kworld.get("/export/readings", own, factory_id=FACTORY, format="parquet", **whole)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    assert FACTORY in answer.headers["content-disposition"]
    table = pq.read_table(io.BytesIO(answer.content))
    expected = hand_set()
    assert table.num_rows == expected.num_rows
    assert table.column("ts").to_pylist() == sorted(expected.column("ts").to_pylist())
    assert pq.ParquetFile(io.BytesIO(answer.content)).metadata.num_row_groups > 1  # written batch by batch

    text = kworld.get("/export/readings", own, factory_id=FACTORY, format="csv", **whole)
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == expected.num_rows and rows[0]["factory_id"].strip('"') == FACTORY
    assert "org_id" not in rows[0]  # the same columns as /readings

    other = kworld.headers("sme", org_id="org-kpi-2")
    assert kworld.get("/export/readings", other, factory_id=FACTORY, **whole).status_code == 403
    long = {"from": "2020-01-01T00:00:00Z", "to": whole["to"]}
    too_long = kworld.get("/export/readings", own, factory_id=FACTORY, **long)
    assert too_long.status_code == 400 and too_long.json()["fields"][0]["loc"] == "query.to"


def test_kpis_export(kworld: KpiWorld) -> None:
    own = kworld.headers("sme", org_id=ORG)
    answer = kworld.get("/export/kpis", own, factory_id=FACTORY, bucket="hour", format="csv", **H4)
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 4
    assert [float(r["availability"]) for r in rows[:2]] == [75.0, 100.0]
    assert {"oee", "pbt_s", "apt_s", "pq"} <= set(rows[0])
    parquet = kworld.get("/export/kpis", own, factory_id=FACTORY, bucket="hour", format="parquet", **H4)
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 4


def test_kpis_per_line_sum_the_equipment_of_each_line(kworld: KpiWorld) -> None:
    # last in this module: it registers the factory (with lines) in the companies service
    admin = kworld.headers("admin", org_id="org-operator")
    equipment = [
        {"equipment_id": "eq-a", "model_id": "kpi-lathe", "model_version": "1.0.0", "line": "line-1"},
        {"equipment_id": "eq-b", "model_id": "kpi-compressor", "model_version": "1.0.0"},
    ]
    register_factory(kworld.client, admin, company_id=ORG, factory_id=FACTORY, equipment=equipment)
    own = kworld.headers("sme", org_id=ORG)
    lines = _series(kworld, own, bucket="all", group_by="line", **H4)["items"]
    units = {
        p["equipment_id"]: p for p in _series(kworld, own, bucket="all", group_by="equipment", **H4)["items"]
    }
    assert [(p["line"], p["equipment_id"]) for p in lines] == [(None, None), ("line-1", None)]
    for point, unit in zip(lines, (units["eq-b"], units["eq-a"]), strict=True):  # eq-b has no line
        assert (point["values"], point["inputs"]) == (unit["values"], unit["inputs"])
    assert lines[1]["values"]["oee"] == pytest.approx(EXPECTED["oee"], rel=1e-6)
    # a caller who may read the KPIs but not the factory's register cannot group by its lines
    other = kworld.headers("sme", org_id="org-kpi-2")
    assert kworld.get("/kpis", other, factory_id=FACTORY, group_by="line", **H4).status_code == 403


def test_month_buckets_start_on_each_local_first_of_the_month() -> None:
    # Korea keeps +09:00 all year: a month starts at 15:00 UTC the day before its 1st (February 2024: 29 days)
    seoul = kpis.buckets(
        datetime(2024, 1, 20, tzinfo=UTC), datetime(2024, 4, 10, tzinfo=UTC), "month", "Asia/Seoul"
    )
    assert seoul == [
        (datetime(2024, 1, 20, tzinfo=UTC), datetime(2024, 1, 31, 15, tzinfo=UTC)),
        (datetime(2024, 1, 31, 15, tzinfo=UTC), datetime(2024, 2, 29, 15, tzinfo=UTC)),
        (datetime(2024, 2, 29, 15, tzinfo=UTC), datetime(2024, 3, 31, 15, tzinfo=UTC)),
        (datetime(2024, 3, 31, 15, tzinfo=UTC), datetime(2024, 4, 10, tzinfo=UTC)),
    ]
    # Berlin moves to summer time on 30 March 2025: March starts at 23:00 UTC, April at 22:00 UTC.
    berlin = kpis.buckets(
        datetime(2025, 2, 28, 23, tzinfo=UTC), datetime(2025, 4, 30, 22, tzinfo=UTC), "month", "Europe/Berlin"
    )
    assert berlin == [
        (datetime(2025, 2, 28, 23, tzinfo=UTC), datetime(2025, 3, 31, 22, tzinfo=UTC)),
        (datetime(2025, 3, 31, 22, tzinfo=UTC), datetime(2025, 4, 30, 22, tzinfo=UTC)),
    ]
