"""The rollups through Trino (``analytics.rollup_engine = trino``, ``catalog.rollups.watermark``): the same
rows as the DuckDB path over the same readings, written out by hand; a late file recomputes its day with
whole-partition deletes (no delete files, so the DuckDB readers still read the tables); and a round stopped
between Trino's commit of the rows and the watermark's leaves the readers off the rollup until the next
round repairs it, each reading counted once.

``python -m catalog.rollups`` takes the setting from ``SMARTMFG_ANALYTICS_ROLLUP_ENGINE``. On the real
Trino (infra/trino) and MinIO: a lake in the JDBC catalog Trino's ``lake`` catalog reads, in a
namespace of this module's own (as ``test_engines_agree``)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from catalog import rollups
from catalog.engines import TrinoEngine
from catalog.lake import READINGS_SCHEMA, Lake, LakeConfig, snapshot_property
from catalog.query import QueryEngine, ReadingFilter
from catalog.rollups import watermark
from catalog.rollups.tables import last_watermark
from services.kit.settings import PlatformSettings
from tests.catalog.conftest import _remove_prefix, make_setup
from tests.catalog.test_engines_agree import TRINO_CATALOG_DB, TRINO_URL
from tests.catalog.test_rollup_pieces import AFTER, BEFORE, DAY, PARTS, STATES, TODAY, _at, _daily, _readings

pytestmark = pytest.mark.servers

D0, D1, D2 = BEFORE.date(), DAY.date(), AFTER.date()
Rows = dict[tuple[Any, ...], tuple[Any, ...]]


@pytest.fixture
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    run = uuid.uuid4().hex[:8]
    namespace, prefix = f"test_rollups_trino_{run}", f"test-rollups-trino-{run}"
    with make_setup(request, "minio", tmp_path) as setup:
        settings = setup.settings.replaced(
            lake={
                "catalog_url": TRINO_CATALOG_DB,
                "warehouse": f"s3://smartmfg-lake/{prefix}",
                "namespace": namespace,
            }
        )
        made = Lake(LakeConfig.from_settings(settings))
        made.ensure_tables()
        try:
            yield made
        finally:
            for table in made.catalog.list_tables(namespace):
                made.catalog.drop_table(table)
            made.catalog.drop_namespace(namespace)
            _remove_prefix(f"{prefix}/")


@pytest.fixture
def trino() -> TrinoEngine:
    return TrinoEngine(TRINO_URL, "lake")


def _three_factories() -> pa.Table:
    """The hour of ``test_rollup_pieces``' three factories (a counter each, one reset; one state), under
    item ids of their own."""

    def points(factory: str, item: str, values: list[tuple[str, Any]]) -> pa.Table:
        table = _readings(item, [(_at(DAY, hhmm), value) for hhmm, value in values])
        factories = pa.array([factory] * table.num_rows, pa.string())
        return table.set_column(0, READINGS_SCHEMA.field("factory_id"), factories)

    return pa.concat_tables(
        [
            points("factory-a", "count", [("10:00", 10), ("10:20", 15), ("10:40", 2)]),
            points("factory-a", "mode", [("10:00", "RUN"), ("10:30", "RUN"), ("10:45", "IDLE")]),
            points("factory-b", "count", [("10:05", 1), ("10:10", 4), ("10:50", 9)]),
            points("factory-c", "count", [("10:15", 100), ("10:55", 50)]),
        ]
    )


def _rows(engine: QueryEngine, rollup: rollups.Rollup) -> list[dict[str, Any]]:
    table = rollups.current_rollup(engine.lake, rollup)
    assert table is not None, f"{rollup.name} is not current"
    plan = engine.plan(table, ReadingFilter().iceberg(None))  # refuses a table with delete files
    return engine.query("SELECT * FROM read_parquet(?)", [plan.files])


def _pieces(engine: QueryEngine) -> Rows:
    """The pieces of factory-a..c's 10:00 hour (the hand-made day's factory is left out)."""
    return {
        (r["factory_id"], r["item_id"], r["value_text"], r["prev_text"], r["first_ts"]): (
            r["readings"], r["sum"], r["min"], r["max"], r["inc"], r["first_num"], r["last_num"],
            r["seconds"], r["last_ts"],
        )
        for r in _rows(engine, rollups.PIECES)
        if r["factory_id"] != "factory-pieces"
    }  # fmt: skip


def _hours(engine: QueryEngine) -> Rows:
    return {
        (r["day"], r["hour"], r["factory_id"], r["item_id"]): (r["readings"], r["sum"], r["min"], r["max"])
        for r in _rows(engine, rollups.HOURS)
    }


def _peers(engine: QueryEngine) -> Rows:
    return {
        (r["day"], r["item_id"]): (
            r["readings"], r["increase"], r["total"], r["running_s"], r["idle_s"], r["down_s"],
            r["down_onsets"], r["alarm_s"], r["clear_s"], r["alarm_onsets"],
        )
        for r in _rows(engine, rollups.PEERS)
        if r["factory_id"] == "factory-pieces"
    }  # fmt: skip


def _daily_of_every_factory(engine: QueryEngine) -> Rows:
    """``item_daily`` keyed by factory too (``test_rollup_pieces._daily`` holds one factory's day)."""
    return {
        (r["factory_id"], r["day"], r["item_id"], r["value_text"], r["prev_text"]): (
            r["seconds"], r["increase"], r["readings"],
        )
        for r in _rows(engine, rollups.DAILY)
    }  # fmt: skip


def _head(table: Table) -> int:
    snapshot = table.current_snapshot()
    assert snapshot is not None
    return snapshot.snapshot_id


def _readings_head(lake: Lake) -> int:
    return _head(lake.readings())


def _drop_rollups(lake: Lake) -> None:
    for rollup in rollups.ROLLUPS:
        if lake.catalog.table_exists(f"{lake.config.namespace}.{rollup.name}"):
            lake.catalog.drop_table(f"{lake.config.namespace}.{rollup.name}")


TEN = _at(DAY, "10:00")
PIECES = {
    # 10 -> 15 -> reset, 2: 5 + 2
    ("factory-a", "count", None, None, None): (3, 27.0, 2.0, 15.0, 7.0, 10.0, 2.0, None, None),
    ("factory-b", "count", None, None, None): (3, 14.0, 1.0, 9.0, 8.0, 1.0, 9.0, None, None),
    ("factory-c", "count", None, None, None): (2, 150.0, 50.0, 100.0, 50.0, 100.0, 50.0, None, None),
    # the state's end: first instant, last value and the one before it, last instant
    ("factory-a", "mode", "IDLE", "RUN", TEN): (None, None, None, None, None, None, None, None,
                                                  _at(DAY, "10:45")),
    # its entries: per value and value before it, readings and seconds until the next reading
    ("factory-a", "mode", "RUN", None, None): (1, None, None, None, None, None, None, 1800.0, None),
    ("factory-a", "mode", "RUN", "RUN", None): (1, None, None, None, None, None, None, 900.0, None),
    ("factory-a", "mode", "IDLE", "RUN", None): (1, None, None, None, None, None, None, 0.0, None),
}  # fmt: skip
# the hand-made day of test_rollup_pieces (state times across hours and midnight, a counter reset)
DAILY = {
    (D0, "state", "RUNNING", None): (1800.0, None, 1),
    (D1, "state", "RUNNING", None): (1800.0, None, 0),  # carried in from 23:30 the day before
    (D1, "state", "IDLE", "RUNNING"): (900.0, None, 1),
    (D1, "state", "IDLE", "IDLE"): (5100.0, None, 1),
    (D1, "state", "RUNNING", "IDLE"): (78000.0, None, 1),
    (D1, "state", "STOPPED", "RUNNING"): (600.0, None, 1),
    (D2, "state", "STOPPED", "RUNNING"): (3600.0, None, 0),
    (D2, "state", "RUNNING", "STOPPED"): (82800.0, None, 1),
    (D0, "parts", None, None): (0.0, 0.0, 1),
    (D1, "parts", None, None): (0.0, 70.0, 5),  # 100 -> 110 -> 130 -> reset, 5 -> 25 -> 40
    (D2, "parts", None, None): (0.0, 10.0, 1),
}
H = datetime.combine(D1, datetime.min.time(), DAY.tzinfo)
HOURS_OF_PARTS = {  # factory-pieces' counter per hour of the day (the state is text: no hours)
    (D1, H, "factory-pieces", "parts"): (2, 240.0, 110.0, 130.0),
    (D1, H + timedelta(hours=1), "factory-pieces", "parts"): (2, 30.0, 5.0, 25.0),
    (D1, H + timedelta(hours=13), "factory-pieces", "parts"): (1, 40.0, 40.0, 40.0),
}


def test_both_engines_give_the_same_rollup_rows(lake: Lake, trino: TrinoEngine) -> None:
    engine = QueryEngine(lake)
    try:
        readings = [_readings("state", STATES), _readings("parts", PARTS), _three_factories()]
        lake.readings().append(pa.concat_tables(readings))
        by_engine = {}
        for name, on in (("duckdb", None), ("trino", trino)):
            _drop_rollups(lake)
            done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=TODAY, trino=on)}
            assert done["item_pieces"].days == 3 and done["item_daily"].days == 3, name
            hours = {k: v for k, v in _hours(engine).items() if k[2] == "factory-pieces" and k[0] == D1}
            by_engine[name] = (_pieces(engine), hours, _daily_of_every_factory(engine), _peers(engine))
        assert by_engine["trino"] == by_engine["duckdb"]
        pieces, hours, daily, peers = by_engine["trino"]
        assert pieces == PIECES
        assert hours == HOURS_OF_PARTS
        assert {k[1:]: v for k, v in daily.items() if k[0] == "factory-pieces"} == DAILY
        assert {k: v for k, v in daily.items() if k[2] == "count"} == {
            ("factory-a", D1, "count", None, None): (0.0, 7.0, 3),
            ("factory-b", D1, "count", None, None): (0.0, 8.0, 3),
            ("factory-c", D1, "count", None, None): (0.0, 50.0, 2),
        }
        # the day classified: running 00:00-00:30 and 02:10-23:50, idle 00:30-02:10, down (STOPPED) from
        # 23:50, entered once; every state value is "not normal" as an alarm condition
        assert peers[(D1, "state")] == (4, None, None, 79800.0, 6000.0, 600.0, 1, 86400.0, 0.0, 0)
        assert peers[(D1, "parts")] == (5, 70.0, 310.0, None, None, None, None, None, None, None)
        # Trino wrote every table; the watermark is pyiceberg's empty append on top
        for rollup in rollups.ROLLUPS:
            table = lake.catalog.load_table(f"{lake.config.namespace}.{rollup.name}")
            head = table.current_snapshot()
            assert head is not None and head.summary is not None and head.parent_snapshot_id is not None
            assert "trino_query_id" not in head.summary.additional_properties
            parent = table.snapshot_by_id(head.parent_snapshot_id)
            assert parent is not None and parent.summary is not None
            assert parent.summary.additional_properties["trino_query_id"]
    finally:
        engine.close()


def test_a_late_file_recomputes_its_day_with_whole_partition_deletes(lake: Lake, trino: TrinoEngine) -> None:
    engine = QueryEngine(lake)
    try:
        lake.readings().append(pa.concat_tables([_readings("state", STATES), _readings("parts", PARTS)]))
        rollups.refresh(lake, engine=engine, today=TODAY, trino=trino)
        pieces_table = lake.catalog.load_table(f"{lake.config.namespace}.item_pieces")
        first = pieces_table.current_snapshot()
        assert first is not None

        # a gateway's outbox drains late: a state at noon and a counter reset at 12:30 of the closed day
        late = [
            _readings("state", [(_at(DAY, "12:00"), "ALARM")]),
            _readings("parts", [(_at(DAY, "12:30"), 3)]),
        ]
        lake.readings().append(pa.concat_tables(late))
        done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=TODAY, trino=trino)}
        # its day, whole, on the Trino path (its two hours on the DuckDB path)
        assert (done["item_pieces"].days, done["item_pieces"].hours) == (1, 24)
        assert done["item_daily"].days == 2  # the day it touched and the next (its carried-in state)
        daily = _daily(engine)
        assert daily[(D1, "state", "RUNNING", "IDLE")] == (35400.0, None, 1)  # 02:10-12:00
        assert daily[(D1, "state", "ALARM", "RUNNING")] == (42600.0, None, 1)  # 12:00-23:50
        assert daily[(D1, "state", "STOPPED", "ALARM")] == (600.0, None, 1)
        assert (D1, "state", "STOPPED", "RUNNING") not in daily
        assert daily[(D2, "state", "STOPPED", "ALARM")] == (3600.0, None, 0)
        assert daily[(D1, "parts", None, None)] == (0.0, 95.0, 6)  # ... 25 -> reset, 3 -> 40
        assert len(daily) == 12
        assert _hours(engine)[(D1, H + timedelta(hours=12), "factory-pieces", "parts")] == (1, 3.0, 3.0, 3.0)

        # the round's snapshots: Trino's delete of the day's files (no delete files written), its insert,
        # and the watermark
        table = pieces_table.refresh()
        head = table.current_snapshot()
        assert head is not None
        chain = []
        snapshot: Snapshot | None = head
        while snapshot is not None and snapshot.snapshot_id != first.snapshot_id:
            assert snapshot.summary is not None
            chain.append((snapshot.summary.operation.value, snapshot.summary.additional_properties))
            parent = snapshot.parent_snapshot_id
            snapshot = table.snapshot_by_id(parent) if parent is not None else None
        assert [operation for operation, _ in chain] == ["append", "append", "delete"]
        assert chain[0][1][rollups.WATERMARK_KEY] == str(_readings_head(lake))
        assert chain[2][1]["deleted-data-files"] == "1" and "added-delete-files" not in chain[2][1]
        assert chain[1][1]["added-records"] == "13"  # the day's pieces: 4 numeric, 4 state ends, 5 entries
        assert table.inspect.delete_files().num_rows == 0
    finally:
        engine.close()


class Stopped(Exception):
    """What a refresher killed between the two commits leaves: the rows, no watermark."""


def test_a_round_stopped_between_its_commits_is_repaired_exactly_once(
    lake: Lake, trino: TrinoEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = QueryEngine(lake)
    try:
        lake.readings().append(_readings("parts", PARTS))
        rollups.refresh(lake, engine=engine, today=TODAY, trino=trino)
        before = lake.readings().current_snapshot()
        assert before is not None
        lake.readings().append(_readings("parts", [(_at(DAY, "12:30"), 3)]))  # a late reset on day 1

        def stop(*args: Any) -> None:
            raise Stopped

        monkeypatch.setattr(watermark, "_mark", stop)
        with pytest.raises(Stopped):
            rollups.refresh(lake, engine=engine, today=TODAY, trino=trino)
        monkeypatch.undo()

        pieces = lake.catalog.load_table(f"{lake.config.namespace}.item_pieces")
        # the rows are in (Trino committed them), without a watermark: no reader uses the rollups
        assert snapshot_property(pieces, rollups.WATERMARK_KEY) is None
        assert snapshot_property(pieces, "trino_query_id")
        assert last_watermark(pieces)[0] == str(before.snapshot_id)
        assert all(rollups.current_rollup(lake, rollup) is None for rollup in rollups.ROLLUPS)
        assert rollups.closed_rollup(lake, TODAY) is None
        flt = ReadingFilter(item_ids=("parts",), start=H, end=H + timedelta(days=1))
        assert rollups.series(engine, flt, None, "1d", "UTC") is None  # the caller reads the readings

        done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=TODAY, trino=trino)}
        assert done["item_pieces"].days == 1
        # each reading once: the day's numeric pieces and the day's counter, as from scratch
        assert _hours(engine) == {
            (D0, BEFORE + timedelta(hours=23), "factory-pieces", "parts"): (1, 100.0, 100.0, 100.0),
            **HOURS_OF_PARTS,
            (D1, H + timedelta(hours=12), "factory-pieces", "parts"): (1, 3.0, 3.0, 3.0),
            (D2, AFTER, "factory-pieces", "parts"): (1, 50.0, 50.0, 50.0),
        }
        daily = _daily(engine)
        assert daily[(D1, "parts", None, None)] == (0.0, 95.0, 6)  # 10 + 20 + 5 + 20 + 3 + 37
        assert daily[(D2, "parts", None, None)] == (0.0, 10.0, 1)
        assert sum(readings for _, _, readings in daily.values()) == len(PARTS) + 1
    finally:
        engine.close()


def test_a_commit_between_trino_and_the_watermark_starts_the_round_again(
    lake: Lake, trino: TrinoEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another commit on the pieces (one that did not take the commit lock) lands right after Trino's
    insert: the watermark is not committed on top of it; the round starts again and replaces the days."""
    engine = QueryEngine(lake)
    try:
        lake.readings().append(_three_factories())
        statements = trino.run
        foreign: list[int] = []

        def then_another_commit(sql: str, params: Any) -> str:
            query = statements(sql, params)
            if sql.startswith("INSERT") and "item_pieces" in sql and not foreign:
                table = lake.catalog.load_table(f"{lake.config.namespace}.item_pieces")
                table.append(rollups.PIECES.schema.empty_table())
                foreign.append(_head(table))
            return query

        monkeypatch.setattr(trino, "run", then_another_commit)
        done = {d.table: d for d in rollups.refresh(lake, engine=engine, today=TODAY, trino=trino)}
        assert done["item_pieces"].retries == 1 and len(foreign) == 1
        assert _pieces(engine) == PIECES  # replaced, not added to: each piece once
        table = lake.catalog.load_table(f"{lake.config.namespace}.item_pieces")
        assert table.snapshot_by_id(foreign[0]) is not None
        assert snapshot_property(table, rollups.WATERMARK_KEY) == str(_readings_head(lake))
    finally:
        engine.close()


def test_the_job_computes_through_trino_when_the_setting_says_so(
    lake: Lake, tmp_path: Path, trino_started: None
) -> None:
    lake.readings().append(_readings("parts", PARTS))
    env = os.environ | {
        "SMARTMFG_TOPOLOGY": "embedded",
        "SMARTMFG_DATA_DIR": str(tmp_path),
        "SMARTMFG_LAKE_CATALOG_URL": lake.config.catalog_url,
        "SMARTMFG_LAKE_WAREHOUSE": lake.config.warehouse,
        "SMARTMFG_LAKE_NAMESPACE": lake.config.namespace,
        "SMARTMFG_ANALYTICS_ROLLUP_ENGINE": "trino",
        "SMARTMFG_TRINO_URL": TRINO_URL,
    }
    done = subprocess.run(
        [sys.executable, "-m", "catalog.rollups"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    engine = QueryEngine(lake)
    try:
        for rollup in rollups.ROLLUPS:  # each current, its rows committed by Trino under the watermark
            table = rollups.current_rollup(lake, rollup)
            assert table is not None, rollup.name
            head = table.current_snapshot()
            assert head is not None and head.parent_snapshot_id is not None
            parent = table.snapshot_by_id(head.parent_snapshot_id)
            assert parent is not None and parent.summary is not None, rollup.name
            assert parent.summary.additional_properties["trino_query_id"], rollup.name
        assert _hours(engine) == {
            (D0, BEFORE + timedelta(hours=23), "factory-pieces", "parts"): (1, 100.0, 100.0, 100.0),
            **HOURS_OF_PARTS,
            (D2, AFTER, "factory-pieces", "parts"): (1, 50.0, 50.0, 50.0),
        }
    finally:
        engine.close()


def test_the_setting_chooses_trino() -> None:
    settings = PlatformSettings(topology="embedded", analytics={"rollup_engine": "trino"})
    chosen = rollups.rollup_engine(settings)
    assert isinstance(chosen, TrinoEngine) and chosen.url == "http://127.0.0.1:58090"
    assert rollups.rollup_engine(PlatformSettings(topology="embedded")) is None
