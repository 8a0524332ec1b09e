"""The platform's lake writer against the peer a data engineer would deploy, in one run on the same servers.

The peer is a Kafka Connect standalone worker (connect-runtime 4.1.1, the broker's version) with Apache
Iceberg's sink connector (1.10.1), started from infra/kafka-connect/. Both write the same readings (same
seeds, same columns, same partition spec) from a topic of the same broker into an Iceberg table of the same
JDBC catalog in PostgreSQL, on the same MinIO:

  * platform: Arrow messages published by the upload API, committed by ``python -m ingest.writer``;
  * peer: one schemaless JSON object per reading (what a gateway would produce for Kafka Connect), committed
    by the sink's coordinator every ``iceberg.control.commit.interval-ms`` — at its default (300 s) and
    tuned down.

Per sink: the drain rate (topic filled first; process launch to the snapshot holding every row), the
steady rate (between its first and last commit, without start-up), freshness (acknowledged by Kafka or
answered 202, to committed), peak RSS. Also in the same run: the raw Kafka produce+consume ceiling of the
same bytes, and a naive baseline: row inserts and COPY into a PostgreSQL table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from benchkit import (
    KAFKA,
    ROOT,
    Result,
    RssSampler,
    committed_rows,
    exit_on_sigterm,
    percentile,
    scratch_database,
    start,
    stop,
)
from ingest_bench import Bench, kafka_ceiling
from kafka import KafkaProducer
from readings import ARROW, ITEMS, arrow_batch
from sqlalchemy.engine import make_url

from catalog.lake import Lake, LakeConfig
from ingest import messages
from ingest.bus.kafka_bus import KafkaBus

CONNECT = ROOT / "infra" / "kafka-connect"
UNITS = dict(zip(ITEMS, ["rpm", "%", "mm/s", "°C"], strict=True))


class Commits:
    """Watches a table's snapshots in a thread: when each commit became visible and how many rows it held."""

    def __init__(self, rows: Callable[[], int]) -> None:
        self.rows = rows
        self.timeline: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = -1
        while not self._stop.is_set():
            now = self.rows()
            if now != last:
                self.timeline.append((time.monotonic(), now))
                last = now
            self._stop.wait(0.05)

    def wait(self, expected: int, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while True:
            reached = next((t for t, n in self.timeline if n >= expected), None)
            if reached is not None:
                return reached
            if time.monotonic() > deadline:
                got = self.timeline[-1][1] if self.timeline else 0
                raise TimeoutError(f"only {got} of {expected} rows committed after {timeout_s:.0f} s")
            time.sleep(0.05)

    def steady_rate(self, since_rows: int, expected: int) -> float | None:
        """Rows/s between the first commit that added rows and the one that completed them."""
        grew = [(t, n) for t, n in self.timeline if n > since_rows]
        done = next(((t, n) for t, n in grew if n >= expected), None)
        if not grew or done is None or done[0] <= grew[0][0]:
            return None
        return (done[1] - grew[0][1]) / (done[0] - grew[0][0])

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def reading_records(rows: int, seed: int, batch_key: str) -> list[bytes]:
    """The readings of ``arrow_batch(rows, seed)`` as the peer's gateways would send them: one JSON each."""
    table = arrow_batch(rows, seed).to_pydict()
    # the sink parses an offset written +HHmm or Z, not +HH:mm
    ingested = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return [
        orjson.dumps(
            {
                "factory_id": "factory-bench",
                "org_id": "org-b",
                "equipment_id": e,
                "model_id": m,
                "model_version": v,
                "item_id": i,
                "ts": t.isoformat().replace("+00:00", "Z"),
                "value_num": x,
                "value_text": None,
                "unit": UNITS[i],
                "quality": "GOOD",
                "batch_key": batch_key,
                "ingested_at": ingested,
            }
        )
        for e, m, v, i, t, x in zip(
            table["equipment_id"],
            table["model_id"],
            table["model_version"],
            table["item_id"],
            table["ts"],
            table["value"],
            strict=True,
        )
    ]


class Peer:
    """One Kafka Connect standalone worker with the Iceberg sink, on its own topic and table."""

    def __init__(self, bench: Bench, *, interval_ms: int, tasks: int, label: str) -> None:
        run = uuid.uuid4().hex[:8]
        self.label = label
        self.topic = f"peer-{run}.readings"
        self.control = f"peer-{run}.control"
        self.work = bench.settings.data_dir / f"peer-{label}-{run}"
        self.work.mkdir(parents=True)
        # The table is made by the platform's own code: same schema, same partition spec, same catalog.
        settings = bench.settings
        self.lake = Lake(replace(LakeConfig.from_settings(settings), namespace=f"peer_{label}_{run}"))
        self.lake.ensure_tables()
        bus = KafkaBus(KAFKA)
        bus.ensure_topics([self.topic, self.control])
        bus.close()
        url = make_url(settings.catalog_url)
        values = {
            "BOOTSTRAP": KAFKA,
            "REST_PORT": "0",
            "WORK_DIR": str(self.work),
            "NAME": f"iceberg-sink-{label}-{run}",
            "TASKS": str(tasks),
            "TOPIC": self.topic,
            "TABLE": self.lake.readings_id,
            "JDBC_URL": f"jdbc:postgresql://{url.host}:{url.port}/{url.database}",
            "JDBC_USER": str(url.username),
            "JDBC_PASSWORD": str(url.password),
            "WAREHOUSE": settings.warehouse,
            "S3_ENDPOINT": f"http://{settings.minio.endpoint}",
            "S3_ACCESS_KEY": settings.minio.access_key,
            "S3_SECRET_KEY": settings.minio.secret_key,
            "CONTROL_TOPIC": self.control,
            "COMMIT_INTERVAL_MS": str(interval_ms),
            "OFFSET_FLUSH_MS": str(min(interval_ms, 60_000)),
        }
        for name in ("worker", "iceberg-sink"):
            text_ = (CONNECT / f"{name}.properties.template").read_text()
            for key, value in values.items():
                text_ = text_.replace(f"@{key}@", value)
            (self.work / f"{name}.properties").write_text(text_)
        self.producer = KafkaProducer(
            bootstrap_servers=KAFKA, acks="all", linger_ms=20, batch_size=1024 * 1024, compression_type="zstd"
        )
        self.worker: Any = None

    def produce(self, records: list[bytes]) -> float:
        """Sends and waits for every acknowledgement; returns when Kafka holds them all."""
        for record in records:
            self.producer.send(self.topic, key=b"factory-bench", value=record)
        self.producer.flush()
        return time.monotonic()

    def launch(self) -> float:
        self.worker = start(
            [
                "bash",
                str(CONNECT / "connect.sh"),
                "run",
                str(self.work / "worker.properties"),
                str(self.work / "iceberg-sink.properties"),
                str(self.work),
            ],
            {},
            self.work / "connect.out",
        )
        return time.monotonic()

    def rows(self) -> int:
        return committed_rows(self.lake)

    def close(self) -> None:
        self.producer.close()
        if self.worker is not None:
            stop(self.worker)


def platform_run(bench: Bench, batches: int, rows: int, fresh: int) -> dict[str, Any]:
    """Topic filled by the upload API with the writer down; then the writer starts and drains it."""
    for n in range(batches):
        bench.upload(f"drain-{n}", messages.encode(arrow_batch(rows, n)), ARROW)
    commits = Commits(bench.committed_rows)
    launched = time.monotonic()
    writer = bench.start_writer()
    with RssSampler({"writer": writer.pid}) as rss:
        done = commits.wait(rows * batches, 900)
        freshness = bench.freshness(fresh, 1000)
    commits.close()
    return {
        "drain": rows * batches / (done - launched),
        "steady": commits.steady_rate(0, rows * batches),
        "freshness": freshness,
        "rss": rss.peaks()["writer"],
    }


def peer_run(
    bench: Bench, *, interval_ms: int, tasks: int, batches: int, rows: int, fresh: int
) -> dict[str, Any]:
    """The same readings into the peer's topic first; then the worker starts and drains it. Freshness:
    with a short interval, one small batch at a time once drained; at the default interval, small batches
    spread over the first interval (they all wait for the same commit, as real traffic would)."""
    peer = Peer(bench, interval_ms=interval_ms, tasks=tasks, label=f"i{interval_ms}")
    try:
        for n in range(batches):
            peer.produce(reading_records(rows, n, f"drain-{n}"))
        total = rows * batches
        commits = Commits(peer.rows)
        launched = peer.launch()
        acked: list[float] = []
        with RssSampler({"connect": peer.worker.pid}) as rss:
            if interval_ms >= 60_000:
                spacing = interval_ms / 1000 * 0.8 / fresh
                for n in range(fresh):
                    time.sleep(spacing)
                    acked.append(peer.produce(reading_records(1000, 10_000 + n, f"fresh-{n}")))
                done = commits.wait(total, interval_ms / 1000 * 3 + 300)
                last = commits.wait(total + 1000 * fresh, interval_ms / 1000 * 3 + 300)
                freshness = [last - t for t in acked]
            else:
                done = commits.wait(total, 900)
                freshness = []
                for n in range(fresh):
                    expected = peer.rows() + 1000
                    ack = peer.produce(reading_records(1000, 10_000 + n, f"fresh-{n}"))
                    freshness.append(commits.wait(expected, 300) - ack)
        commits.close()
        return {
            "drain": total / (done - launched),
            "steady": commits.steady_rate(0, total),
            "freshness": freshness,
            "rss": rss.peaks()["connect"],
        }
    finally:
        peer.close()


def postgres_baselines(rows: int) -> dict[str, float]:
    """Readings/s into one PostgreSQL table: pipelined INSERT of each row (one transaction), and COPY."""
    table = arrow_batch(rows, 3).to_pydict()
    values = list(
        zip(
            table["equipment_id"],
            table["model_id"],
            table["item_id"],
            table["ts"],
            table["value"],
            strict=True,
        )
    )
    ddl = (
        "CREATE TABLE readings (equipment_id text NOT NULL, model_id text NOT NULL, item_id text NOT NULL, "
        "ts timestamptz NOT NULL, value_num double precision)"
    )
    out = {}
    with scratch_database("smartmfg_bench_pg") as url:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            conn.execute(ddl)
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO readings (equipment_id, model_id, item_id, ts, value_num) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    values,
                )
            conn.commit()
            out["insert"] = rows / (time.perf_counter() - started)
            conn.execute("TRUNCATE readings")
            conn.commit()
            started = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy("COPY readings (equipment_id, model_id, item_id, ts, value_num) FROM STDIN") as copy,
            ):
                for row in values:
                    copy.write_row(row)
            conn.commit()
            out["copy"] = rows / (time.perf_counter() - started)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="batches in the topic before a sink starts")
    parser.add_argument("--rows", type=int, default=125_000, help="readings per batch")
    parser.add_argument("--freshness-samples", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--default-runs", type=int, default=1, help="runs at the 300 s default interval")
    parser.add_argument("--tuned-interval-ms", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=1, help="sink tasks (the platform runs one writer)")
    parser.add_argument("--pg-rows", type=int, default=200_000)
    parser.add_argument("--conditions", default="", help="what else ran on the machine, for the report")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: validates the harness")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.batches, args.rows, args.runs, args.freshness_samples, args.pg_rows = 4, 50_000, 1, 5, 50_000

    result = Result(
        "peer",
        sizes={
            "readings_per_run": args.batches * args.rows,
            "batches": args.batches,
            "freshness_samples": args.freshness_samples,
            "runs": args.runs,
            "default_runs": args.default_runs,
            "tasks": args.tasks,
            "tuned_interval_ms": args.tuned_interval_ms,
            "pg_rows": args.pg_rows,
        },
    )
    series: dict[str, list[dict[str, Any]]] = {"platform": [], "tuned": [], "default": []}
    ceiling: list[float] = []
    arrow_bodies = [messages.encode(arrow_batch(args.rows, n)) for n in range(args.batches)]
    for run in range(max(args.runs, args.default_runs)):
        ceiling.append(kafka_ceiling(arrow_bodies, args.rows))
        bench = Bench(flush_seconds=1.0, uploaders=2, writer=False)
        try:
            bench.wait_rows(0)
            if run < args.runs:
                series["platform"].append(
                    platform_run(bench, args.batches, args.rows, args.freshness_samples)
                )
                series["tuned"].append(
                    peer_run(
                        bench,
                        interval_ms=args.tuned_interval_ms,
                        tasks=args.tasks,
                        batches=args.batches,
                        rows=args.rows,
                        fresh=args.freshness_samples,
                    )
                )
            if run < args.default_runs:
                series["default"].append(
                    peer_run(
                        bench,
                        interval_ms=300_000,
                        tasks=args.tasks,
                        batches=args.batches,
                        rows=args.rows,
                        fresh=args.freshness_samples,
                    )
                )
        finally:
            bench.close()
        print(
            f"run {run + 1}: "
            + ", ".join(f"{k} {v[-1]['drain']:,.0f}/s" for k, v in series.items() if len(v) > run)
        )
    pg = [postgres_baselines(args.pg_rows) for _ in range(args.runs)]

    names = {
        "platform": "platform lake writer (Arrow, 1 process)",
        "tuned": f"Kafka Connect + Iceberg sink, commit every {args.tuned_interval_ms / 1000:g} s",
        "default": "Kafka Connect + Iceberg sink, default commit interval (300 s)",
    }
    rows_out: dict[str, dict[str, Any]] = {}
    for key, runs in series.items():
        if not runs:
            continue
        fresh = [f for r in runs for f in r["freshness"]]
        steady = [r["steady"] for r in runs if r["steady"] is not None]
        rows_out[key] = {
            "sink": names[key],
            "drain": statistics.median(r["drain"] for r in runs),
            "steady": statistics.median(steady) if steady else None,
            "fresh_p50": statistics.median(fresh),
            "fresh_p95": percentile(fresh, 95),
            "rss_mib": statistics.median(r["rss"] for r in runs),
            "runs": len(runs),
        }
        higher = key == "platform"
        result.add(f"{key}: drain readings/s", [r["drain"] for r in runs], "readings/s", higher=higher)
        result.add(f"{key}: freshness p95", [percentile(fresh, 95)], "s", higher=False)
    platform = rows_out["platform"]
    ratios = {}
    for key in ("tuned", "default"):
        if key in rows_out:
            peer = rows_out[key]
            ratios[f"platform drain / {key} peer drain"] = platform["drain"] / peer["drain"]
            ratios[f"{key} peer freshness p95 / platform's"] = peer["fresh_p95"] / platform["fresh_p95"]
            if platform["steady"] and peer["steady"]:
                ratios[f"platform steady rate / {key} peer's"] = platform["steady"] / peer["steady"]
    result.add("Kafka produce+consume ceiling (Arrow)", ceiling, "readings/s", higher=True)
    result.add("PostgreSQL row inserts", [p["insert"] for p in pg], "readings/s", higher=True)
    result.add("PostgreSQL COPY", [p["copy"] for p in pg], "readings/s", higher=True)
    result.details = {"sinks": list(rows_out.values()), "ratios": ratios}
    result.conditions = args.conditions
    path = result.save()
    for row in rows_out.values():
        print(row)
    print(ratios)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
