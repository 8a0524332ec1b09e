"""Ingest over HTTP, as deployed: gateway processes posting over TCP to the platform served by uvicorn.

Two topologies, each on the real PostgreSQL, Kafka and MinIO, with one lake writer process:
  * embedded: one ``smartmfg serve`` process holding every service (tokens from its development issuer);
  * distributed: ``smartmfg serve --service ingest`` behind the gateway's proxy (``smartmfg serve`` with
    SMARTMFG_SERVICE_URLS), tokens from Keycloak for the realm's edge-gateway client.

For Arrow and JSON bodies and 1 and several uploader processes (``upload`` subcommand of this file, so
each gateway is a separate Python process with its own connection): readings/s accepted (first request to
last 202), readings/s in the lake (first request to the snapshot holding every row), upload latency
p50/p99, then freshness (202 to committed, one small batch at a time) and the peak RSS of the gateway,
the ingest service and the writer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson
from benchkit import (
    KAFKA,
    KEYCLOAK_ISSUER,
    Result,
    RssSampler,
    committed_rows,
    exit_on_sigterm,
    free_port,
    keycloak_token,
    percentile,
    scratch_database,
    start,
    stop,
    wait_ready,
    wait_rows,
)
from ingest_bench import register_factory
from readings import ARROW, body, model

from catalog.lake import Lake, LakeConfig
from services.kit.settings import PlatformSettings
from services.kit.tokens import DevIssuer

SMARTMFG = [sys.executable, "-m", "platform_api.cli"]
GATEWAY = Path(__file__).with_name("gateway.py")
JSON = "application/json"


class Platform:
    """The served platform of one topology plus one writer process; stopped on exit."""

    def __init__(self, topology: str, database: str, work: Path, stack: ExitStack) -> None:
        self.topology = topology
        run = uuid.uuid4().hex[:8]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "SMARTMFG_TOPOLOGY": topology,
            "SMARTMFG_DATABASE_URL": database,
            "SMARTMFG_DATA_DIR": str(work),
            "SMARTMFG_BUS_KIND": "kafka",
            "SMARTMFG_KAFKA_BOOTSTRAP": KAFKA,
            "SMARTMFG_BUS_TOPIC_PREFIX": f"httpbench-{run}",
            "SMARTMFG_LAKE_CATALOG_URL": database,
            "SMARTMFG_LAKE_WAREHOUSE": f"s3://smartmfg-lake/httpbench-{run}",
            "SMARTMFG_WRITER_EMBEDDED": "false",
            "SMARTMFG_WRITER_GROUP": f"httpbench-{run}",
            "SMARTMFG_RATE_LIMIT_UPLOADS_PER_MINUTE": "1000000",
            "SMARTMFG_PUBLIC_URL": self.url,
            "SMARTMFG_ALLOW_DEV_SECRETS": "true",
        }
        if topology == "distributed":
            self.env["SMARTMFG_OIDC_ISSUER"] = KEYCLOAK_ISSUER
        migrated = subprocess.run(
            # only the services an upload goes through: the gateway serves them all regardless
            [
                *SMARTMFG,
                "migrate",
                *(f"--service={s}" for s in ("identity", "standards", "companies", "ingest")),
            ],
            env={**os.environ, **self.env},
            capture_output=True,
            timeout=300,
        )
        if migrated.returncode != 0:
            raise RuntimeError(migrated.stderr.decode()[-2000:])
        self.pids: dict[str, int] = {}
        if topology == "distributed":
            service_port = free_port()
            service_env = {
                **self.env,
                "SMARTMFG_SERVICE_URLS": json.dumps(
                    {s: self.url for s in ("companies", "standards", "identity")}
                ),
            }
            service = start(
                [*SMARTMFG, "serve", "--service", "ingest", "--port", str(service_port)],
                service_env,
                work / "ingest-service.log",
            )
            stack.callback(stop, service)
            wait_ready(service, f"http://127.0.0.1:{service_port}")
            self.pids["ingest service"] = service.pid
            self.env["SMARTMFG_SERVICE_URLS"] = json.dumps({"ingest": f"http://127.0.0.1:{service_port}"})
        gateway = start([*SMARTMFG, "serve", "--port", str(self.port)], self.env, work / "gateway.log")
        stack.callback(stop, gateway)
        wait_ready(gateway, self.url)
        self.pids["gateway"] = gateway.pid
        writer = start([sys.executable, "-m", "ingest.writer"], self.env, work / "writer.log")
        stack.callback(stop, writer)
        self.pids["writer"] = writer.pid
        settings = PlatformSettings(
            database={"url": database},
            lake={"catalog_url": database, "warehouse": self.env["SMARTMFG_LAKE_WAREHOUSE"]},
        )
        self.lake = Lake(LakeConfig.from_settings(settings))
        self._setup()

    def _setup(self) -> None:
        if self.topology == "embedded":
            issuer = DevIssuer(
                issuer=self.url + "/dev-oidc",
                audience="smartmfg-api",
                key_path=Path(self.env["SMARTMFG_DATA_DIR"]) / "dev-issuer-key.pem",
            )
            admin = issuer.issue(subject="bench", roles=["admin"], org_id="org-operator")
            self.org, self.factory = "org-b", "factory-bench"
            self.token = issuer.issue(
                subject="gw", roles=["gateway"], org_id=self.org, factory_id=self.factory
            )
        else:
            admin = keycloak_token("smartmfg-api", username="admin1")
            # the realm's edge gateway: its token names this organisation and factory
            self.org, self.factory = "org-sme-1", "factory-sme-1-a"
            self.token = keycloak_token("edge-gw-demo-1")
        headers = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=60) as client:
            client.post("/api/v1/standards", json=model()).raise_for_status()
            client.post("/api/v1/standards/bench-lathe/versions/1.0.0/publish").raise_for_status()
            for path, item in register_factory(self.org, self.factory):
                client.post(path, json=item).raise_for_status()
        self.lake.readings()  # the writer made the tables by now, or this raises

    def committed_rows(self) -> int:
        return committed_rows(self.lake)

    def wait_rows(self, expected: int, timeout_s: float = 900) -> float:
        """Wall-clock time the lake held ``expected`` rows: compared with the gateways' own timestamps."""
        return wait_rows(self.lake, expected, timeout_s, clock=time.time)

    def gateways(
        self,
        content_type: str,
        count: int,
        batches_each: int,
        rows: int,
        label: str,
        every: float = 0.0,
        live: bool = False,
    ) -> list[subprocess.Popen[bytes]]:
        """``count`` gateway processes posting ``batches_each`` batches each (see ``uploader``)."""
        procs = [
            subprocess.Popen(
                [
                    *(sys.executable, str(GATEWAY), "--url", self.url, "--token", self.token),
                    *("--factory", self.factory, "--content-type", content_type, "--rows", str(rows)),
                    *("--count", str(batches_each), "--first-seed", str(1000 * n), "--label", f"{label}-{n}"),
                    *("--every", str(every)),
                    *(["--live"] if live else []),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            for n in range(count)
        ]
        for proc in procs:
            assert proc.stdout is not None
            proc.stdout.readline()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        return procs

    @staticmethod
    def reports(procs: list[subprocess.Popen[bytes]], timeout_s: float = 1800) -> list[dict[str, Any]]:
        out = []
        for proc in procs:
            stdout, _ = proc.communicate(timeout=timeout_s)  # stdin is closed here: nobody waits on it
            lines = stdout.splitlines()
            out.append(orjson.loads(lines[-1]) if lines else {"error": f"exit {proc.returncode}, no report"})
        return out

    def upload_run(
        self, content_type: str, uploaders: int, batches: int, rows: int, label: str
    ) -> dict[str, Any]:
        before = self.committed_rows()
        per = batches // uploaders
        reports = self.reports(self.gateways(content_type, uploaders, per, rows, label))
        for report in reports:
            if "error" in report:
                raise RuntimeError(report["error"])
        total = per * uploaders * rows
        first = min(r["started"] for r in reports)
        accepted = max(r["ended"] for r in reports)
        in_lake = self.wait_rows(before + total)
        latencies = [x for r in reports for x in r["latencies"]]
        return {
            "accepted": total / (accepted - first),
            "lake": total / (in_lake - first),
            "upload_p50_ms": statistics.median(latencies) * 1000,
            "upload_p99_ms": percentile(latencies, 99) * 1000,
        }

    def freshness(self, samples: int) -> list[float]:
        out = []
        headers = {
            "Authorization": f"Bearer {self.token}",
            "X-Factory-Id": self.factory,
            "Content-Type": ARROW,
        }
        with httpx.Client(base_url=self.url, timeout=60) as client:
            for n in range(samples):
                expected = self.committed_rows() + 1000
                answer = client.post(
                    "/api/v1/ingest/batches",
                    content=body(ARROW, 1000, 50_000 + n),
                    headers={**headers, "X-Batch-Id": f"fresh-{uuid.uuid4().hex[:6]}"},
                )
                answer.raise_for_status()
                accepted = time.time()
                out.append(self.wait_rows(expected) - accepted)
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topologies", default="embedded,distributed")
    parser.add_argument("--arrow-batches", type=int, default=16)
    parser.add_argument("--arrow-rows", type=int, default=100_000)
    parser.add_argument("--json-batches", type=int, default=8)
    parser.add_argument("--json-rows", type=int, default=25_000)
    parser.add_argument("--uploaders", type=int, default=4, help="the 'several' uploader processes")
    parser.add_argument("--freshness-samples", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--conditions", default="")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: validates the harness")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.arrow_batches, args.arrow_rows, args.json_batches, args.json_rows = 8, 25_000, 4, 10_000
        args.runs, args.freshness_samples = 1, 5

    result = Result(
        "http_ingest",
        sizes={
            "arrow": f"{args.arrow_batches} x {args.arrow_rows}",
            "json": f"{args.json_batches} x {args.json_rows}",
            "uploaders": [1, args.uploaders],
            "runs": args.runs,
            "freshness_samples": args.freshness_samples,
        },
        conditions=args.conditions,
    )
    table: list[dict[str, Any]] = []
    rss_rows: list[dict[str, Any]] = []
    for topology in args.topologies.split(","):
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        fresh: list[float] = []
        with ExitStack() as stack:
            database = stack.enter_context(scratch_database("smartmfg_bench_http"))
            work = Path(f"/tmp/httpbench-{uuid.uuid4().hex[:8]}")
            platform = Platform(topology, database, work, stack)
            with RssSampler(platform.pids) as rss:
                for run in range(args.runs):
                    for fmt, batches, rows in (
                        ("Arrow", args.arrow_batches, args.arrow_rows),
                        ("JSON", args.json_batches, args.json_rows),
                    ):
                        for uploaders in (1, args.uploaders):
                            figures = platform.upload_run(
                                ARROW if fmt == "Arrow" else JSON,
                                uploaders,
                                batches,
                                rows,
                                f"r{run}-{fmt}-{uploaders}",
                            )
                            runs.setdefault((fmt, uploaders), []).append(figures)
                            print(
                                topology,
                                fmt,
                                uploaders,
                                {k: round(v) for k, v in figures.items()},
                                flush=True,
                            )
                    fresh.extend(platform.freshness(args.freshness_samples))
            rss_rows.append({"topology": topology, **{k: round(v) for k, v in rss.peaks().items()}})
        for (fmt, uploaders), measured in runs.items():
            name = f"{topology} {fmt} {uploaders} uploader{'s' if uploaders > 1 else ''}"
            row = {"path": name}
            for key in ("accepted", "lake", "upload_p50_ms", "upload_p99_ms"):
                row[key] = statistics.median(m[key] for m in measured)
            table.append(row)
            target = {"Arrow": "≥ 1,000,000", "JSON": "≥ 200,000"}[fmt]
            result.add(
                f"{name}: readings/s in the lake",
                [m["lake"] for m in measured],
                "readings/s",
                higher=True,
                target=target,
            )
            result.add(f"{name}: upload p99", [m["upload_p99_ms"] for m in measured], "ms", higher=False)
        result.add(f"{topology}: freshness p50", [statistics.median(fresh)], "s", higher=False)
        result.add(f"{topology}: freshness p95", [percentile(fresh, 95)], "s", higher=False, target="≤ 5 s")
    result.details = {"table": table, "rss_mib": rss_rows}
    print(f"wrote {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
