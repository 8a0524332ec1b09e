"""The analytics API over a seeded lake (MinIO + PostgreSQL, and the local embedded lake): pruning, results
checked against the generated data, pagination, series, benchmarks, tables, errors and the OpenAPI doc."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from catalog import rollups
from catalog.appends import OFFSETS_KEY
from catalog.lake import READINGS_SCHEMA
from platform_api.app import create_app
from tests.catalog.conftest import DAYS, FACTORIES, LAKES, World, day_rows, make_setup, spindle

ADMIN = ("admin",)
DAY2 = {"from": "2025-11-02T09:00:00+09:00", "to": "2025-11-03T09:00:00+09:00"}  # 2 Nov in UTC, given in KST
ALL_DAYS = {"from": "2025-11-01T00:00:00Z", "to": "2025-11-05T00:00:00Z"}


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    ts = row["ts"] if isinstance(row["ts"], datetime) else datetime.fromisoformat(row["ts"])
    return (ts.astimezone(UTC), row["equipment_id"], row["item_id"], row["value_num"], row["value_text"])


def test_a_narrow_filter_reads_one_file_of_many(world: World) -> None:
    admin = world.headers(*ADMIN, org_id="org-operator")
    answer = world.get(
        "/readings", admin, factory_id="factory-sme-1-a", model_id="cnc-lathe", limit=1000, **DAY2
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = [r for r in day_rows("factory-sme-1-a", DAYS[1]).to_pylist() if r["model_id"] == "cnc-lathe"]
    assert sorted(map(_key, body["items"])) == sorted(map(_key, expected))
    assert body["next_cursor"] is None
    # 4 days x (4 lathe factories + 2 press factories) = 24 files; the day and model partition leave 4, the
    # factory_id statistics of each file leave 1.
    assert body["scan"]["files_total"] == 24
    assert body["scan"]["files_scanned"] == 1
    assert body["scan"]["rows_in_scanned_files"] == len(expected)

    whole = world.get("/readings", admin, factory_id="factory-sme-1-a", limit=1).json()["scan"]
    assert whole["files_scanned"] == 8  # its lathe and press files of 4 days: statistics pruning alone


def test_filters_by_item_and_equipment(world: World) -> None:
    admin = world.headers(*ADMIN, org_id="org-operator")
    answer = world.get(
        "/readings", admin, factory_id="factory-sme-2-a", item_id=["execution"], equipment_id="eq-2", **DAY2
    ).json()
    assert [(r["item_id"], r["equipment_id"], r["value_text"]) for r in answer["items"]] == [
        ("execution", "eq-2", "RUNNING")
    ] * 4
    assert [r["ts"][11:16] for r in answer["items"]] == ["00:00", "06:00", "12:00", "18:00"]


def test_pages_walk_every_row_once_in_order(world: World) -> None:
    admin = world.headers(*ADMIN, org_id="org-operator")
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        params = {"factory_id": "factory-sme-3-a", "model_id": "cnc-lathe", "limit": 10, **DAY2}
        page = world.get("/readings", admin, **params, **({"cursor": cursor} if cursor else {})).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 56 and len({_key(r) for r in seen}) == 56
    order = [(r["ts"], r["equipment_id"], r["item_id"]) for r in seen]
    assert order == sorted(order)


@pytest.fixture(params=LAKES)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with (
        make_setup(request, request.param, tmp_path) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        yield World(setup, client, 0)


def test_pages_read_the_snapshot_of_the_first_page(fresh: World) -> None:
    table = fresh.setup.lake().readings()
    rows = day_rows("factory-sme-1-a", DAYS[0]).slice(0, 30)
    table.append(rows, snapshot_properties={OFFSETS_KEY: json.dumps({"0": 1})})
    admin = fresh.headers(*ADMIN, org_id="org-operator")
    first = fresh.get("/readings", admin, factory_id="factory-sme-1-a", limit=10).json()
    later = day_rows("factory-sme-1-a", DAYS[0]).slice(30, 30)
    table.append(later, snapshot_properties={OFFSETS_KEY: json.dumps({"0": 2})})
    items, cursor = first["items"], first["next_cursor"]
    while cursor:
        page = fresh.get("/readings", admin, factory_id="factory-sme-1-a", limit=10, cursor=cursor).json()
        assert page["scan"]["snapshot_id"] == first["scan"]["snapshot_id"]
        items, cursor = items + page["items"], page["next_cursor"]
    assert len(items) == 30  # the rows committed meanwhile are not in this listing
    again = fresh.get("/readings", admin, factory_id="factory-sme-1-a", limit=1000).json()
    assert len(again["items"]) == 60 and again["scan"]["files_total"] == 4  # 2 commits x 2 models


def test_empty_lake_answers_empty(fresh: World) -> None:
    admin = fresh.headers(*ADMIN, org_id="org-operator")
    body = fresh.get("/readings", admin, factory_id="factory-sme-1-a").json()
    assert body == {
        "items": [],
        "next_cursor": None,
        "scan": {
            "snapshot_id": None,
            "files_scanned": 0,
            "files_total": 0,
            "bytes_scanned": 0,
            "rows_in_scanned_files": 0,
        },
    }
    bench = fresh.get("/benchmarks", admin, model_id="cnc-lathe", item_id="spindle_speed", **ALL_DAYS).json()
    assert bench["items"] == [] and bench["suppressed_groups"] == 0


def test_series_of_the_callers_own_factories(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    answer = world.get(
        "/series", sme1, item_id="spindle_speed", model_id="cnc-lathe", bucket="1d", **ALL_DAYS
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {p["factory_id"] for p in body["items"]} == {"factory-sme-1-a", "factory-sme-1-b"}
    assert len(body["items"]) == 8
    for point in body["items"]:
        values = [spindle(point["factory_id"], h) for h in range(24)] * 2
        assert point["readings"] == 48
        assert point["mean"] == pytest.approx(statistics.mean(values))
        assert (point["min"], point["max"]) == (min(values), max(values))
        assert point["median"] == pytest.approx(float(np.percentile(values, 50)))
        assert point["p95"] == pytest.approx(float(np.percentile(values, 95)))
    assert body["scan"]["files_scanned"] == 8  # org_id statistics: only org-sme-1's lathe files

    seoul = world.get(
        "/series",
        sme1,
        item_id="spindle_speed",
        factory_id=["factory-sme-1-b"],
        bucket="1d",
        tz="Asia/Seoul",
        **ALL_DAYS,
    ).json()
    assert [p["bucket"] for p in seoul["items"]][:2] == ["2025-10-31T15:00:00Z", "2025-11-01T15:00:00Z"]
    assert sum(p["readings"] for p in seoul["items"]) == 4 * 48

    by_equipment = world.get(
        "/series",
        sme1,
        item_id="spindle_speed",
        factory_id=["factory-sme-1-a"],
        bucket="6h",
        group_by="equipment",
        **DAY2,
    ).json()
    assert {(p["equipment_id"], p["readings"]) for p in by_equipment["items"]} == {("eq-1", 6), ("eq-2", 6)}
    assert len(by_equipment["items"]) == 8


def test_basic_series_read_the_hourly_rollup_where_it_answers(world: World) -> None:
    rollups.refresh(world.setup.lake())
    sme1 = world.headers("sme", org_id="org-sme-1")
    for params in (
        {"bucket": "1d", "tz": "Asia/Seoul", **ALL_DAYS},
        {"bucket": "6h", "group_by": "equipment", "factory_id": ["factory-sme-1-a"], **DAY2},
        {"bucket": "1h", "model_id": "cnc-lathe", **DAY2},
    ):
        full = world.get("/series", sme1, item_id="spindle_speed", **params).json()
        basic = world.get("/series", sme1, item_id="spindle_speed", stats="basic", **params).json()
        assert (full["source"], basic["source"]) == ("readings", "rollups"), params
        assert len(basic["items"]) == len(full["items"]) > 0
        for mine, theirs in zip(basic["items"], full["items"], strict=True):
            assert mine["median"] is None and mine["p95"] is None
            keys = ("factory_id", "equipment_id", "bucket", "readings", "min", "max")
            assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}
            assert mine["mean"] == pytest.approx(theirs["mean"])
        assert {p["factory_id"] for p in basic["items"]} <= {"factory-sme-1-a", "factory-sme-1-b"}
    # days of a +05:30 zone are not whole UTC hours: the readings answer, still without quantiles
    india = world.get(
        "/series", sme1, item_id="spindle_speed", stats="basic", bucket="1d", tz="Asia/Kolkata", **ALL_DAYS
    ).json()
    assert india["source"] == "readings" and india["items"] and india["items"][0]["p95"] is None


def test_benchmarks_show_only_groups_of_enough_factories(world: World) -> None:
    sme2 = world.headers("sme", org_id="org-sme-2")
    answer = world.get("/benchmarks", sme2, model_id="cnc-lathe", item_id="spindle_speed", **ALL_DAYS)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["min_group_size"] == 3 and body["suppressed_groups"] == 0
    values = [spindle(f, h) for f in FACTORIES for h in range(24)] * 2
    assert [p["bucket"] for p in body["items"]] == [f"2025-11-0{d}T00:00:00Z" for d in (1, 2, 3, 4)]
    for point in body["items"]:
        assert set(point) == {
            "bucket",
            "factories",
            "readings",
            "mean",
            "median",
            "p95",
        }  # no rows, no extremes
        assert (point["factories"], point["readings"]) == (4, 192)
        assert point["median"] == pytest.approx(float(np.percentile(values, 50)))
        assert point["p95"] == pytest.approx(float(np.percentile(values, 95)))
    # Two factories run presses: every day's group is below 3 factories, counted but not shown.
    press = world.get("/benchmarks", sme2, model_id="press", item_id="force", **ALL_DAYS).json()
    assert press["items"] == [] and press["suppressed_groups"] == 4
    assert press["scan"]["files_scanned"] == 8


def test_basic_benchmarks_read_the_hourly_rollup_and_keep_the_disclosure_rule(world: World) -> None:
    rollups.refresh(world.setup.lake())
    sme2 = world.headers("sme", org_id="org-sme-2")
    lathe = {"model_id": "cnc-lathe", "item_id": "spindle_speed", **ALL_DAYS}
    basic = world.get("/benchmarks", sme2, stats="basic", **lathe).json()
    assert (basic["stats"], basic["source"], basic["suppressed_groups"]) == ("basic", "rollups", 0)
    # four factories of 48 readings a day: 1000 + 100 x (0..3) + hour (0..23), a mean of 1161.5
    assert basic["items"] == [
        {
            "bucket": f"2025-11-0{d}T00:00:00Z",
            "factories": 4,
            "readings": 192,
            "mean": 1161.5,
            "median": None,
            "p95": None,
        }
        for d in (1, 2, 3, 4)
    ]
    # whole UTC days read the peer table; days of Seoul (+09:00, whole hours) combine the hourly rollup's rows
    seoul = world.get("/benchmarks", sme2, stats="basic", tz="Asia/Seoul", **lathe).json()
    assert seoul["source"] == "rollups"
    assert [(b["bucket"], b["factories"]) for b in seoul["items"]][:2] == [
        ("2025-10-31T15:00:00Z", 4),
        ("2025-11-01T15:00:00Z", 4),
    ]
    full = world.get("/benchmarks", sme2, **lathe).json()
    assert full["source"] == "readings" and full["items"][0]["mean"] == 1161.5
    assert full["items"][0]["median"] == 1161.5
    # two press factories: still below the minimum of 3 on the rollup path, counted and never shown
    press = world.get(
        "/benchmarks", sme2, model_id="press", item_id="force", stats="basic", **ALL_DAYS
    ).json()
    assert (press["source"], press["items"], press["suppressed_groups"]) == ("rollups", [], 4)
    # days of a +05:30 zone are not whole UTC hours: the readings answer, without quantiles
    india = world.get("/benchmarks", sme2, stats="basic", tz="Asia/Kolkata", **lathe).json()
    assert india["source"] == "readings" and india["items"][0]["p95"] is None


def test_tables_report_files_rows_and_offsets(world: World) -> None:
    answer = world.get("/tables", world.headers(*ADMIN, org_id="org-operator"))
    assert answer.status_code == 200, answer.text
    readings, dead = answer.json()["items"]
    assert readings["table"] == "telemetry.readings"
    assert readings["snapshots"] == world.commits == 16
    assert readings["data_files"] == 24
    assert readings["records"] == sum(day_rows(f, d).num_rows for f in FACTORIES for d in DAYS)
    assert readings["bus_offsets"] == {"0": 16}
    assert readings["last_operation"] == "append"
    assert readings["partitioning"] == ["ts_day=day", "model_id=identity"]
    assert dead["table"] == "telemetry.dead_letters" and dead["snapshots"] == 0
    assert world.get("/tables", world.headers("sme", org_id="org-sme-1")).status_code == 403


@pytest.mark.parametrize(
    ("path", "params", "status", "loc"),
    [
        (
            "/readings",
            {"factory_id": "factory-sme-1-a", "from": "2025-11-02T00:00:00Z", "to": "2025-11-01T00:00:00Z"},
            400,
            "query.to",
        ),
        ("/readings", {"factory_id": "Factory A"}, 422, "query.factory_id"),
        ("/readings", {"factory_id": "factory-sme-1-a", "limit": 1001}, 422, "query.limit"),
        ("/readings", {"factory_id": "factory-sme-1-a", "cursor": "bm90LWEtY3Vyc29y"}, 400, "query.cursor"),
        ("/readings", {"factory_id": "factory-sme-1-a", "from": "2025-11-02T00:00:00"}, 422, "query.from"),
        (
            "/readings",
            {"factory_id": "factory-sme-1-a", "item_id": ["ok", "Bad Item"]},
            422,
            "query.item_id[1]",
        ),
        ("/series", {"item_id": "spindle_speed", **ALL_DAYS, "tz": "Mars/Olympus"}, 422, "query.tz"),
        (
            "/series",
            {
                "item_id": "spindle_speed",
                "from": "2020-01-01T00:00:00Z",
                "to": "2025-01-01T00:00:00Z",
                "bucket": "1m",
            },
            400,
            "query.bucket",
        ),
        ("/series", {"item_id": "spindle_speed", "to": "2025-01-01T00:00:00Z"}, 422, "query.from"),
        (
            "/benchmarks",
            {"model_id": "cnc-lathe", "item_id": "spindle_speed", **ALL_DAYS, "bucket": "2d"},
            422,
            "query.bucket",
        ),
    ],
)
def test_bad_parameters_name_the_field(
    world: World, path: str, params: dict[str, Any], status: int, loc: str
) -> None:
    answer = world.get(path, world.headers(*ADMIN, org_id="org-operator"), **params)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == ("BadRequest" if status == 400 else "ValidationFailed")
    assert loc in [f["loc"] for f in body["fields"]], body


def test_every_route_is_documented_with_examples(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    ours = {p: ops.get("get") or ops["post"] for p, ops in paths.items() if p.startswith("/api/v1/analytics")}
    names = (
        "readings",
        "series",
        "benchmarks",
        "tables",
        "kpis",
        "kpis/measure",
        "kpis/benchmarks",
        "kpis/peers",
        "uploads",
        "ai-runs",
        "ai-runs/{run_id}",
        "ai-predictions",
    )
    exports = {"/api/v1/analytics/export/readings", "/api/v1/analytics/export/kpis"}
    assert set(ours) == {f"/api/v1/analytics/{n}" for n in names} | exports
    schemas = world.client.get("/openapi.json").json()["components"]["schemas"]
    for path, op in ours.items():
        assert op["summary"] and op["tags"] == ["analytics"], path
        assert {"200", "401", "503"} <= set(op["responses"]), path
        if path in exports:
            assert "application/vnd.apache.parquet" in op["responses"]["200"]["content"], path
            continue
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert ref in schemas
    for name in (
        "LakeReading",
        "ScanStats",
        "SeriesPoint",
        "Benchmarks",
        "BenchmarkPoint",
        "TableInfo",
        "MeasureRequest",
        "KpiMeasurement",
        "KpiPoint",
        "BenchmarkGroup",
        "PeerRank",
    ):
        assert schemas[name].get("examples"), name
    params = {p["name"]: p for p in ours["/api/v1/analytics/readings"]["parameters"]}
    assert params["factory_id"]["required"] and params["factory_id"]["schema"]["examples"]
    assert {"from", "to", "limit", "cursor", "item_id", "model_id", "equipment_id"} <= set(params)


def test_arrow_schema_of_the_lake_is_what_the_engine_expects() -> None:
    # The engine selects these columns by name; a renamed lake column must fail here, not in production.
    from catalog.query import READING_COLUMNS

    assert set(READING_COLUMNS) <= set(READINGS_SCHEMA.names)
    assert pa.types.is_timestamp(READINGS_SCHEMA.field("ts").type)
