"""A message no writer can decode is dead-lettered once, its offset passed; the writer's health is visible."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from catalog.lake import Lake, LakeConfig
from ingest.bus import Outgoing
from ingest.lifecycle import WRITER
from ingest.runtime import RUNTIME, IngestRuntime
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from tests.ingest.conftest import Upload, WriterProcess, lake_rows, readings, wait_for_rows
from tests.ingest.edge.ports import free_port

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _dead_letters(settings: PlatformSettings) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        Lake(LakeConfig.from_settings(settings)).dead_letters().scan().to_arrow().to_pylist()
    )
    return rows


def _wait(condition: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return value


def test_a_poison_message_becomes_one_dead_letter_and_the_stream_goes_on(
    published_model: str,
    upload: Upload,
    lake_client: TestClient,
    lake_settings: PlatformSettings,
    tmp_path: Path,
) -> None:
    runtime: IngestRuntime = state_of(lake_client.app).get(RUNTIME)
    assert upload("before", readings(100)).status_code == 202
    headers = {
        "batch_key": "factory-sme-1-a/garbled/0",
        "factory_id": "factory-sme-1-a",
        "org_id": "org-sme-1",
    }
    runtime.bus.publish([Outgoing(runtime.topics.telemetry, b"factory-sme-1-a", b"\x00not arrow", headers)])
    assert upload("after", readings(50, start=100)).status_code == 202
    port = free_port()
    writer = WriterProcess(lake_settings, tmp_path / "writer.log", "--port", str(port))
    writer.start()
    try:
        assert wait_for_rows(lake_settings, 150).num_rows == 150
        letters = _wait(lambda: [r for r in _dead_letters(lake_settings) if r["field"] == "message"])
        assert len(letters) == 1, letters
        letter = letters[0]
        assert letter["factory_id"] == "factory-sme-1-a" and letter["batch_id"] == "garbled"
        assert "undecodable bus message" in letter["reason"]
        status = _wait(lambda: _get(f"http://127.0.0.1:{port}/readyz"))
        assert status.status_code == 200, status.text
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        # At least once: a rebalance before the letter commits hands the message over again (the lake
        # still holds one letter, checked above and below).
        counted = re.search(r'smartmfg_writer_poison_messages_total\{sink="readings"\} ([0-9.]+)', metrics)
        assert counted is not None and float(counted.group(1)) >= 1
        # A restart resumes after the poison message: nothing again, neither rows nor the letter.
        writer.kill()
        writer.start()
        assert upload("later", readings(10, start=200)).status_code == 202
        assert wait_for_rows(lake_settings, 160).num_rows == 160
        time.sleep(2)
        assert lake_rows(lake_settings).num_rows == 160
        assert len([r for r in _dead_letters(lake_settings) if r["field"] == "message"]) == 1
    finally:
        writer.kill()


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


def test_the_embedded_writer_is_part_of_readiness(database_url: str, tmp_path: Path) -> None:
    settings = PlatformSettings(
        topology="embedded", database={"url": database_url}, data_dir=tmp_path / "data"
    )
    with TestClient(create_app(settings, run_migrations=True)) as client:
        assert client.get("/readyz").status_code == 200
        assert "smartmfg_writer_committed_rows_total" in client.get("/metrics").text
        embedded = state_of(client.app).get(WRITER)
        embedded.close()  # the writer thread is gone: the process must say it is not ready
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert "lake-writer" in answer.text
