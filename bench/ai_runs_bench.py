"""Runnable AI cases: scoring throughput of the two demo models over ≥ 10 M readings read from the lake, and
the time from "apply" to the first predictions on the SME dashboard.

1. **Throughput.** ``--readings`` (10 M) one-minute barrel temperatures of ``--equipment`` injection-moulding
   machines are written to a fresh lake (embedded: local directory and SQLite catalog; ``--lake minio``: MinIO
   and the PostgreSQL catalog of the real servers). Each demo model (``platform_api.demo_models``, trained as
   ``make run`` trains them) then scores all of them the way a run does: the readings read back from the lake
   (DuckDB over the planned files), cut into the signature's hourly windows (``catalog.ai_runs.windows``) and
   scored in the limited child process (``runner.score_windows``). Readings/s per core = readings / CPU
   seconds of this process and the child together (the machine is shared: wall time would measure the
   neighbours).
2. **Apply to first predictions.** On a platform in-process (ASGI, no TCP) over the same lake, ``sme1``
   applies each case to one machine holding a month of readings (43,200): the time from the ``POST`` until
   the dashboard's predictions part (``/me/predictions``) draws the series.

    cd bench && ../.venv/bin/python ai_runs_bench.py [--readings 10000000 --equipment 100] [--lake minio]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
from benchkit import PG, Result
from fastapi.testclient import TestClient

from catalog.ai_runs.windows import windows_of
from catalog.lake import READINGS_SCHEMA, Lake, LakeConfig, ensure_bucket
from catalog.query import READ_OPTIONS, QueryEngine
from platform_api import demo_models
from platform_api.app import create_app, migrate
from platform_api.demo_data import build_world
from platform_api.registry import load_services
from services.kit.app_state import state_of
from services.kit.arrow import UTC_US
from services.kit.db import Database
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from services.usecases.runnable.runner import Limits, score_windows

START = datetime(2025, 11, 1, tzinfo=UTC)
MONTH = 30 * 24 * 60
TARGET_APPLY_S = 10.0


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine_readings(factory_id: str, org_id: str, equipment_id: str, minutes: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    t = np.arange(minutes, dtype=np.int64)
    level = 180 + 40 * np.sin(t / 720 * np.pi) + rng.normal(0, 3, minutes)
    ts = pa.array(int(START.timestamp() * 1e6) + t * 60_000_000, pa.int64()).cast(UTC_US)
    n = minutes

    def const(value: str) -> pa.Array:
        return pa.array([value] * n, pa.string()) if n < 1000 else pa.repeat(pa.scalar(value), n)

    return pa.table(
        {
            "factory_id": const(factory_id),
            "org_id": const(org_id),
            "equipment_id": const(equipment_id),
            "model_id": const("injection-molding"),
            "model_version": const("1.0.0"),
            "item_id": const("barrel_temp"),
            "ts": ts,
            "value_num": pa.array(np.round(level, 2)),
            "value_text": pa.nulls(n, pa.string()),
            "unit": const("°C"),
            "quality": const("good"),
            "batch_key": const(f"bench/{equipment_id}"),
            "ingested_at": ts,
        }
    ).cast(READINGS_SCHEMA)


def settings_for(lake: str, data: Path) -> PlatformSettings:
    values: dict[str, Any] = {
        "topology": "embedded",
        "data_dir": data,
        "public_url": "http://bench",
        "ai": {"follow_seconds": 0},
        "analytics": {"rollup_refresh_seconds": 0},
        "writer": {"embedded": False},
    }
    if lake == "minio":
        run = uuid.uuid4().hex[:8]
        values["lake"] = {
            "catalog_url": PG,
            "warehouse": f"s3://smartmfg-lake/bench-ai-{run}",
            "namespace": f"bench_ai_{run}",
        }
        values["documents"] = {"store": "minio"}
    return PlatformSettings(**values)


def fill(lake: Lake, readings: int, equipment: int) -> int:
    """The bench fleet's readings: ``equipment`` machines of factory-bench-ai, one reading a minute each."""
    per = readings // equipment
    table = lake.readings()
    written = 0
    batch: list[pa.Table] = []
    for n in range(equipment):
        batch.append(machine_readings("factory-bench-ai", "org-bench-ai", f"im-{n:04d}", per, n))
        if sum(t.num_rows for t in batch) >= 2_000_000 or n == equipment - 1:
            part = pa.concat_tables(batch)
            table.append(part)
            written += part.num_rows
            batch = []
            table = lake.readings()
    return written


def throughput(lake: Lake, models: dict[str, bytes], result: Result) -> dict[str, Any]:
    engine = QueryEngine(lake)
    details: dict[str, Any] = {}
    try:
        for name, _, signature in demo_models.CASES:
            cpu0, wall0 = cpu_seconds(), time.monotonic()
            plan = engine.plan(lake.readings(), engine_filter())
            readings = (
                engine.cursor()
                .execute(
                    "SELECT equipment_id AS equipment, item_id AS item, ts, value_num AS value "
                    f"FROM read_parquet(?, {READ_OPTIONS}) WHERE model_id = 'injection-molding'",
                    [plan.files],
                )
                .to_arrow_table()
            )
            read_s = time.monotonic() - wall0
            windows = windows_of(readings, signature)
            window_s = time.monotonic() - wall0 - read_s
            scored = score_windows(
                models[name],
                signature,
                windows,
                Limits(cpu_seconds=3600, memory_bytes=8 << 30, wall_seconds=3600),
            )
            cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
            rate = readings.num_rows / cpu
            result.add(f"{name}: readings/s per core", [rate], "readings/s", higher=True)
            details[name] = {
                "readings": readings.num_rows,
                "windows": windows.num_rows,
                "predictions": scored.num_rows,
                "cpu_s": round(cpu, 2),
                "wall_s": round(wall, 2),
                "read_s": round(read_s, 2),
                "windows_s": round(window_s, 2),
            }
            print(
                f"{name}: {readings.num_rows:,} readings, {windows.num_rows:,} windows, {cpu:.1f} CPU s, "
                f"{wall:.1f} s wall → {rate:,.0f} readings/s per core"
            )
    finally:
        engine.close()
    return details


def engine_filter() -> Any:
    from pyiceberg.expressions import EqualTo

    return EqualTo(term="model_id", value="injection-molding")


def apply_to_dashboard(
    settings: PlatformSettings, models: dict[str, bytes], lake: Lake, result: Result
) -> dict[str, Any]:
    world = build_world()
    injection = next(m for m in world.models if m["id"] == demo_models.MODEL)
    lake.readings().append(machine_readings("factory-sme-1-a", "org-sme-1", "eq-1-02", MONTH, 99))
    timings: dict[str, Any] = {}
    db = Database(settings.sqlalchemy_url)
    migrate(db, load_services())
    db.dispose()
    with TestClient(create_app(settings)) as client:
        issuer = state_of(client.app).get(DEV_ISSUER)

        def bearer(role: str, org: str) -> dict[str, str]:
            return {
                "Authorization": "Bearer " + issuer.issue(subject=f"{role}-{org}", roles=[role], org_id=org)
            }

        admin = bearer("admin", "org-operator")
        client.post("/api/v1/standards", json=injection, headers=admin)
        client.post(f"/api/v1/standards/{demo_models.MODEL}/versions/1.0.0/publish", headers=admin)

        async def attach() -> list[str]:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=client.app), base_url="http://b", headers=admin, timeout=300
            ) as seeder:
                return [
                    await demo_models.seed_runnable(seeder, item, models[item[0]])
                    for item in demo_models.CASES
                ]

        cases = asyncio.run(attach())
        sme1 = bearer("sme", "org-sme-1")
        client.cookies.set("portal_session", sme1["Authorization"].removeprefix("Bearer "))
        for (name, _, _), case_id in zip(demo_models.CASES, cases, strict=True):
            started = time.monotonic()
            answer = client.post(
                "/api/v1/analytics/ai-runs",
                json={"case_id": case_id, "factory_id": "factory-sme-1-a", "equipment_id": "eq-1-02"},
                headers=sme1,
            )
            answer.raise_for_status()
            while True:
                run = client.get(f"/api/v1/analytics/ai-runs/{answer.json()['run_id']}", headers=sme1).json()
                if run["state"] != "running":
                    break
                time.sleep(0.05)
            page = client.get("/me/predictions?partial=1").text
            seconds = time.monotonic() - started
            assert run["state"] == "succeeded" and page.count("<svg") >= 1, (run, page[:300])
            result.add(
                f"{name}: apply → first predictions on the dashboard",
                [seconds],
                "s",
                higher=False,
                target=f"≤ {TARGET_APPLY_S:g} s",
            )
            timings[name] = {"seconds": round(seconds, 2), "windows": run["windows"]}
            print(f"{name}: apply → dashboard {seconds:.2f} s ({run['windows']} windows)")
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readings", type=int, default=10_000_000)
    parser.add_argument("--equipment", type=int, default=100)
    parser.add_argument("--lake", choices=("local", "minio"), default="local")
    args = parser.parse_args()
    result = Result("ai_runs", {"readings": args.readings, "equipment": args.equipment, "lake": args.lake})
    with tempfile.TemporaryDirectory() as data:
        settings = settings_for(args.lake, Path(data))
        ensure_bucket(settings)
        lake = Lake(LakeConfig.from_settings(settings))
        lake.ensure_tables()
        started = time.monotonic()
        written = fill(lake, args.readings, args.equipment)
        print(f"lake: {written:,} readings written in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        models = demo_models.train(build_world())
        result.details["training_s"] = round(time.monotonic() - started, 2)
        result.details["throughput"] = throughput(lake, models, result)
        result.details["apply"] = apply_to_dashboard(settings, models, lake, result)
    result.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
