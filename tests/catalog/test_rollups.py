"""Rollups stay equal to a recomputation from the raw readings, whatever happens to the refresher: killed at
any moment (a separate ``python -m catalog.rollups`` process, SIGKILLed), run twice, run after compaction's
``replace`` snapshots, or behind by several commits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from catalog import kpis, rollups
from catalog.compaction import Options, compact_lake, compact_table
from catalog.lake import READINGS_SCHEMA, Lake, snapshot_property
from catalog.query import QueryEngine, ReadingFilter
from tests.catalog.conftest import LAKES, LakeSetup, make_setup
from tests.catalog.test_kpis import DAY, FACTORY, MODELS, at, hand_set, rows

ROLES = [kpis.ModelRoles.from_version({**m, "model_id": m["id"]}) for m in MODELS]
DAYS = [DAY + timedelta(days=n) for n in range(4)]


@pytest.fixture(params=LAKES)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LakeSetup]:
    with make_setup(request, request.param, tmp_path) as made:
        made.lake().ensure_tables()
        yield made


def _env(setup: LakeSetup) -> dict[str, str]:
    s = setup.settings
    return os.environ | {
        "SMARTMFG_TOPOLOGY": "embedded",
        "SMARTMFG_DATA_DIR": str(s.data_dir),
        "SMARTMFG_DATABASE_URL": s.sqlalchemy_url,
        "SMARTMFG_LAKE_CATALOG_URL": s.catalog_url,
        "SMARTMFG_LAKE_WAREHOUSE": s.warehouse,
    }


def _kill_refresher_after(setup: LakeSetup, seconds: float) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "catalog.rollups"],
        env=_env(setup),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(seconds)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _from_raw(engine: QueryEngine) -> dict[tuple[datetime, str, str], kpis.UnitElements]:
    flt = kpis.role_filter([FACTORY], DAYS[0], DAYS[-1] + timedelta(days=2), None)
    plan = engine.plan(engine.lake.readings(), flt.iceberg(None))
    cuts = [(d, d + timedelta(days=1)) for d in [*DAYS, DAYS[-1] + timedelta(days=1)]]
    return kpis.measure(engine, plan, flt, None, ROLES, cuts).units


def _from_rollup(engine: QueryEngine) -> dict[tuple[datetime, str, str], kpis.UnitElements]:
    table = rollups.current_rollup(engine.lake, rollups.DAILY)
    assert table is not None, "the daily rollup is behind the readings"
    flt = ReadingFilter(factory_ids=(FACTORY,))
    plan = engine.plan(table, flt.iceberg(None))
    cuts = [(d, d + timedelta(days=1)) for d in [*DAYS, DAYS[-1] + timedelta(days=1)]]
    return kpis.measure_daily(engine, plan, flt, None, ROLES, cuts).units


def _from_peer_table(engine: QueryEngine) -> dict[tuple[datetime, str, str], kpis.UnitElements]:
    table = rollups.current_rollup(engine.lake, rollups.PEERS)
    assert table is not None, "the peer table is behind the readings"
    flt = ReadingFilter(factory_ids=(FACTORY,))
    plan = engine.plan(table, flt.iceberg(None))
    cuts = [(d, d + timedelta(days=1)) for d in [*DAYS, DAYS[-1] + timedelta(days=1)]]
    return kpis.measure_peers(engine, plan, flt, None, ROLES, cuts)[0].units


def _hours(engine: QueryEngine, lake: Lake) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hourly rollup's rows, and the same statistics computed from the readings."""
    table = rollups.current_rollup(lake, rollups.HOURS)
    assert table is not None
    order = "ORDER BY factory_id, equipment_id, item_id, hour"
    rolled = engine.query(
        "SELECT hour, factory_id, equipment_id, item_id, readings, sum, min, max "
        f"FROM read_parquet(?) {order}",
        [engine.plan(table, ReadingFilter().iceberg(None)).files],
    )
    raw = engine.query(
        "SELECT time_bucket(INTERVAL 1 HOUR, ts) AS hour, factory_id, equipment_id, item_id, "
        "count(*) AS readings, sum(value_num) AS sum, min(value_num) AS min, max(value_num) AS max "
        f"FROM read_parquet(?) WHERE value_num IS NOT NULL GROUP BY ALL {order}",
        [engine.plan(lake.readings(), ReadingFilter().iceberg(None)).files],
    )
    return rolled, raw


def _assert_hours_recomputed(engine: QueryEngine, lake: Lake) -> None:
    hours, recomputed = _hours(engine, lake)
    assert len(hours) == len(recomputed) > 0
    for mine, theirs in zip(hours, recomputed, strict=True):  # float sums may differ in the last bit
        floats = ("sum", "min", "max")
        assert {k: v for k, v in mine.items() if k not in floats} == {
            k: v for k, v in theirs.items() if k not in floats
        }
        assert [mine[k] for k in floats] == pytest.approx([theirs[k] for k in floats])


def test_rollups_equal_the_raw_readings_after_kills_compaction_and_reruns(setup: LakeSetup) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    try:
        readings = lake.readings()
        readings.append(hand_set(DAYS[0]))
        _kill_refresher_after(setup, 0.5)  # before or during its first refresh
        readings.append(hand_set(DAYS[1]))
        readings.append(hand_set(DAYS[2]))
        _kill_refresher_after(setup, 2.0)
        rollups.refresh_one(engine, rollups.PIECES)  # two tables done, one still behind: a crash between
        rollups.refresh_one(engine, rollups.HOURS)
        readings = lake.readings()
        readings.append(hand_set(DAYS[3]))
        late = rows("eq-a", "kpi-lathe", "energy", [("23:00", 600.0)], DAYS[1])  # a late reading, 2 days back
        readings.append(pa.Table.from_pylist(late, schema=READINGS_SCHEMA))
        compacted = compact_table(lake.readings, Options())  # replace snapshots: no new data
        assert compacted.partitions, "compaction made no replace snapshot to skip"
        _kill_refresher_after(setup, 1.0)

        done = rollups.refresh(lake, engine=engine)
        current = lake.readings().current_snapshot()
        assert current is not None and current.summary is not None
        assert current.summary.operation.value == "replace"
        assert {d.watermark for d in done} == {current.snapshot_id}
        for rollup in rollups.ROLLUPS:
            table = lake.catalog.load_table(f"{lake.config.namespace}.{rollup.name}")
            assert snapshot_property(table, rollups.WATERMARK_KEY) == str(current.snapshot_id)

        raw, rolled = _from_raw(engine), _from_rollup(engine)
        assert rolled == raw
        assert len(raw) == 2 * 5  # two units, four days of data and the day after, carried over
        last = raw[(DAYS[3], FACTORY, "eq-a")]
        # the day before ended at 20 parts: 980 up to the 07:59 reading, then the hand-computed 170
        assert last.amounts["part_count"] == 980 + 170
        # running 00:00-08:30 (carried from the day before), 08:45-10:00, 10:30-11:00, 11:20-24:00
        assert (
            last.seconds[("state", "running")] == 86400 - 15 * 60 - 30 * 60 - 20 * 60
        )  # minus down, idle, down
        # energy of the day with the late reading: 900 -> 500 at 07:59 and 900 -> 600 at 23:00 are resets
        assert raw[(DAYS[1], FACTORY, "eq-a")].amounts["energy"] == 500 + 40.5 + 359.5 + 600

        _assert_hours_recomputed(engine, lake)

        # the peer table, classified from the same days: the same ISO 22400 elements of every unit and day
        peers = _from_peer_table(engine)
        assert peers.keys() == raw.keys()
        for key, unit in raw.items():
            assert peers[key].inputs(60.0).as_dict() == pytest.approx(unit.inputs(60.0).as_dict()), key

        again = rollups.refresh(lake, engine=engine)
        assert [d.days for d in again] == [0, 0, 0, 0]  # nothing new: nothing recomputed
    finally:
        engine.close()


def test_an_expired_watermark_recomputes_everything(setup: LakeSetup) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    try:
        lake.readings().append(hand_set(DAYS[0]))
        rollups.refresh_one(engine, rollups.PIECES)
        table = rollups.ensure_day_table(lake, rollups.DAILY.name, rollups.DAILY.schema)
        table.append(rollups.DAILY.schema.empty_table(), snapshot_properties={rollups.WATERMARK_KEY: "12345"})
        done = rollups.refresh_one(engine, rollups.DAILY)
        assert done.days == 2  # the day with data and the day after it
        assert _from_rollup(engine) == {k: v for k, v in _from_raw(engine).items() if k[0] <= DAYS[1]}
    finally:
        engine.close()


def test_compaction_expires_rollup_snapshots_and_keeps_the_watermark(setup: LakeSetup) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    try:
        for day in DAYS[:3]:
            lake.readings().append(hand_set(day))
            rollups.refresh(lake, engine=engine)
        names = [f"{lake.config.namespace}.{rollup.name}" for rollup in rollups.ROLLUPS]
        assert all(len(lake.catalog.load_table(name).snapshots()) >= 3 for name in names)

        reports = compact_lake(lake, Options(expire_older_than=timedelta(0)))

        current = lake.readings().current_snapshot()
        assert current is not None
        for rollup, name in zip(rollups.ROLLUPS, names, strict=True):
            table = lake.catalog.load_table(name)
            assert reports[rollup.name].expired_snapshots >= 2 and len(table.snapshots()) == 1
            assert snapshot_property(table, rollups.WATERMARK_KEY) == str(current.snapshot_id)
        assert rollups.current_rollup(lake, rollups.DAILY) is not None  # still answers for the readings
        assert _from_rollup(engine) == {k: v for k, v in _from_raw(engine).items() if k[0] <= DAYS[3]}
    finally:
        engine.close()


def test_a_round_recomputes_the_hours_that_arrived_and_leaves_the_live_day_to_when_it_closes(
    setup: LakeSetup,
) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    live = DAYS[
        1
    ].date()  # "today" of the refreshes below: DAYS[0] is closed, DAYS[1] still receives readings
    try:
        lake.readings().append(hand_set(DAYS[0]))
        lake.readings().append(
            pa.Table.from_pylist(
                rows("eq-a", "kpi-lathe", "energy", [("09:10", 5.0)], DAYS[1]), schema=READINGS_SCHEMA
            )
        )
        first = {d.table: d for d in rollups.refresh(lake, engine=engine, today=live)}
        assert first["item_daily"].days == 1  # the closed day; the live one (which it carries into) waits
        assert rollups.closed_rollup(lake, until=DAYS[1].date()) is not None
        assert rollups.closed_rollup(lake, until=DAYS[2].date()) is None  # the live day is not held

        # a reading of the live day: one hour of item_hours, nothing of item_daily, the closed days still held
        late = rows("eq-a", "kpi-lathe", "energy", [("10:05", 9.0), ("10:40", 12.0)], DAYS[1])
        lake.readings().append(pa.Table.from_pylist(late, schema=READINGS_SCHEMA))
        assert rollups.closed_rollup(lake, until=DAYS[1].date()) is not None
        second = {d.table: d for d in rollups.refresh(lake, engine=engine, today=live)}
        assert (second["item_hours"].hours, second["item_hours"].days) == (1, 1)
        assert (second["item_daily"].days, second["item_daily"].rows) == (0, 0)
        _assert_hours_recomputed(engine, lake)  # the hour's pieces recomputed, the hour copied from them

        # a late reading of the closed day: the daily rollup no longer answers for it until refreshed
        old = rows("eq-a", "kpi-lathe", "energy", [("23:30", 1000.0)], DAYS[0])
        lake.readings().append(pa.Table.from_pylist(old, schema=READINGS_SCHEMA))
        assert rollups.closed_rollup(lake, until=DAYS[1].date()) is None
        third = {d.table: d for d in rollups.refresh(lake, engine=engine, today=live)}
        assert (third["item_hours"].hours, third["item_daily"].days) == (1, 1)  # 23:00 of DAYS[0]; that day
        _assert_hours_recomputed(engine, lake)
        assert rollups.closed_rollup(lake, until=DAYS[1].date()) is not None

        # midnight: the day that closed is computed once, with what it carried over from the day before
        closing = {d.table: d for d in rollups.refresh(lake, engine=engine, today=DAYS[2].date())}
        assert closing["item_hours"].hours == 0 and closing["item_daily"].days == 1
        assert rollups.closed_rollup(lake, until=DAYS[2].date()) is not None
        cuts = [(d, d + timedelta(days=1)) for d in DAYS[:2]]
        flt = kpis.role_filter([FACTORY], DAYS[0], DAYS[2], None)
        raw_units = kpis.measure(
            engine, engine.plan(lake.readings(), flt.iceberg(None)), flt, None, ROLES, cuts
        )
        table = rollups.closed_rollup(lake, until=DAYS[2].date())
        assert table is not None
        mine = ReadingFilter(factory_ids=(FACTORY,))
        rolled_units = kpis.measure_daily(
            engine, engine.plan(table, mine.iceberg(None)), mine, None, ROLES, cuts
        )
        assert rolled_units.units == raw_units.units
        # 1000 at 23:30 the day before, then 5: a reset, counted from 0; then 9 and 12
        assert raw_units.units[(DAYS[1], FACTORY, "eq-a")].amounts["energy"] == 5 + 4 + 3
    finally:
        engine.close()


def test_new_readings_across_midnight_recompute_the_hours_of_both_days(setup: LakeSetup) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    try:

        def append(points: list[tuple[str, float]], day: datetime) -> None:
            part = rows("eq-a", "kpi-lathe", "energy", points, day)
            lake.readings().append(pa.Table.from_pylist(part, schema=READINGS_SCHEMA))

        append([("23:10", 1.0), ("23:50", 2.0)], DAYS[0])
        append([("00:05", 3.0)], DAYS[1])
        rollups.refresh(lake, engine=engine, today=DAYS[3].date())
        # one file from 23:40 to 00:20: a run of two hours over midnight, recomputed in both days
        late = rows("eq-a", "kpi-lathe", "energy", [("23:40", 4.0)], DAYS[0])
        late += rows("eq-a", "kpi-lathe", "energy", [("00:20", 5.0)], DAYS[1])
        lake.readings().append(pa.Table.from_pylist(late, schema=READINGS_SCHEMA))
        done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=DAYS[3].date())}
        assert (done["item_hours"].hours, done["item_hours"].days) == (2, 2)
        _assert_hours_recomputed(engine, lake)
    finally:
        engine.close()


def _rows_of(
    engine: QueryEngine, rollup: rollups.Rollup, columns: str, order: str, where: str = "true", *params: Any
) -> list[tuple[Any, ...]]:
    table = engine.lake.catalog.load_table(f"{engine.lake.config.namespace}.{rollup.name}")
    files = engine.plan(table, ReadingFilter().iceberg(None)).files
    sql = f"SELECT {columns} FROM read_parquet(?) WHERE {where} ORDER BY {order}"
    found = engine.query(sql, [files, *params])
    return [tuple(row.values()) for row in found]


def test_a_late_file_recomputes_the_pieces_of_its_hour_and_the_days_from_the_pieces(setup: LakeSetup) -> None:
    lake = setup.lake()
    engine = QueryEngine(lake)
    d0, d1 = DAYS[0], DAYS[1]
    today = DAYS[3].date()

    def append(item: str, points: list[tuple[str, Any]], day: datetime) -> None:
        part = rows("eq-a", "kpi-lathe", item, points, day)
        lake.readings().append(pa.Table.from_pylist(part, schema=READINGS_SCHEMA))

    def daily() -> list[tuple[Any, ...]]:
        columns = "day, item_id, value_text, prev_text, seconds, increase, readings"
        return _rows_of(engine, rollups.DAILY, columns, "day, item_id, value_text, prev_text NULLS FIRST")

    try:
        append("energy", [("01:10", 100), ("01:50", 130), ("14:00", 150), ("14:40", 10), ("23:30", 40)], d0)
        append("energy", [("02:00", 50)], d1)
        append("execution", [("06:00", "RUNNING"), ("14:30", "STOPPED"), ("20:00", "RUNNING")], d0)
        append("execution", [("03:00", "STOPPED")], d1)
        first = {d.table: d for d in rollups.refresh(lake, engine=engine, today=today)}
        # the hours the files span: 01:00-24:00 of the first day, 02:00 and 03:00 of the second
        assert (first["item_pieces"].hours, first["item_hours"].hours) == (25, 25)
        before = daily()
        # energy: 100 -> 130 -> 150 -> 10 (a reset: +10) -> 40 = 30 + 20 + 10 + 30; 40 -> 50 the next day
        assert before == [
            (d0.date(), "energy", None, None, 0.0, 90.0, 5),
            (d0.date(), "execution", "RUNNING", None, 30600.0, None, 1),  # 06:00-14:30
            (d0.date(), "execution", "RUNNING", "STOPPED", 14400.0, None, 1),  # 20:00-24:00
            (d0.date(), "execution", "STOPPED", "RUNNING", 19800.0, None, 1),  # 14:30-20:00
            (d1.date(), "energy", None, None, 0.0, 10.0, 1),
            (d1.date(), "execution", "RUNNING", "STOPPED", 10800.0, None, 0),  # carried in: 00:00-03:00
            (d1.date(), "execution", "STOPPED", "RUNNING", 75600.0, None, 1),  # 03:00-24:00
            # carried through; what came before 03:00 of the day before is beyond the look-back
            (DAYS[2].date(), "execution", "STOPPED", None, 86400.0, None, 0),
        ]

        # one late file, both readings in 14:00-15:00 of the first day
        late = rows("eq-a", "kpi-lathe", "energy", [("14:20", 170)], d0)
        late += rows("eq-a", "kpi-lathe", "execution", [("14:10", "IDLE")], d0)
        lake.readings().append(pa.Table.from_pylist(late, schema=READINGS_SCHEMA))
        done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=today)}
        # the pieces of that hour alone: energy's numbers, execution's end, two entries (IDLE, STOPPED)
        assert (done["item_pieces"].hours, done["item_pieces"].rows) == (1, 4)
        assert (done["item_hours"].hours, done["item_hours"].rows) == (1, 1)
        assert (done["item_daily"].days, done["item_daily"].rows) == (2, 8)  # the day and the day after
        hour = d0 + timedelta(hours=14)
        pieces = _rows_of(
            engine,
            rollups.PIECES,
            "item_id, readings, sum, min, max, inc, first_num, last_num, value_text, prev_text, seconds, "
            "first_ts, last_ts",
            "item_id, value_text, seconds NULLS FIRST",
            "hour = ?",
            hour,
        )
        assert pieces == [
            # 150 -> 170 -> 10: +20, then a reset (+10)
            ("energy", 3, 330.0, 10.0, 170.0, 30.0, 150.0, 10.0, None, None, None, None, None),
            ("execution", 1, None, None, None, None, None, None, "IDLE", None, 1200.0, None, None),
            (
                "execution",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "STOPPED",
                "IDLE",
                None,
                at("14:10", d0),
                at("14:30", d0),
            ),
            ("execution", 1, None, None, None, None, None, None, "STOPPED", "IDLE", 0.0, None, None),
        ]
        hours = _rows_of(engine, rollups.HOURS, "hour, readings, sum, min, max", "hour")
        assert hours == [
            (d0 + timedelta(hours=1), 2, 230.0, 100.0, 130.0),
            (hour, 3, 330.0, 10.0, 170.0),
            (d0 + timedelta(hours=23), 1, 40.0, 40.0, 40.0),
            (d1 + timedelta(hours=2), 1, 50.0, 50.0, 50.0),
        ]
        assert (
            daily()
            == [
                (d0.date(), "energy", None, None, 0.0, 110.0, 6),  # + 20 to 170, a reset to 10 counts 10
                (d0.date(), "execution", "IDLE", "RUNNING", 1200.0, None, 1),  # 14:10-14:30
                (d0.date(), "execution", "RUNNING", None, 29400.0, None, 1),  # 06:00-14:10
                (d0.date(), "execution", "RUNNING", "STOPPED", 14400.0, None, 1),
                (d0.date(), "execution", "STOPPED", "IDLE", 19800.0, None, 1),  # entered from IDLE now
                *before[4:],  # the day after: the same
            ]
        )
        _assert_hours_recomputed(engine, lake)
        assert _from_rollup(engine) == {k: v for k, v in _from_raw(engine).items() if k[0] <= DAYS[2]}
    finally:
        engine.close()
