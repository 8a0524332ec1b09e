"""End-to-end ingest benchmark on the real servers: upload, Kafka, lake writer, committed Iceberg snapshot.

Measures, in one run on this machine:
  * the raw Kafka produce+consume rate of the same Arrow messages (the ceiling),
  * sustained readings/s from the first upload to the snapshot holding every row, for Arrow and for JSON,
  * freshness: time from a 202 answer to the rows being queryable, p50/p95.
Writes the figures to docs/benchmarks.md (``--write``). Needs `make infra-up`.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from catalog.lake import READINGS_SCHEMA, Lake, LakeConfig
from ingest import appends, messages, parsing
from ingest.bus.kafka_bus import KafkaBus
from ingest.validation import validate
from ingest.writer import stamped
from platform_api.app import create_app
from services.kit.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
PG = "postgresql+psycopg://smartmfg:smartmfg@127.0.0.1:55432/smartmfg"
ITEMS = ["spindle_speed", "spindle_load", "feed_rate", "coolant_temp"]


def model() -> dict[str, Any]:
    def item(item_id: str, unit: str, hi: float) -> dict[str, Any]:
        return {
            "id": item_id,
            "name": {"ko": item_id},
            "category": "SAMPLE",
            "data_type": "float",
            "unit": unit,
            "min": 0,
            "max": hi,
        }

    return {
        "id": "bench-lathe",
        "equipment_type": "CNC_LATHE",
        "name": {"ko": "벤치 선반"},
        "version": "1.0.0",
        "items": [
            item("spindle_speed", "rpm", 6000),
            item("spindle_load", "%", 150),
            item("feed_rate", "mm/s", 500),
            item("coolant_temp", "°C", 80),
        ],
    }


def arrow_batch(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = int(datetime(2025, 11, 24, tzinfo=UTC).timestamp() * 1e6)
    return pa.table(
        {
            "equipment_id": pa.array([f"eq-{i}" for i in rng.integers(0, 50, rows)]),
            "model_id": pa.array(["bench-lathe"] * rows),
            "model_version": pa.array(["1.0.0"] * rows),
            "item_id": pa.array([ITEMS[i] for i in rng.integers(0, 4, rows)]),
            "ts": pa.array(start + np.arange(rows) * 1000, pa.timestamp("us", tz="UTC")),
            "value": pa.array(rng.uniform(0, 80, rows)),
        }
    )


def json_batch(rows: int, seed: int) -> bytes:
    table = arrow_batch(rows, seed)
    out = table.to_pydict()
    readings = [
        {
            "equipment_id": e,
            "model_id": "bench-lathe",
            "model_version": "1.0.0",
            "item_id": i,
            "ts": t.isoformat(),
            "value": v,
        }
        for e, i, t, v in zip(out["equipment_id"], out["item_id"], out["ts"], out["value"], strict=True)
    ]
    return orjson.dumps({"readings": readings})


class Bench:
    def __init__(self, flush_seconds: float, uploaders: int) -> None:
        self.uploaders = uploaders
        run = uuid.uuid4().hex[:8]
        self.db = f"smartmfg_bench_{run}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db}"'))
        url = make_url(PG).set(database=self.db).render_as_string(hide_password=False)
        self.settings = PlatformSettings(
            topology="embedded",
            database_url=url,
            data_dir=Path(f"/tmp/bench-{run}"),
            bus="kafka",
            topic_prefix=f"bench-{run}",
            lake_catalog_url=url,
            lake_warehouse=f"s3://smartmfg-lake/bench-{run}",
            run_writers=False,
            writer_group=f"bench-{run}",
            writer_flush_seconds=flush_seconds,
            writer_flush_rows=2_000_000,
            upload_max_bytes=256 * 1024 * 1024,
        )
        self.app_cm = TestClient(create_app(self.settings, run_migrations=True))
        self.client = self.app_cm.__enter__()
        issuer = self.client.app.state.dev_issuer  # type: ignore[attr-defined]
        admin_h = {"Authorization": "Bearer " + issuer.issue(subject="b", roles=["admin"], org_id="op")}
        self.client.post("/api/v1/standards", json=model(), headers=admin_h).raise_for_status()
        self.client.post(
            "/api/v1/standards/bench-lathe/versions/1.0.0/publish", headers=admin_h
        ).raise_for_status()
        self.headers = {
            "Authorization": "Bearer "
            + issuer.issue(subject="g", roles=["gateway"], org_id="org-b", factory_id="factory-bench"),
            "X-Factory-Id": "factory-bench",
        }
        env = {
            f"SMARTMFG_{k.upper()}": str(getattr(self.settings, k))
            for k in (
                "database_url",
                "bus",
                "topic_prefix",
                "lake_catalog_url",
                "lake_warehouse",
                "writer_group",
                "writer_flush_seconds",
                "writer_flush_rows",
                "data_dir",
            )
        }
        self.writer_log = (self.settings.data_dir / "writer.log").open("w")
        self.writer = subprocess.Popen(
            [sys.executable, "-m", "ingest.writer"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=self.writer_log,
        )
        self.lake = Lake(LakeConfig.from_settings(self.settings))

    def committed_rows(self) -> int:
        snapshot = self.lake.readings().current_snapshot()
        if snapshot is None or snapshot.summary is None:
            return 0
        return int(snapshot.summary.additional_properties.get("total-records", 0))

    def wait_rows(self, expected: int, timeout_s: float = 600) -> float:
        deadline = time.monotonic() + timeout_s
        while self.committed_rows() < expected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.committed_rows()} of {expected} rows committed")
            time.sleep(0.05)
        return time.monotonic()

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
            self.upload(f"fresh-{n}", body, "application/vnd.apache.arrow.stream")
            accepted = time.monotonic()
            out.append(self.wait_rows(expected) - accepted)
        return out

    def close(self) -> None:
        self.writer.terminate()
        self.writer.wait(30)
        self.writer_log.close()
        self.app_cm.__exit__(None, None, None)
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'))


def stage_rates(rows: int) -> dict[str, float]:
    """Readings/s of each step an Arrow batch goes through, one thread, best of 3, no servers involved."""
    doc = model()
    body = messages.encode(arrow_batch(rows, 7))
    parsed = parsing.parse(parsing.ARROW, body)
    valid = validate(parsed, {("bench-lathe", "1.0.0"): doc}).valid
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
            "validate + normalise": lambda: validate(parsed, {("bench-lathe", "1.0.0"): doc}),
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
    bus = KafkaBus("127.0.0.1:59092")
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
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()

    arrow_bodies = [messages.encode(arrow_batch(args.arrow_rows, n)) for n in range(args.arrow_batches)]
    json_bodies = [json_batch(args.json_rows, n) for n in range(args.json_batches)]
    results: dict[str, list[float]] = {"kafka": [], "arrow": [], "json": []}
    fresh: list[float] = []
    for run in range(args.runs):
        results["kafka"].append(kafka_ceiling(arrow_bodies, args.arrow_rows))
        bench = Bench(flush_seconds=1.0, uploaders=args.uploaders)
        try:
            bench.wait_rows(0)
            results["arrow"].append(
                bench.sustained(
                    f"arrow{run}", arrow_bodies, args.arrow_rows, "application/vnd.apache.arrow.stream"
                )
            )
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
    stages = stage_rates(args.arrow_rows)
    for name, rate in stages.items():
        print(f"  {name}: {rate:,.0f} readings/s (one thread)")
    fresh.sort()
    p50, p95 = statistics.median(fresh), fresh[int(0.95 * (len(fresh) - 1))]
    summary = {k: statistics.median(v) for k, v in results.items()}
    print(
        f"median of {args.runs} runs: kafka ceiling {summary['kafka']:,.0f} readings/s, "
        f"arrow {summary['arrow']:,.0f}/s, json {summary['json']:,.0f}/s; "
        f"freshness p50 {p50:.2f} s p95 {p95:.2f} s"
    )
    if args.write:
        write_report(args, results, summary, p50, p95, stages)
    return 0


def write_report(
    args: argparse.Namespace,
    results: dict[str, list[float]],
    summary: dict[str, float],
    p50: float,
    p95: float,
    stages: dict[str, float],
) -> None:
    def row(name: str, key: str, target: str) -> str:
        runs = ", ".join(f"{v:,.0f}" for v in results[key])
        return f"| {name} | {summary[key]:,.0f} | {runs} | {target} |"

    stage_rows = "\n".join(f"| {name} | {rate:,.0f} |" for name, rate in stages.items())
    per_core = 1 / sum(1 / rate for rate in stages.values())
    slowest = min(stages, key=lambda name: stages[name])
    verdicts = {
        "Arrow (≥ 1,000,000/s)": summary["arrow"] >= 1_000_000,
        "JSON (≥ 200,000/s)": summary["json"] >= 200_000,
        "freshness (p95 ≤ 5 s)": p95 <= 5.0,
    }
    met = ", ".join(name for name, ok in verdicts.items() if ok) or "none"
    missed = ", ".join(name for name, ok in verdicts.items() if not ok) or "none"
    analysis = (
        f"Targets met in this run: {met}; missed: {missed}. Every reading costs the sum of the steps "
        f"above: {per_core:,.0f} readings/s per core for the platform's own work, before Kafka, MinIO and "
        "PostgreSQL take their share of the same two cores and before HTTP and the batch ledger. The upload "
        "side (parse, validate, encode) and the lake writer (decode, split, write, commit) run in different "
        f"processes, so they overlap. The slowest step is {slowest}. Text columns stay dictionary-encoded "
        "from the upload to the Parquet file (`ingest/dictionaries.py`): validation looks at each distinct "
        "model/item/unit once, the bus message needs no re-encoding, and the writer writes dictionary pages "
        "as they are, after finding a message's partition from the min/max of its columns "
        "(`ingest/appends.py`). The Kafka ceiling shows the bus is not the limit. Horizontal scale is the "
        "designed answer beyond one machine: upload replicas are stateless, and lake writers form one "
        "consumer group over 6 partitions keyed by factory."
    )
    text_ = f"""# Benchmarks

Measured by `bench/ingest_bench.py` ({datetime.now(UTC):%Y-%m-%d}, this 2-core machine, real Kafka,
MinIO and PostgreSQL started by `infra/`; `make bench` reruns it). Each run uploads through the API
({args.uploaders} concurrent uploaders calling the ASGI app in-process, no TCP), one lake writer process
commits to Iceberg on MinIO, and a run ends when the snapshot holds every row. Medians of {args.runs} runs;
the Kafka ceiling is a produce+consume of the same Arrow messages in the same run.

## Ingest throughput (readings per second, upload to committed snapshot)
| path | median | runs | target |
|---|---|---|---|
{row("Kafka produce+consume of the same bytes (ceiling)", "kafka", "-")}
{row(f"Arrow IPC batches of {args.arrow_rows:,} readings", "arrow", "≥ 1,000,000")}
{row(f"JSON batches of {args.json_rows:,} readings", "json", "≥ 200,000")}

## Freshness (202 answer to rows in a committed snapshot), {args.freshness_samples * args.runs} samples
| p50 | p95 | target |
|---|---|---|
| {p50:.2f} s | {p95:.2f} s | p95 ≤ 5 s |

The writer flushes every second or every 2,000,000 buffered rows, whichever comes first.

## Where the time goes (one thread, {args.arrow_rows:,}-reading Arrow batch, best of 3, same run)
| step | readings/s |
|---|---|
{stage_rows}

{analysis}
"""
    (ROOT / "docs" / "benchmarks.md").write_text(text_, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
