"""The lake writer's appends: partition split per message, Parquet written from dictionary columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pyiceberg.expressions import EqualTo, GreaterThanOrEqual

from catalog import appends
from catalog.lake import READINGS_SCHEMA, Lake
from ingest import messages
from ingest.bus import Record
from ingest.writer import Fenced, RecentKeys, Sink
from services.kit import arrow
from tests.catalog.conftest import LAKES, make_setup

START = datetime(2025, 11, 3, tzinfo=UTC)


def readings(
    rows: int,
    *,
    days: int = 1,
    models: tuple[str, ...] = ("cnc-lathe",),
    batch_key: str = "factory-a/b1/0",
    ingested_at: datetime = START,
) -> pa.Table:
    """Rows as a lake writer receives them: decoded from a bus message, text as dictionaries."""
    step = (timedelta(days=days) if days > 1 else timedelta(hours=1)) / rows
    table = pa.table(
        {
            "factory_id": ["factory-a"] * rows,
            "org_id": ["org-a"] * rows,
            "equipment_id": [f"eq-{i % 3}" for i in range(rows)],
            "model_id": [models[i % len(models)] for i in range(rows)],
            "model_version": ["1.0.0"] * rows,
            "item_id": ["spindle_speed"] * rows,
            "ts": [START + i * step for i in range(rows)],
            "value_num": [float(i) for i in range(rows)],
            "value_text": [None] * rows,
            "unit": ["rpm"] * rows,
            "quality": ["good"] * rows,
            "batch_key": [batch_key] * rows,
            "ingested_at": [ingested_at] * rows,
        },
        schema=READINGS_SCHEMA,
    )
    return appends.conform(messages.decode(messages.encode(table)), appends.wire_schema(READINGS_SCHEMA))


@pytest.fixture(params=LAKES)
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    with make_setup(request, request.param, tmp_path) as setup:
        lake = setup.lake()
        lake.ensure_tables()
        yield lake


def test_a_message_of_one_day_and_one_model_is_one_partition(lake: Lake) -> None:
    rows = readings(500)
    parts = list(appends.split(lake.readings(), rows))
    day = (START.date() - datetime(1970, 1, 1).date()).days
    assert [values for values, _ in parts] == [(day, "cnc-lathe")]
    assert parts[0][1] is rows  # nothing copied


def test_rows_spanning_days_and_models_are_split_by_partition(lake: Lake) -> None:
    rows = readings(3000, days=3, models=("cnc-lathe", "press", "robot"))
    parts = dict(appends.split(lake.readings(), rows))
    assert len(parts) == 9
    assert sum(part.num_rows for part in parts.values()) == 3000
    for (day, model), part in parts.items():
        assert set(part["model_id"].to_pylist()) == {model}
        days = pc.divide(part["ts"].cast(pa.int64()), 86_400_000_000)
        assert set(days.to_pylist()) == {day}


def test_written_files_read_back_as_text_with_statistics_that_prune(lake: Lake) -> None:
    rows = readings(2000, days=2, models=("cnc-lathe", "press"))
    table = lake.readings()
    files = [appends.write(table, values, [part]) for values, part in appends.split(table, rows)]
    appends.commit(table, files, {"smartmfg.test": "1"})

    table = lake.readings()
    assert table.current_snapshot().summary["smartmfg.test"] == "1"  # type: ignore[union-attr]
    back = table.scan().to_arrow()
    assert back.schema.field("equipment_id").type == pa.string()
    assert (
        back.sort_by("value_num").to_pylist() == rows.cast(READINGS_SCHEMA).sort_by("value_num").to_pylist()
    )
    press_next_day = table.scan(
        row_filter=EqualTo("model_id", "press")
        & GreaterThanOrEqual("ts", (START + timedelta(days=1)).isoformat())
    )
    assert len(list(press_next_day.plan_files())) == 1
    assert all(f.lower_bounds and f.upper_bounds and f.null_value_counts for f in files)
    if lake.config.warehouse.startswith("file://"):
        local = files[0].file_path.removeprefix("file://")
        kinds = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{local}')").fetchall()
        assert {name: kind for name, kind, *_ in kinds}["factory_id"] == "VARCHAR"


def test_a_writer_taking_over_partitions_knows_the_batch_keys_of_its_window(lake: Lake) -> None:
    now = datetime.now(UTC)
    table = lake.readings()
    for key, age in (("factory-a/old/0", timedelta(days=10)), ("factory-a/new/0", timedelta(hours=1))):
        rows = readings(20, batch_key=key, ingested_at=now - age)
        appends.commit(table, [appends.write(table, v, [p]) for v, p in appends.split(table, rows)], {})
        table = lake.readings()
    sink = Sink("readings", lake.catalog, lake.readings_id, READINGS_SCHEMA, "ingested_at", timedelta(days=7))
    assert sink.assign({0}) == {0: 0}
    # the 10-day-old batch is outside the window
    assert "factory-a/new/0" in sink.seen and "factory-a/old/0" not in sink.seen and len(sink.seen) == 1

    def message(offset: int, key: str) -> Record:
        return Record(
            "t", 0, offset, b"factory-a", messages.encode(readings(5, batch_key=key)), {"batch_key": key}
        )

    sink.add(message(0, "factory-a/new/0"))  # republished: skipped
    sink.add(message(1, "factory-a/next/0"))
    assert sink.pending_rows == 5 and sink.next_offsets == {0: 2}


def _message(offset: int) -> Record:
    key = f"factory-a/b{offset}/0"
    rows = readings(5, batch_key=key, ingested_at=datetime.now(UTC))
    return Record("t", 0, offset, b"factory-a", messages.encode(rows), {"batch_key": key})


def _sink(lake: Lake) -> Sink:
    return Sink("readings", lake.catalog, lake.readings_id, READINGS_SCHEMA, "ingested_at", timedelta(days=7))


def _lake_rows(lake: Lake) -> tuple[int, dict[int, int]]:
    table = lake.readings()
    return table.scan().to_arrow().num_rows, appends.table_offsets(table)


@pytest.mark.parametrize("first", ["stale writer", "new owner"])
def test_a_writer_that_lost_its_partition_unheard_commits_nothing_twice(lake: Lake, first: str) -> None:
    """Two writers believe they own partition 0 (the old one was thrown out of the group and has not heard
    of it yet): both buffered offsets 0-3 from the same table offsets. Whichever commits second is fenced,
    and consuming again from the table resumes after what the first committed."""
    stale, owner = _sink(lake), _sink(lake)
    assert stale.assign({0}) == {0: 0} and owner.assign({0}) == {0: 0}
    for offset in range(4):
        stale.add(_message(offset))
        owner.add(_message(offset))
    winner, loser = (stale, owner) if first == "stale writer" else (owner, stale)

    winner.commit()
    with pytest.raises(Fenced, match=r"partitions \[0\] were committed by another writer"):
        loser.commit()

    assert _lake_rows(lake) == (20, {0: 4})
    assert loser.assign({0}) == {0: 4}, "consumed again from the table's offsets"
    loser.add(_message(3))  # a message before the table's offset, fetched again: known by its batch key
    loser.add(_message(4))
    loser.commit()
    assert _lake_rows(lake) == (25, {0: 5})


def test_factorize_gives_the_same_groups_when_codes_would_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [
        arrow.as_dictionary(pa.array(values))
        for values in (["a", "b", None, "a", "b"], ["x", "x", "y", "y", "x"], ["1", None, "1", "2", None])
    ]
    group, combos = arrow.factorize(columns)
    monkeypatch.setattr(arrow, "_MAX_CODE", 4)
    small_group, small_combos = arrow.factorize(columns)
    rows = list(zip(*(c.to_pylist() for c in columns), strict=True))
    assert [combos[g] for g in group.to_pylist()] == rows
    assert [small_combos[g] for g in small_group.to_pylist()] == rows


def test_the_writers_memory_of_batch_keys_is_bounded_in_time_and_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("ingest.writer.time.monotonic", lambda: clock[0])
    keys = RecentKeys(timedelta(seconds=60), limit=3)
    for n in range(5):
        keys.add(f"k{n}")
    assert [k for k in (f"k{n}" for n in range(5)) if k in keys] == ["k2", "k3", "k4"]
    clock[0] += 61
    keys.add("k5")
    assert len(keys) == 1 and "k5" in keys
