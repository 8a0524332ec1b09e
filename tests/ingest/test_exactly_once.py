"""Reliability of edge-to-lake ingestion on real Kafka, MinIO and PostgreSQL: nothing lost, nothing twice."""

from __future__ import annotations

import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient

from services.kit.settings import PlatformSettings
from tests.ingest.conftest import Upload, WriterProcess, lake_rows, readings, wait_for_rows

pytestmark = [pytest.mark.parametrize("database_url", ["postgres"], indirect=True), pytest.mark.slow]
CTL = Path(__file__).resolve().parents[2] / "infra" / "ctl.sh"


def _assert_exactly_once(settings: PlatformSettings, expected: dict[str, int]) -> None:
    table = wait_for_rows(settings, sum(expected.values()))
    per_batch = Counter(key.rsplit("/", 1)[0].split("/", 1)[1] for key in table["batch_key"].to_pylist())
    assert dict(per_batch) == expected
    assert table.num_rows == sum(expected.values())


def test_upload_lands_once_and_retries_are_harmless(
    published_model: str, upload: Upload, writer: WriterProcess, lake_settings: PlatformSettings
) -> None:
    writer.start()
    first = upload("b-1", readings(3000))
    assert first.status_code == 202 and first.json()["accepted"] == 3000
    again = upload("b-1", readings(3000))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert upload("b-2", readings(10, start=5)).status_code == 202
    _assert_exactly_once(lake_settings, {"b-1": 3000, "b-2": 10})
    table = lake_rows(lake_settings)
    assert set(table["factory_id"].to_pylist()) == {"factory-sme-1-a"}
    assert set(table["org_id"].to_pylist()) == {"org-sme-1"}
    assert pc.min(table["ts"]).as_py().isoformat() == "2025-10-31T15:00:00+00:00"  # +09:00 stored as UTC


def test_sigkilled_writer_resumes_from_the_table(
    published_model: str, upload: Upload, writer: WriterProcess, lake_settings: PlatformSettings
) -> None:
    expected: dict[str, int] = {}
    rng = random.Random(7)
    for round_ in range(4):
        for n in range(5):
            batch = f"k-{round_}-{n}"
            assert upload(batch, readings(2000, start=n)).status_code == 202
            expected[batch] = 2000
        writer.start()
        time.sleep(rng.uniform(0.8, 2.5))  # somewhere in the middle of reading, buffering or committing
        writer.kill()
    writer.start()
    _assert_exactly_once(lake_settings, expected)


@pytest.mark.serial  # stops a server every other test uses (tests/workers.py)
def test_kafka_restart_refuses_uploads_then_loses_nothing(
    published_model: str, upload: Upload, writer: WriterProcess, lake_settings: PlatformSettings
) -> None:
    writer.start()
    assert upload("before", readings(500)).status_code == 202
    wait_for_rows(lake_settings, 500)
    subprocess.run(["bash", str(CTL), "down", "kafka"], check=True, capture_output=True)
    try:
        refused = upload("during", readings(500))
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert refused.json()["error"] == "ServiceUnavailable"
    finally:
        subprocess.run(["bash", str(CTL), "up", "kafka"], check=True, capture_output=True)
    deadline = time.monotonic() + 60
    while (answer := upload("during", readings(500))).status_code == 503 and time.monotonic() < deadline:
        time.sleep(1)
    assert answer.status_code == 202
    _assert_exactly_once(lake_settings, {"before": 500, "during": 500})


@pytest.mark.serial  # stops a server every other test uses (tests/workers.py)
def test_minio_outage_of_30s_delays_but_loses_nothing(
    published_model: str,
    upload: Upload,
    writer: WriterProcess,
    lake_settings: PlatformSettings,
    lake_client: TestClient,
    tmp_path: Path,
) -> None:
    # Two writers share the partitions; one dies during the outage, and the survivor must take over its
    # partitions while the lake (which holds their offsets) cannot be read.
    dying = WriterProcess(lake_settings, tmp_path / "writer-2.log")
    writer.start()
    dying.start()
    assert upload("m-0", readings(300)).status_code == 202
    wait_for_rows(lake_settings, 300)
    subprocess.run(["bash", str(CTL), "down", "minio"], check=True, capture_output=True)
    try:
        for n in range(1, 4):
            assert upload(f"m-{n}", readings(300)).status_code == 202  # Kafka still takes them
        dying.kill()
        time.sleep(30)
        assert lake_client.get("/readyz").status_code in (200, 503)
    finally:
        subprocess.run(["bash", str(CTL), "up", "minio"], check=True, capture_output=True)
    try:
        _assert_exactly_once(lake_settings, {f"m-{n}": 300 for n in range(4)})
        assert writer.proc is not None and writer.proc.poll() is None, "the surviving writer died"
    finally:
        dying.kill()
