"""A lake that refuses commits does not make the writer's buffer grow: it retries the full buffer only, the
rest waits on the bus, and once the lake is back every reading lands exactly once.

Found by the soak (bench/soak.py): during a MinIO restart the writer kept consuming while its commits
failed, its buffer went from 1.5 M to 6.4 M readings in 23 s and its memory to 2.3 GB. The outage here is
real: the readings table's data directory is a regular file until the lake is "repaired"."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa

from catalog.appends import stamped
from catalog.lake import READINGS_SCHEMA
from ingest import messages
from ingest.bus import Outgoing
from ingest.runtime import IngestRuntime
from ingest.writer import LakeWriter
from services.kit.settings import PlatformSettings

MESSAGES, ROWS = 1200, 10  # more messages than one poll takes (500)
FLUSH_ROWS = 1000


def message(n: int) -> Outgoing:
    start = datetime(2025, 11, 24, tzinfo=UTC)
    rows = pa.table(
        {
            "equipment_id": ["eq-1"] * ROWS,
            "model_id": ["cnc-lathe"] * ROWS,
            "model_version": ["1.0.0"] * ROWS,
            "item_id": ["spindle_speed"] * ROWS,
            "ts": pa.array(
                [start + timedelta(seconds=n * ROWS + i) for i in range(ROWS)], pa.timestamp("us", "UTC")
            ),
            "value_num": [float(i) for i in range(ROWS)],
            "value_text": pa.nulls(ROWS, pa.string()),
            "unit": ["rpm"] * ROWS,
            "quality": ["good"] * ROWS,
        }
    )
    key = f"factory-1/batch-{n}/0"
    table = stamped(rows, factory_id="factory-1", org_id="org-1", batch_key=key, column="ingested_at")
    headers = {"batch_key": key, "factory_id": "factory-1", "org_id": "org-1"}
    return Outgoing("", b"factory-1", messages.encode(table.select(READINGS_SCHEMA.names)), headers)


def wait_for(condition: object, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_a_refused_commit_stops_consuming_and_nothing_is_lost(tmp_path: Path) -> None:
    settings = PlatformSettings(
        topology="embedded", data_dir=tmp_path, writer={"embedded": False, "flush_rows": FLUSH_ROWS}
    )
    runtime = IngestRuntime.open(settings)
    runtime.bus.publish(
        [Outgoing(runtime.topics.telemetry, m.key, m.value, m.headers) for m in map(message, range(MESSAGES))]
    )
    data = Path(urlparse(runtime.lake.readings().location()).path) / "data"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("not a directory: every data file write fails")  # the outage
    writer = LakeWriter(runtime)
    sink = writer.sinks[runtime.topics.telemetry]
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: writer.health.failures >= 3)
        # the first poll's 500 messages, and nothing more however long the outage lasts
        assert sink.pending_rows == 500 * ROWS
        assert sink.committed_rows == 0
        os.remove(data)  # the lake is back
        wait_for(lambda: sink.committed_rows == MESSAGES * ROWS)
    finally:
        stop.set()
        thread.join(60)
        runtime.close()
    assert runtime.lake.readings().scan().to_arrow().num_rows == MESSAGES * ROWS
