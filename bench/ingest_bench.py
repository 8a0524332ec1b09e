"""End-to-end ingest benchmark on the real servers: upload, Kafka, lake writer, committed Iceberg snapshot.

Measures, in one run on this machine:
  * the raw Kafka produce+consume rate of the same Arrow messages (the ceiling),
  * sustained readings/s from the first upload to the snapshot holding every row, for Arrow and for JSON,
  * freshness: time from a 202 answer to the rows being queryable, p50/p95.
Saves its figures for bench/report.py (``bench/run.py`` runs it with the others). Needs `make infra-up`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchkit import KAFKA, PG, Result, committed_rows, exit_on_sigterm, percentile, wait_rows
from fastapi.testclient import TestClient
from readings import ARROW, arrow_batch, json_batch, model
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from catalog import appends
from catalog.appends import stamped
from catalog.lake import READINGS_SCHEMA, Lake, LakeConfig
from ingest import messages, parsing
from ingest.bus.kafka_bus import KafkaBus
from platform_api.app import create_app
from platform_api.demo_data import brn_with_checksum
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from services.standards.schemas import DataItem
from services.standards.validation import validate


def register_factory(
    org_id: str = "org-b", factory_id: str = "factory-bench"
) -> list[tuple[str, dict[str, Any]]]:
    """The company and factory the gateways upload for, with the equipment the batches name."""
    company = {
        "id": org_id,
        "kind": "sme",
        "name": {"ko": "벤치정밀(주)", "en": "Bench Precision Co."},
        "business_registration_number": brn_with_checksum("123860001"),
        "region_code": "48",
        "industry_code": "C29",
    }
    factory = {
        "id": factory_id,
        "name": "벤치 제1공장",
        "region_code": "48",
        "industry_code": "C29",
        "equipment": [
            {"equipment_id": f"eq-{n}", "model_id": "bench-lathe", "model_version": "1.0.0"}
            for n in range(50)
        ],
    }
    return [("/api/v1/companies", company), (f"/api/v1/companies/{org_id}/factories", factory)]


class Bench:
    """The platform in-process (embedded app on PostgreSQL, Kafka, MinIO) plus one lake writer process."""

    def __init__(self, flush_seconds: float, uploaders: int, *, writer: bool = True) -> None:
        self.uploaders = uploaders
        run = uuid.uuid4().hex[:8]
        self.db = f"smartmfg_bench_{run}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db}"'))
        url = make_url(PG).set(database=self.db).render_as_string(hide_password=False)
        self.settings = PlatformSettings(
            topology="embedded",
            database={"url": url},
            data_dir=Path(f"/tmp/bench-{run}"),
            bus={"kind": "kafka", "topic_prefix": f"bench-{run}"},
            lake={"catalog_url": url, "warehouse": f"s3://smartmfg-lake/bench-{run}"},
            writer={
                "embedded": False,
                "group": f"bench-{run}",
                "flush_seconds": flush_seconds,
                "flush_rows": 2_000_000,
            },
            upload={"max_bytes": 256 * 1024 * 1024},
        )
        # Only what an upload goes through: fewer migrations and start-up hooks than the whole gateway.
        app = create_app(
            self.settings, services=["identity", "standards", "companies", "ingest"], run_migrations=True
        )
        self.app_cm = TestClient(app)
        self.client = self.app_cm.__enter__()
        issuer = state_of(self.client.app).get(DEV_ISSUER)
        admin_h = {"Authorization": "Bearer " + issuer.issue(subject="b", roles=["admin"], org_id="op")}
        self.client.post("/api/v1/standards", json=model(), headers=admin_h).raise_for_status()
        self.client.post(
            "/api/v1/standards/bench-lathe/versions/1.0.0/publish", headers=admin_h
        ).raise_for_status()
        for path, body in register_factory():
            self.client.post(path, json=body, headers=admin_h).raise_for_status()
        self.headers = {
            "Authorization": "Bearer "
            + issuer.issue(subject="g", roles=["gateway"], org_id="org-b", factory_id="factory-bench"),
            "X-Factory-Id": "factory-bench",
        }
        self.lake = Lake(LakeConfig.from_settings(self.settings))
        self.writer: subprocess.Popen[bytes] | None = None
        if writer:
            self.start_writer()

    def start_writer(self) -> subprocess.Popen[bytes]:
        self.writer_log = (self.settings.data_dir / "writer.log").open("w")
        self.writer = subprocess.Popen(
            [sys.executable, "-m", "ingest.writer"],
            env={**os.environ, **self.settings.environment()},
            stdout=subprocess.DEVNULL,
            stderr=self.writer_log,
        )
        return self.writer

    def committed_rows(self) -> int:
        return committed_rows(self.lake)

    def wait_rows(self, expected: int, timeout_s: float = 600) -> float:
        return wait_rows(self.lake, expected, timeout_s)

    def upload(self, batch_id: str, body: bytes, content_type: str) -> None:
        answer = self.client.post(
            "/api/v1/ingest/batches",
            content=body,
            headers={**self.headers, "X-Batch-Id": batch_id, "Content-Type": content_type},
        )
        if answer.status_code != 202:
            raise RuntimeError(answer.text[:500])

    def sustained(self, label: str, bodies: list[bytes], rows_each: int, content_type: str) -> float:
        """Gateways upload concurrently, as factories do; the clock stops when the lake holds every row."""
        before = self.committed_rows()
        started = time.monotonic()
        with ThreadPoolExecutor(self.uploaders) as pool:
            list(pool.map(lambda nb: self.upload(f"{label}-{nb[0]}", nb[1], content_type), enumerate(bodies)))
        done = self.wait_rows(before + rows_each * len(bodies))
        return rows_each * len(bodies) / (done - started)

    def freshness(self, samples: int, rows: int) -> list[float]:
        out = []
        for n in range(samples):
            expected = self.committed_rows() + rows
            body = messages.encode(arrow_batch(rows, 10_000 + n))
            self.upload(f"fresh-{n}", body, ARROW)
            accepted = time.monotonic()
            out.append(self.wait_rows(expected) - accepted)
        return out

    def close(self) -> None:
        if self.writer is not None:
            self.writer.terminate()
            self.writer.wait(30)
            self.writer_log.close()
        self.app_cm.__exit__(None, None, None)
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'))


def stage_rates(rows: int) -> dict[str, float]:
    """Readings/s of each step an Arrow batch goes through, one thread, best of 3, no servers involved."""
    models = {("bench-lathe", "1.0.0"): [DataItem.model_validate(i) for i in model()["items"]]}
    now = datetime.now(UTC)
    body = messages.encode(arrow_batch(rows, 7))
    parsed = parsing.parse(parsing.ARROW, body)
    valid = validate(parsed, models, now, timedelta(minutes=5)).valid
    message = messages.encode(stamped(valid, factory_id="f", org_id="o", batch_key="k", column="ingested_at"))
    wire = appends.wire_schema(READINGS_SCHEMA)
    with tempfile.TemporaryDirectory() as scratch:
        lake = Lake(LakeConfig(f"sqlite:///{scratch}/catalog.db", f"file://{scratch}/lake", {}, "telemetry"))
        lake.ensure_tables()
        table = lake.readings()
        parts = list(appends.split(table, appends.conform(messages.decode(message), wire)))

        def write_and_commit() -> None:
            files = [appends.write(table, values, [rows_]) for values, rows_ in parts]
            appends.commit(lake.readings(), files, {})

        steps = {
            "parse (Arrow IPC body)": lambda: parsing.parse(parsing.ARROW, body),
            "validate + normalise": lambda: validate(parsed, models, now, timedelta(minutes=5)),
            "stamp + encode for the bus": lambda: messages.encode(
                stamped(valid, factory_id="f", org_id="o", batch_key="k", column="ingested_at")
            ),
            "decode + split by partition": lambda: list(
                appends.split(table, appends.conform(messages.decode(message), wire))
            ),
            "Parquet write + Iceberg commit (local disk)": write_and_commit,
        }
        out = {}
        for name, step in steps.items():
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                step()
                best = min(best, time.perf_counter() - started)
            out[name] = rows / best
    return out


def kafka_ceiling(bodies: list[bytes], rows_each: int) -> float:
    bus = KafkaBus(KAFKA)
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    bus.ensure_topics([topic])
    started = time.monotonic()
    producer = bus.producer()
    futures = [producer.send(topic, key=str(n % 6).encode(), value=b) for n, b in enumerate(bodies)]
    for f in futures:
        f.get(timeout=60)
    consumer = bus.consumer([topic], f"g-{topic}", lambda _: None)
    seen = 0
    while seen < len(bodies):
        seen += len(consumer.poll(1.0, 1000))
    elapsed = time.monotonic() - started
    consumer.close()
    bus.close()
    return rows_each * len(bodies) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrow-batches", type=int, default=20)
    parser.add_argument("--arrow-rows", type=int, default=250_000)
    parser.add_argument("--json-batches", type=int, default=10)
    parser.add_argument("--json-rows", type=int, default=50_000)
    parser.add_argument("--freshness-samples", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--uploaders", type=int, default=2, help="concurrent gateway uploads")
    parser.add_argument("--conditions", default="", help="what else ran on the machine, for the report")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: validates the harness")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.arrow_batches, args.arrow_rows, args.json_batches, args.json_rows = 4, 100_000, 4, 20_000
        args.runs, args.freshness_samples = 1, 5

    arrow_bodies = [messages.encode(arrow_batch(args.arrow_rows, n)) for n in range(args.arrow_batches)]
    json_bodies = [json_batch(args.json_rows, n) for n in range(args.json_batches)]
    results: dict[str, list[float]] = {"kafka": [], "arrow": [], "json": []}
    fresh: list[float] = []
    for run in range(args.runs):
        results["kafka"].append(kafka_ceiling(arrow_bodies, args.arrow_rows))
        bench = Bench(flush_seconds=1.0, uploaders=args.uploaders)
        try:
            bench.wait_rows(0)
            results["arrow"].append(bench.sustained(f"arrow{run}", arrow_bodies, args.arrow_rows, ARROW))
            results["json"].append(
                bench.sustained(f"json{run}", json_bodies, args.json_rows, "application/json")
            )
            fresh.extend(bench.freshness(args.freshness_samples, 1000))
        finally:
            bench.close()
        print(
            f"run {run + 1}: kafka {results['kafka'][-1]:,.0f}/s arrow {results['arrow'][-1]:,.0f}/s "
            f"json {results['json'][-1]:,.0f}/s",
            flush=True,
        )
    result = Result(
        "ingest_inprocess",
        sizes={
            "arrow": f"{args.arrow_batches} x {args.arrow_rows}",
            "json": f"{args.json_batches} x {args.json_rows}",
            "uploaders": args.uploaders,
            "runs": args.runs,
            "freshness_samples": args.freshness_samples,
        },
        conditions=args.conditions,
    )
    result.add(
        "Kafka produce+consume of the same bytes (ceiling)", results["kafka"], "readings/s", higher=True
    )
    result.add(
        f"Arrow IPC batches of {args.arrow_rows:,} readings",
        results["arrow"],
        "readings/s",
        higher=True,
        target="≥ 1,000,000",
    )
    result.add(
        f"JSON batches of {args.json_rows:,} readings",
        results["json"],
        "readings/s",
        higher=True,
        target="≥ 200,000",
    )
    result.add("freshness p50", [statistics.median(fresh)], "s", higher=False)
    result.add("freshness p95", [percentile(fresh, 95)], "s", higher=False, target="≤ 5 s")
    result.details = {"stages": stage_rates(args.arrow_rows)}
    print(f"wrote {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
