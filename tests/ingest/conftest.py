"""Ingest fixtures: an app on real Kafka, MinIO and PostgreSQL, and lake writers as separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from catalog.lake import Lake, LakeConfig
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from tests.factories import model_body, register_factory

GATEWAY = {"roles": ("gateway",), "org_id": "org-sme-1", "factory_id": "factory-sme-1-a"}


@pytest.fixture
def lake_settings(database_url: str, tmp_path: Path) -> PlatformSettings:
    """Embedded identity with the distributed data path: Kafka, Iceberg on MinIO, catalog in PostgreSQL."""
    run = uuid.uuid4().hex[:8]
    return PlatformSettings(
        topology="embedded",
        database={"url": database_url},
        data_dir=tmp_path / "data",
        public_url="http://testserver",
        bus={"kind": "kafka", "topic_prefix": f"test-{run}"},
        lake={"catalog_url": database_url, "warehouse": f"s3://smartmfg-lake/test-{run}"},
        writer={"embedded": False, "flush_seconds": 0.5, "group": f"test-{run}"},
    )


@pytest.fixture
def lake_client(lake_settings: PlatformSettings) -> Iterator[TestClient]:
    with TestClient(create_app(lake_settings)) as client:
        yield client


def writer_env(settings: PlatformSettings) -> dict[str, str]:
    return {**os.environ, **settings.replaced(topology="embedded").environment()}


class WriterProcess:
    def __init__(self, settings: PlatformSettings, log: Path, *args: str) -> None:
        self.env, self.log, self.args = writer_env(settings), log, args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ingest.writer", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def writer(lake_settings: PlatformSettings, tmp_path: Path) -> Iterator[WriterProcess]:
    process = WriterProcess(lake_settings, tmp_path / "writer.log")
    yield process
    process.kill()


@pytest.fixture
def gateway(lake_client: TestClient) -> dict[str, str]:
    issuer = state_of(lake_client.app).get(DEV_ISSUER)
    token = issuer.issue(
        subject="service-account-edge-gw-demo-1",
        roles=list(GATEWAY["roles"]),
        org_id=GATEWAY["org_id"],
        factory_id=GATEWAY["factory_id"],
        client_id="edge-gw-demo-1",
    )
    return {"Authorization": f"Bearer {token}", "X-Factory-Id": str(GATEWAY["factory_id"])}


@pytest.fixture
def published_model(lake_client: TestClient) -> str:
    issuer = state_of(lake_client.app).get(DEV_ISSUER)
    admin = {"Authorization": "Bearer " + issuer.issue(subject="a", roles=["admin"], org_id="org-operator")}
    assert lake_client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
    assert (
        lake_client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code
        == 200
    )
    register_factory(
        lake_client, admin, company_id=str(GATEWAY["org_id"]), factory_id=str(GATEWAY["factory_id"])
    )
    return "cnc-lathe"


def readings(n: int, *, start: int = 0, item: str = "spindle_speed", **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "equipment_id": f"eq-{i % 7}",
            "model_id": "cnc-lathe",
            "model_version": "1.0.0",
            "item_id": item,
            "ts": f"2025-11-{1 + i % 20:02d}T{i % 24:02d}:00:00+09:00",
            "value": float(i % 5000),
            **extra,
        }
        for i in range(start, start + n)
    ]


Upload = Callable[..., Any]


@pytest.fixture
def upload(lake_client: TestClient, gateway: dict[str, str]) -> Upload:
    def send(batch_id: str, rows: list[dict[str, Any]], **params: str) -> Any:
        return lake_client.post(
            "/api/v1/ingest/batches",
            params=params,
            content=orjson.dumps({"readings": rows}),
            headers={**gateway, "X-Batch-Id": batch_id, "Content-Type": "application/json"},
        )

    return send


def lake_rows(settings: PlatformSettings) -> Any:
    return Lake(LakeConfig.from_settings(settings)).readings().scan().to_arrow()


def wait_for_rows(settings: PlatformSettings, expected: int, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        table = lake_rows(settings)
        if table.num_rows >= expected or time.monotonic() > deadline:
            return table
        time.sleep(0.5)
