"""``item_daily`` from hourly pieces: literal values of a hand-made day (state times across hours and
midnight, a counter reset across an hour boundary), the same after a late file recomputes the pieces of its
hours and the days from them, and from scratch when every hour is its own chunk; and the series' exact and
approximate quantiles.

Exactly once across a SIGKILLed refresher: ``test_rollups.py`` (its first test kills ``python -m
catalog.rollups`` three times and compares the daily rollup with the KPI engine on the raw readings)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from catalog import rollups
from catalog.lake import READINGS_SCHEMA, Lake
from catalog.query import QueryEngine, ReadingFilter
from catalog.rollups import item_pieces
from tests.catalog.conftest import LAKES, LakeSetup, World, make_setup

DAY = datetime(2025, 11, 10, tzinfo=UTC)
BEFORE, AFTER = DAY - timedelta(days=1), DAY + timedelta(days=1)
TODAY = (DAY + timedelta(days=2)).date()  # the three days are closed


@pytest.fixture(params=LAKES)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LakeSetup]:
    with make_setup(request, request.param, tmp_path) as made:
        made.lake().ensure_tables()
        yield made


def _readings(item: str, points: list[tuple[datetime, Any]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "factory_id": "factory-pieces",
                "org_id": "org-pieces",
                "equipment_id": "eq-a",
                "model_id": "kpi-lathe",
                "model_version": "1.0.0",
                "item_id": item,
                "ts": ts,
                "value_num": None if isinstance(value, str) else float(value),
                "value_text": value if isinstance(value, str) else None,
                "quality": "good",
                "batch_key": f"pieces/{item}/{ts.isoformat()}",
                "ingested_at": ts,
            }
            for ts, value in points
        ],
        schema=READINGS_SCHEMA,
    )


def _at(day: datetime, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return day + timedelta(hours=int(hours), minutes=int(minutes))


STATES = [
    (_at(BEFORE, "23:30"), "RUNNING"),
    (_at(DAY, "00:30"), "IDLE"),
    (_at(DAY, "00:45"), "IDLE"),
    (_at(DAY, "02:10"), "RUNNING"),
    (_at(DAY, "23:50"), "STOPPED"),
    (_at(AFTER, "01:00"), "RUNNING"),
]
PARTS = [
    (_at(BEFORE, "23:59"), 100),
    (_at(DAY, "00:10"), 110),
    (_at(DAY, "00:50"), 130),
    (_at(DAY, "01:05"), 5),  # reset to 0 in the next hour, then 5
    (_at(DAY, "01:30"), 25),
    (_at(DAY, "13:00"), 40),
    (_at(AFTER, "00:30"), 50),
]


def _daily(engine: QueryEngine) -> dict[tuple[date, str, str | None, str | None], tuple[float, Any, int]]:
    table = rollups.current_rollup(engine.lake, rollups.DAILY)
    assert table is not None
    rows = engine.query(
        "SELECT * FROM read_parquet(?)", [engine.plan(table, ReadingFilter().iceberg(None)).files]
    )
    return {
        (r["day"], r["item_id"], r["value_text"], r["prev_text"]): (
            r["seconds"],
            r["increase"],
            r["readings"],
        )
        for r in rows
    }


def _from_scratch(engine: QueryEngine, lake: Lake) -> dict[tuple[date, str, str | None, str | None], Any]:
    """The daily rows after every rollup is dropped and made again from the readings."""
    for rollup in rollups.ROLLUPS:
        lake.catalog.drop_table(f"{lake.config.namespace}.{rollup.name}")
    rollups.refresh(lake, engine=engine, today=TODAY)
    return _daily(engine)


def test_daily_rows_of_a_hand_made_day_then_a_late_file(
    setup: LakeSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    try:
        lake.readings().append(pa.concat_tables([_readings("state", STATES), _readings("parts", PARTS)]))
        rollups.refresh(lake, engine=engine, today=TODAY)
        d0, d1, d2 = BEFORE.date(), DAY.date(), AFTER.date()
        assert _daily(engine) == {
            (d0, "state", "RUNNING", None): (1800.0, None, 1),
            # carried in from 23:30 the day before: 00:00-00:30
            (d1, "state", "RUNNING", None): (1800.0, None, 0),
            (d1, "state", "IDLE", "RUNNING"): (900.0, None, 1),
            (d1, "state", "IDLE", "IDLE"): (5100.0, None, 1),  # 00:45-02:10
            (d1, "state", "RUNNING", "IDLE"): (78000.0, None, 1),  # 02:10-23:50
            (d1, "state", "STOPPED", "RUNNING"): (600.0, None, 1),
            (d2, "state", "STOPPED", "RUNNING"): (3600.0, None, 0),
            (d2, "state", "RUNNING", "STOPPED"): (82800.0, None, 1),  # until the end of the closed days
            (d0, "parts", None, None): (0.0, 0.0, 1),
            # 100 -> 110 -> 130 -> reset, 5 -> 25 -> 40: 10 + 20 + 5 + 20 + 15
            (d1, "parts", None, None): (0.0, 70.0, 5),
            (d2, "parts", None, None): (0.0, 10.0, 1),
        }

        # a gateway's outbox drains late: a state at noon and a counter reset at 12:30 of the closed day
        late = [
            _readings("state", [(_at(DAY, "12:00"), "ALARM")]),
            _readings("parts", [(_at(DAY, "12:30"), 3)]),
        ]
        lake.readings().append(pa.concat_tables(late))
        done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=TODAY)}
        assert done["item_daily"].days == 2  # the day it touched and the next (its carried-in state)
        daily = _daily(engine)
        assert daily[(d1, "state", "RUNNING", "IDLE")] == (35400.0, None, 1)  # 02:10-12:00
        assert daily[(d1, "state", "ALARM", "RUNNING")] == (42600.0, None, 1)  # 12:00-23:50
        assert daily[(d1, "state", "STOPPED", "ALARM")] == (600.0, None, 1)
        assert (d1, "state", "STOPPED", "RUNNING") not in daily
        assert daily[(d2, "state", "STOPPED", "ALARM")] == (3600.0, None, 0)
        # ... 25 -> reset, 3 -> 40: 10 + 20 + 5 + 20 + 3 + 37
        assert daily[(d1, "parts", None, None)] == (0.0, 95.0, 6)
        assert len(daily) == 12

        # the same rows recomputed from scratch, in one chunk and with every hour its own chunk
        assert _from_scratch(engine, lake) == daily
        monkeypatch.setattr(item_pieces, "CHUNK_ROWS", 1)
        assert _from_scratch(engine, lake) == daily
    finally:
        engine.close()


def test_exact_and_approximate_quantiles(setup: LakeSetup) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    try:
        small = [(DAY + timedelta(minutes=m), v) for m, v in zip(range(10), range(10, 0, -1), strict=True)]
        rng = np.random.default_rng(7)
        values = rng.permutation(np.arange(1, 10_001))
        large = [(DAY + timedelta(hours=1, microseconds=360_000 * i), int(v)) for i, v in enumerate(values)]
        lake.readings().append(_readings("load", small + large))
        flt = ReadingFilter(item_ids=("load",), start=DAY, end=DAY + timedelta(hours=2))

        def quantiles(how: Any) -> list[tuple[Any, Any]]:
            rows, _ = engine.series(flt, None, "1h", "UTC", quantiles=how)
            return [(r["median"], r["p95"]) for r in rows]

        assert quantiles("exact") == [(5.5, pytest.approx(9.55)), (5000.5, pytest.approx(9500.05))]
        (small_approx, (median, p95)) = quantiles("approx")
        # below 4,096 values the sample is the bucket: the value at rank floor(q * (n - 1)) of 1..10
        assert small_approx == (5.0, 9.0)
        # 10,000 values: within 5 standard deviations of the rank (0.78 % and 0.34 % of 10,000)
        assert 4610 <= median <= 5390 and 9330 <= p95 <= 9670
        assert quantiles("none") == [(None, None), (None, None)]
    finally:
        engine.close()


def test_the_api_takes_approximate_quantiles_and_names_a_wrong_value(world: World) -> None:
    admin = world.headers("admin", org_id="org-operator")
    window = {"from": "2025-11-01T00:00:00Z", "to": "2025-11-05T00:00:00Z"}
    exact = world.get("/series", admin, item_id="spindle_speed", bucket="1d", **window).json()
    approx = world.get("/series", admin, item_id="spindle_speed", bucket="1d", quantiles="approx", **window)
    assert approx.status_code == 200, approx.text
    body = approx.json()
    assert (exact["quantiles"], body["quantiles"]) == ("exact", "approx")
    assert len(body["items"]) == len(exact["items"]) > 0
    for a, e in zip(body["items"], exact["items"], strict=True):
        assert (a["readings"], a["min"], a["max"]) == (e["readings"], e["min"], e["max"])
        assert e["min"] <= a["median"] <= a["p95"] <= e["max"]

    wrong = world.get("/series", admin, item_id="spindle_speed", quantiles="roughly", **window)
    assert wrong.status_code == 422
    assert [f["loc"] for f in wrong.json()["fields"]] == ["query.quantiles"]


def test_an_hour_read_in_parts_of_its_factories_gives_the_pieces_of_one_read(
    setup: LakeSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three factories' 10:00 hour: a counter each (one with a reset), a state for one. Read whole, and with
    ``CHUNK_ROWS`` so small that the hour is read in three ranges of its factories (one each): the same
    pieces, written out by hand."""
    lake = setup.lake()
    engine = QueryEngine(lake)

    def points(factory: str, item: str, values: list[tuple[str, Any]]) -> pa.Table:
        table = _readings(item, [(_at(DAY, hhmm), value) for hhmm, value in values])
        factories = pa.array([factory] * table.num_rows, pa.string())
        return table.set_column(0, READINGS_SCHEMA.field("factory_id"), factories)

    def pieces() -> set[tuple[Any, ...]]:
        for rollup in rollups.ROLLUPS:
            if lake.catalog.table_exists(f"{lake.config.namespace}.{rollup.name}"):
                lake.catalog.drop_table(f"{lake.config.namespace}.{rollup.name}")
        rollups.refresh(lake, engine=engine, today=TODAY)
        table = rollups.current_rollup(lake, rollups.PIECES)
        assert table is not None
        rows = engine.query(
            "SELECT * FROM read_parquet(?)", [engine.plan(table, ReadingFilter().iceberg(None)).files]
        )
        return {
            (
                r["factory_id"], r["item_id"], r["readings"], r["sum"], r["min"], r["max"], r["inc"],
                r["first_num"], r["last_num"], r["value_text"], r["prev_text"], r["seconds"],
                r["first_ts"], r["last_ts"],
            )
            for r in rows
        }  # fmt: skip

    try:
        lake.readings().append(
            pa.concat_tables(
                [
                    points("factory-a", "parts", [("10:00", 10), ("10:20", 15), ("10:40", 2)]),
                    points("factory-a", "state", [("10:00", "RUN"), ("10:30", "RUN"), ("10:45", "IDLE")]),
                    points("factory-b", "parts", [("10:05", 1), ("10:10", 4), ("10:50", 9)]),
                    points("factory-c", "parts", [("10:15", 100), ("10:55", 50)]),
                ]
            )
        )
        at = {hhmm: _at(DAY, hhmm) for hhmm in ("10:00", "10:45")}
        expected = {
            # 10 -> 15 -> reset, 2: 5 + 2
            ("factory-a", "parts", 3, 27.0, 2.0, 15.0, 7.0, 10.0, 2.0, None, None, None, None, None),
            ("factory-b", "parts", 3, 14.0, 1.0, 9.0, 8.0, 1.0, 9.0, None, None, None, None, None),
            ("factory-c", "parts", 2, 150.0, 50.0, 100.0, 50.0, 100.0, 50.0, None, None, None, None, None),
            # the state's end: first instant, last value and the one before it, last instant
            ("factory-a", "state", None, None, None, None, None, None, None, "IDLE", "RUN", None,
             at["10:00"], at["10:45"]),
            # its entries: per value and value before it, readings and seconds until the next reading
            ("factory-a", "state", 1, None, None, None, None, None, None, "RUN", None, 1800.0, None, None),
            ("factory-a", "state", 1, None, None, None, None, None, None, "RUN", "RUN", 900.0, None, None),
            ("factory-a", "state", 1, None, None, None, None, None, None, "IDLE", "RUN", 0.0, None, None),
        }  # fmt: skip
        assert pieces() == expected
        ranges: list[tuple[str, str]] = []
        counted = item_pieces.factory_ranges

        def recorded(*args: Any) -> list[tuple[str, str]]:
            ranges.extend(counted(*args))
            return counted(*args)

        monkeypatch.setattr(item_pieces, "factory_ranges", recorded)
        monkeypatch.setattr(item_pieces, "CHUNK_ROWS", 2)  # the hour's 11 readings: 6, 3 and 2 a factory
        assert pieces() == expected
        assert ranges == [("factory-a", "factory-a"), ("factory-b", "factory-b"), ("factory-c", "factory-c")]
    finally:
        engine.close()
