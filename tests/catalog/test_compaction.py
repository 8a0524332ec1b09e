"""Compaction on MinIO + PostgreSQL and on the local lake: same rows, fewer files, offsets carried forward, a
concurrent commit fails the attempt and is retried, and the lake writer keeps working without duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from pyiceberg.table import Table

from catalog.appends import OFFSETS_KEY, table_offsets
from catalog.compaction import Options, compact_lake, compact_table
from catalog.lake import Lake, ensure_bucket
from catalog.query import QueryEngine, ReadingFilter
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import DAYS, LAKES, LakeSetup, day_rows, make_setup, seed
from tests.factories import model_body, register_factory

SORT = ["factory_id", "model_id", "item_id", "equipment_id", "ts", "batch_key", "value_num", "value_text"]


def _rows(table: Table) -> pa.Table:
    return table.scan().to_arrow().sort_by([(c, "ascending") for c in SORT])


def _files(table: Table) -> int:
    return len(list(table.scan().plan_files()))


@pytest.fixture(params=LAKES)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LakeSetup]:
    with make_setup(request, request.param, tmp_path) as lake_setup:
        ensure_bucket(lake_setup.settings)
        lake_setup.lake().ensure_tables()
        yield lake_setup


def test_compaction_keeps_every_row_and_the_offsets(setup: LakeSetup) -> None:
    lake = setup.lake()
    seed(lake)
    before = lake.readings()
    rows_before, offsets_before, files_before = _rows(before), table_offsets(before), _files(before)
    events: list[tuple[str, dict[str, Any]]] = []

    reports = compact_lake(lake, Options(), lambda event, details: events.append((event, details)))

    after = lake.readings()
    assert files_before == 24 and _files(after) == 8  # one file per (day, model) partition
    assert reports["readings"].files_before == 24 and reports["readings"].files_after == 8
    assert len(reports["readings"].partitions) == 8 and reports["readings"].retries == 0
    assert _rows(after).equals(rows_before)
    snapshot = after.current_snapshot()
    assert snapshot is not None and snapshot.summary is not None
    assert snapshot.summary.operation.value == "replace"
    assert table_offsets(after) == offsets_before == {0: 16}
    assert snapshot.summary["total-records"] == str(rows_before.num_rows)
    assert [e for e, _ in events].count("committed") == 8
    # Partition pruning still leaves one file for one factory's day; DuckDB filters the rows inside it.
    rows, _, plan = QueryEngine(lake).readings(
        ReadingFilter(factory_ids=("factory-sme-2-a",), model_id="cnc-lathe", start=DAYS[1], end=DAYS[2]),
        None,
        1000,
    )
    assert (len(plan.files), plan.files_total, len(rows)) == (1, 8, 56)
    # Nothing left to do on a second run.
    again = compact_table(lake.readings, Options())
    assert again.partitions == [] and lake.readings().current_snapshot() == snapshot


def test_a_concurrent_commit_fails_the_attempt_which_is_planned_again(setup: LakeSetup) -> None:
    lake = setup.lake()
    seed(lake)
    rows_before = _rows(lake.readings())
    late = day_rows("factory-sme-3-a", DAYS[0] + timedelta(days=7)).slice(0, 10)  # one file, a new partition
    raced: list[dict[str, Any]] = []

    def writer_commits_meanwhile(event: str, details: dict[str, Any]) -> None:
        if event == "committing" and not raced:
            raced.append(details)
            lake.readings().append(late, snapshot_properties={OFFSETS_KEY: json.dumps({"0": 17, "1": 3})})

    report = compact_table(lake.readings, Options(), writer_commits_meanwhile)

    first = report.partitions[0]
    assert first.attempts == 2 and first.files_before == 4
    assert report.retries == 1
    after = lake.readings()
    # The writer's offsets survive: the retried compaction carried the newer ones, not those it began with.
    assert table_offsets(after) == {0: 17, 1: 3}
    expected = pa.concat_tables([rows_before, late]).sort_by([(c, "ascending") for c in SORT])
    assert _rows(after).equals(expected)
    assert _files(after) == 9  # the writer's file was not among those rewritten: it stays as it came


def test_the_command_prints_progress_and_expires_snapshots(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with make_setup(request, "local", tmp_path) as local:
        lake = local.lake()
        lake.ensure_tables()
        seed(lake)
        env = {
            **os.environ,
            "SMARTMFG_DATA_DIR": str(local.settings.data_dir),
            "SMARTMFG_TOPOLOGY": "embedded",
        }
        done = subprocess.run(
            [sys.executable, "-m", "catalog.compaction", "--expire-older-than-hours", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "readings: 8 partition(s) to compact, 24 small file(s)" in done.stdout
        assert "ts_day=2025-11-02/model_id=cnc-lathe: 4 -> 1 file(s), 224 rows" in done.stdout
        assert (
            "readings: 8 partition(s), 24 -> 8 file(s), 0 retried commit(s), 23 snapshot(s) expired"
            in done.stdout
        )
        table = lake.readings()
        assert len(table.snapshots()) == 1 and table_offsets(table) == {0: 16}


def _gateway(client: TestClient) -> dict[str, str]:
    issuer = state_of(client.app).get(DEV_ISSUER)
    token = issuer.issue(
        subject="service-account-edge-gw-demo-1",
        roles=["gateway"],
        org_id="org-sme-1",
        factory_id="factory-sme-1-a",
        client_id="edge-gw-demo-1",
    )
    return {"Authorization": f"Bearer {token}", "X-Factory-Id": "factory-sme-1-a"}


def _upload(client: TestClient, batch: str, n: int = 90) -> Any:
    """n readings over three days: every batch adds a small file to three partitions."""
    rows = [
        {
            "equipment_id": f"eq-{i % 3}",
            "model_id": "cnc-lathe",
            "model_version": "1.0.0",
            "item_id": "spindle_speed",
            "ts": f"2025-11-0{1 + i % 3}T{i % 24:02d}:00:00Z",
            "value": float(i),
        }
        for i in range(n)
    ]
    return client.post(
        "/api/v1/ingest/batches",
        content=orjson.dumps({"readings": rows}),
        headers={**_gateway(client), "X-Batch-Id": batch, "Content-Type": "application/json"},
    )


def _wait_rows(lake: Lake, expected: int, timeout_s: float = 60) -> pa.Table:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = lake.readings().scan(selected_fields=("batch_key",)).to_arrow()
        if rows.num_rows >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def _per_batch(rows: pa.Table) -> dict[str, int]:
    return dict(Counter(key.split("/")[1] for key in rows["batch_key"].to_pylist()))


@pytest.fixture(params=LAKES)
def writing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LakeSetup]:
    """A platform running its lake writer in-process, on the local bus; its lake on MinIO + PostgreSQL or
    local. (Kafka to the lake is covered by tests/ingest; here the lake side of the race matters.)"""
    with make_setup(request, request.param, tmp_path, writer={"embedded": True}) as lake_setup:
        yield lake_setup


def test_the_writer_keeps_working_during_and_after_compaction(writing: LakeSetup) -> None:
    lake = writing.lake()
    expected: dict[str, int] = {}
    with TestClient(create_app(writing.settings)) as client:
        issuer = state_of(client.app).get(DEV_ISSUER)
        token = issuer.issue(subject="a", roles=["admin"], org_id="org-operator")
        admin = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
        published = client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin)
        assert published.status_code == 200
        register_factory(client, admin)
        for n in range(5):  # one commit each: 5 small files in each of 3 partitions
            assert _upload(client, f"a-{n}").status_code == 202
            expected[f"a-{n}"] = 90
            _wait_rows(lake, sum(expected.values()))
        offsets_before, files_before = table_offsets(lake.readings()), _files(lake.readings())
        assert files_before == 15

        result: dict[str, Any] = {}

        def compact() -> None:
            try:
                result.update(compact_lake(lake, Options()))
            except Exception as exc:  # reported by the assertion below
                result["error"] = exc

        compaction = threading.Thread(target=compact)
        compaction.start()
        n = 0
        while compaction.is_alive() or n < 3:  # the writer commits while the compaction rewrites
            assert _upload(client, f"b-{n}").status_code == 202
            expected[f"b-{n}"] = 90
            n += 1
            time.sleep(0.1)
        compaction.join()
        assert "error" not in result, repr(result.get("error"))
        assert result["readings"].partitions, "the compaction rewrote nothing"
        assert _upload(client, "a-0").json()["duplicate"] is True  # a retried upload changes nothing
        assert _per_batch(_wait_rows(lake, sum(expected.values()))) == expected

    # A new writer resumes from the offsets the snapshots carried through the compaction: nothing twice.
    offsets_after = table_offsets(lake.readings())
    assert all(offsets_after[p] >= o for p, o in offsets_before.items())
    with TestClient(create_app(writing.settings)) as client:
        assert _upload(client, "c-0").status_code == 202
        expected["c-0"] = 90
        rows = _wait_rows(lake, sum(expected.values()))
        time.sleep(1.5)  # anything replayed twice would land by now
        rows = _wait_rows(lake, sum(expected.values()))
    assert _per_batch(rows) == expected and rows.num_rows == sum(expected.values())
