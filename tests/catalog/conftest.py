"""Analytics fixtures: a platform whose lake is Iceberg on real MinIO with its catalog in real PostgreSQL, or
the embedded lake (SQLite catalog, local directory); and a seeded world of factories of three SMEs."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from minio import Minio

from catalog.appends import OFFSETS_KEY
from catalog.lake import READINGS_SCHEMA, Lake, LakeConfig, ensure_bucket
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from tests.databases import PgDatabases

BUCKET = "smartmfg-lake"
MINIO = {"endpoint": "127.0.0.1:59000", "access_key": "smartmfg", "secret_key": "smartmfg-minio-secret"}

# factory -> owning organisation. Only two factories run presses: too few for a benchmark.
FACTORIES = {
    "factory-sme-1-a": "org-sme-1",
    "factory-sme-1-b": "org-sme-1",
    "factory-sme-2-a": "org-sme-2",
    "factory-sme-3-a": "org-sme-3",
}
PRESS_FACTORIES = ("factory-sme-1-a", "factory-sme-2-a")
DAYS = [datetime(2025, 11, d, tzinfo=UTC) for d in (1, 2, 3, 4)]
EQUIPMENT = ("eq-1", "eq-2")


def spindle(factory_id: str, hour: int) -> float:
    return 1000.0 + 100 * list(FACTORIES).index(factory_id) + hour


def day_rows(factory_id: str, day: datetime) -> pa.Table:
    """A factory's day: hourly spindle speeds and executions of two lathes, and press forces if it has one."""
    rows: list[dict[str, Any]] = []
    for hour in range(24):
        ts = day + timedelta(hours=hour)
        for eq in EQUIPMENT:
            base = {
                "factory_id": factory_id,
                "org_id": FACTORIES[factory_id],
                "equipment_id": eq,
                "model_version": "1.0.0",
                "ts": ts,
                "quality": "good",
                "batch_key": f"{factory_id}/seed-{day:%d}/0",
                "ingested_at": day + timedelta(days=1),
            }
            rows.append(
                {
                    **base,
                    "model_id": "cnc-lathe",
                    "item_id": "spindle_speed",
                    "value_num": spindle(factory_id, hour),
                    "value_text": None,
                    "unit": "rpm",
                }
            )
            if hour % 6 == 0:
                rows.append(
                    {
                        **base,
                        "model_id": "cnc-lathe",
                        "item_id": "execution",
                        "value_num": None,
                        "value_text": "RUNNING",
                        "unit": None,
                    }
                )
            if factory_id in PRESS_FACTORIES:
                rows.append(
                    {
                        **base,
                        "model_id": "press",
                        "item_id": "force",
                        "value_num": 50.0 + hour,
                        "value_text": None,
                        "unit": "kN",
                    }
                )
    return pa.Table.from_pylist(rows, schema=READINGS_SCHEMA)


def seed(lake: Lake) -> int:
    """One commit per factory and day, as a lake writer would make them; returns the number of commits."""
    table = lake.readings()
    commits = 0
    for day in DAYS:
        for factory_id in FACTORIES:
            commits += 1
            table.append(
                day_rows(factory_id, day), snapshot_properties={OFFSETS_KEY: json.dumps({"0": commits})}
            )
    return commits


def _new_database(request: pytest.FixtureRequest, backend: str, directory: Path) -> tuple[str, Any]:
    """A migrated database holding no test's rows (tests/conftest.py's) and its release."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        target = directory / "platform.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}", lambda: None
    databases: PgDatabases = request.getfixturevalue("_pg_databases")
    name = databases.acquire()
    return databases.url(name), lambda: databases.release(name)


def _remove_prefix(prefix: str) -> None:
    client = Minio(
        MINIO["endpoint"], access_key=MINIO["access_key"], secret_key=MINIO["secret_key"], secure=False
    )
    for obj in client.list_objects(BUCKET, prefix=prefix, recursive=True):
        client.remove_object(BUCKET, obj.object_name)


@dataclass
class LakeSetup:
    """Settings of one platform whose lake is on MinIO + PostgreSQL ("minio") or local ("local")."""

    kind: str
    settings: PlatformSettings

    def lake(self) -> Lake:
        ensure_bucket(self.settings)  # on a fresh MinIO the platform's start has not made it yet
        return Lake(LakeConfig.from_settings(self.settings))


@contextmanager
def make_setup(
    request: pytest.FixtureRequest, kind: str, directory: Path, **overrides: Any
) -> Iterator[LakeSetup]:
    run = uuid.uuid4().hex[:8]
    database_url, drop = _new_database(request, "postgres" if kind == "minio" else "sqlite", directory)
    (directory / "data").mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "topology": "embedded",
        "database": {"url": database_url},
        "data_dir": directory / "data",
        "public_url": "http://testserver",
        "bus": {"topic_prefix": f"test-cat-{run}"},
        "writer": {"embedded": False, "group": f"test-cat-{run}", "flush_seconds": 0.3},
    }
    if kind == "minio":
        values["lake"] = {"catalog_url": database_url, "warehouse": f"s3://{BUCKET}/test-catalog-{run}"}
    try:
        yield LakeSetup(kind, PlatformSettings(**values).replaced(**overrides))
    finally:
        drop()
        if kind == "minio":
            _remove_prefix(f"test-catalog-{run}/")


LAKES = ["minio", "local"]


@dataclass
class World:
    """A running platform over a lake seeded with FACTORIES x DAYS, and tokens of its dev issuer."""

    setup: LakeSetup
    client: TestClient
    commits: int

    def headers(
        self, *roles: str, org_id: str | None = None, factory_id: str | None = None
    ) -> dict[str, str]:
        issuer = state_of(self.client.app).get(DEV_ISSUER)
        token = issuer.issue(
            subject=f"user-{uuid.uuid4().hex[:6]}",
            roles=list(roles),
            org_id=org_id,
            factory_id=factory_id,
            username=f"{roles[0] if roles else 'nobody'}-test",
        )
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(f"/api/v1/analytics{path}", params=params, headers=headers or {})


@pytest.fixture(scope="module", params=LAKES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp(f"analytics-{request.param}")
    with (
        make_setup(request, request.param, directory) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        yield World(setup, client, seed(setup.lake()))
