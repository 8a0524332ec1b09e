"""Ingest over HTTP, as deployed: gateway processes posting over TCP to the platform served by uvicorn.

Two topologies, each on the real PostgreSQL, Kafka and MinIO, with ``--writers`` lake writer processes:
  * embedded: one ``smartmfg serve`` process holding every service (tokens from its development issuer);
  * distributed: ``smartmfg serve --service ingest`` behind the gateway's proxy (``smartmfg serve`` with
    SMARTMFG_SERVICE_URLS), tokens from Keycloak for the realm's edge-gateway client.

For Arrow and JSON bodies and 1 and several uploader processes (``upload`` subcommand of this file, so
each gateway is a separate Python process with its own connection): readings/s accepted (first request to
last 202), readings/s in the lake (first request to the snapshot holding every row), upload latency
p50/p99, then freshness (202 to committed, one small batch at a time) and the peak RSS of the gateway,
the ingest service and the writer.

``--against REF`` is the regression check of ``make bench-check`` instead: the same Arrow upload, served
once by the code of commit REF and once by the working tree's (``--now-code``: another checkout, e.g. REF's
own for an A/A run), each run on a platform of its own without its rollup refresher, in alternating rounds
until the comparison is decided (see bench/alternating.py); ``--keep-platforms`` starts one platform per
side instead, for a test of the harness.

``--profile DIR`` runs the platform's processes under cProfile (every thread) and writes one
``<process>.prof`` per process to DIR when they stop; ``python -m pstats`` reads them.
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

import alternating
import httpx
import orjson
from benchkit import (
    KAFKA,
    KEYCLOAK_ISSUER,
    ROOT,
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
from kafka import KafkaAdminClient
from kafka.errors import KafkaError
from readings import ARROW, body, model

from catalog.lake import Lake, LakeConfig
from services.kit.settings import PlatformSettings
from services.kit.tokens import DevIssuer

GATEWAY = Path(__file__).with_name("gateway.py")
PROFILED = Path(__file__).with_name("profiled.py")
JSON = "application/json"


def drop_topics(prefix: str) -> None:
    """Delete the bus topics of one platform (named ``<prefix>.…``): a check starts a platform per run, and
    each run leaves some 60 MB of batches on the broker otherwise."""
    admin = KafkaAdminClient(bootstrap_servers=KAFKA, client_id="httpbench-cleanup")
    try:
        names = [t for t in admin.list_topics() if t.startswith(prefix + ".")]
        if names:
            admin.delete_topics(names)
    except KafkaError as exc:  # the figures stand; the broker keeps the topics until their retention
        print(f"could not delete the topics {prefix}.*: {exc!r}", file=sys.stderr)
    finally:
        admin.close()


class Platform:
    """The served platform of one topology plus its writer processes; stopped on exit.

    Its processes run the code of ``code`` (a checkout of this repository: their working directory and
    PYTHONPATH), the working tree's by default; under cProfile when ``profile`` names a directory. Without
    ``rollups`` the served process does not refresh the lake's rollups (a deployment's job then).
    """

    def __init__(
        self,
        topology: str,
        database: str,
        work: Path,
        stack: ExitStack,
        *,
        code: Path = ROOT,
        writers: int = 1,
        profile: Path | None = None,
        rollups: bool = True,
    ) -> None:
        self.topology = topology
        self.profile = profile
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
            "PYTHONPATH": str(code),
        }
        if topology == "distributed":
            self.env["SMARTMFG_OIDC_ISSUER"] = KEYCLOAK_ISSUER
        if not rollups:
            self.env["SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS"] = "0"
        stack.callback(drop_topics, self.env["SMARTMFG_BUS_TOPIC_PREFIX"])  # once the processes stopped
        migrated = subprocess.run(
            # only the services an upload goes through: the gateway serves them all regardless
            [
                *(sys.executable, "-m", "platform_api.cli"),
                "migrate",
                *(f"--service={s}" for s in ("identity", "standards", "companies", "ingest")),
            ],
            env={**os.environ, **self.env},
            cwd=code,
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
                [*self.command("ingest-service"), "serve", "--service=ingest", f"--port={service_port}"],
                service_env,
                work / "ingest-service.log",
                cwd=code,
            )
            stack.callback(stop, service)
            wait_ready(service, f"http://127.0.0.1:{service_port}")
            self.pids["ingest service"] = service.pid
            self.env["SMARTMFG_SERVICE_URLS"] = json.dumps({"ingest": f"http://127.0.0.1:{service_port}"})
        gateway = start(
            [*self.command("gateway"), "serve", f"--port={self.port}"], self.env, work / "gateway.log", code
        )
        stack.callback(stop, gateway)
        wait_ready(gateway, self.url)
        self.pids["gateway"] = gateway.pid
        for n in range(1, writers + 1):
            name = "writer" if n == 1 else f"writer {n}"
            writer = start(
                self.command(name.replace(" ", "-"), "ingest.writer"), self.env, work / f"{name}.log", code
            )
            stack.callback(stop, writer)
            self.pids[name] = writer.pid
        settings = PlatformSettings(
            database={"url": database},
            lake={"catalog_url": database, "warehouse": self.env["SMARTMFG_LAKE_WAREHOUSE"]},
        )
        self.lake = Lake(LakeConfig.from_settings(settings))
        self._setup()

    def command(self, process: str, module: str = "platform_api.cli") -> list[str]:
        """How to run ``python -m module`` as one of this platform's processes."""
        if self.profile is None:
            return [sys.executable, "-m", module]
        self.profile.mkdir(parents=True, exist_ok=True)
        return [sys.executable, str(PROFILED), str(self.profile / f"{process}.prof"), module]

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


def against(args: argparse.Namespace) -> int:
    """The working tree against commit ``args.against``: Arrow uploads, alternating rounds, one verdict."""
    topology = args.topologies.split(",")[0]
    rows, batches, uploaders = args.arrow_rows, args.arrow_batches, args.uploaders
    commit = alternating.commit_of(args.against)
    codes = {"baseline": alternating.worktree(args.against), "now": args.now_code}
    lake: dict[str, list[float]] = {"baseline": [], "now": []}

    def platform(side: str, label: str, stack: ExitStack) -> Platform:
        """A platform serving ``side``'s code, warmed up, stopped when ``stack`` closes."""
        database = stack.enter_context(scratch_database("smartmfg_bench_ab"))
        work = Path(f"/tmp/httpbench-{label}-{uuid.uuid4().hex[:8]}")
        # Rollup rounds take whole seconds of CPU at moments of their own: they would weigh on
        # whichever run they fall in. Ingest is compared without them.
        started = Platform(
            *(topology, database, work, stack),
            code=codes[side],
            writers=args.writers,
            profile=args.profile / label if args.profile else None,
            rollups=False,
        )
        # not measured: the first batches open connections, fill caches and create the lake's files
        started.upload_run(ARROW, uploaders, uploaders, rows, f"warm-{label}")
        return started

    def run(side: str, label: str, kept: dict[str, Platform], stack: ExitStack) -> float:
        """Readings/s in the lake of one run, on a platform started for it and stopped after (or on the
        side's platform in ``kept``, with ``--keep-platforms``).

        Two platforms kept up side by side drifted apart: in A/A runs (one commit on both sides) one of
        them was 17 % faster over seven rounds, the order swapped every round. A platform of its own per
        run leaves nothing of a side's history (its lake, partitions, processes) to the next run.
        """
        with ExitStack() as own:
            if args.keep_platforms and side not in kept:
                kept[side] = platform(side, side, stack)
            serving = kept[side] if args.keep_platforms else platform(side, label, own)
            figure: float = serving.upload_run(ARROW, uploaders, batches, rows, label)["lake"]
            return figure

    verdict = None
    with ExitStack() as kept_up:
        kept: dict[str, Platform] = {}
        for round_ in range(args.max_rounds):
            for side in alternating.order(round_):
                lake[side].append(run(side, f"{side}-{round_ + 1}", kept, kept_up))
            print(f"round {round_ + 1}: baseline {lake['baseline'][-1]:,.0f}, now {lake['now'][-1]:,.0f}")
            if round_ + 1 >= args.min_rounds:
                verdict = alternating.verdict(lake["baseline"], lake["now"])
                if verdict.decided:
                    break
    assert verdict is not None
    result = Result(
        "alternating",
        sizes={
            "topology": topology,
            "arrow": f"{uploaders} uploaders x {batches // uploaders} x {rows}",
            "writers": args.writers,
            "rounds": f"{args.min_rounds}..{args.max_rounds}",
        },
        conditions=args.conditions,
    )
    for side in ("baseline", "now"):
        result.add(f"{side}: readings/s in the lake", lake[side], "readings/s", higher=True)
    head = alternating.commit_of("HEAD")
    result.details = {
        "baseline": f"{args.against} ({commit[:12]})",
        "now": str(args.now_code) if args.now_code != ROOT else f"working tree on {head[:12]}",
        "verdict": verdict.describe(),
        "drop": verdict.drop,
        "noise": verdict.noise,
        "decided": verdict.decided,
        "regressed": verdict.regressed,
        "platforms": "one per side, kept up (--keep-platforms)" if args.keep_platforms else "one per run",
    }
    print(verdict.describe())
    print(f"wrote {result.save()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topologies", default="embedded,distributed")
    parser.add_argument("--arrow-batches", type=int, default=16)
    parser.add_argument("--arrow-rows", type=int, default=100_000)
    parser.add_argument("--json-batches", type=int, default=8)
    parser.add_argument("--json-rows", type=int, default=25_000)
    parser.add_argument("--formats", default="Arrow,JSON")
    parser.add_argument("--uploaders", type=int, default=4, help="the 'several' uploader processes")
    parser.add_argument("--writers", type=int, default=1, help="lake writer processes (one consumer group)")
    parser.add_argument("--freshness-samples", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--conditions", default="")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: validates the harness")
    parser.add_argument("--against", metavar="REF", help="compare with commit REF in alternating rounds")
    parser.add_argument("--min-rounds", type=int, default=alternating.MIN_ROUNDS)
    parser.add_argument("--max-rounds", type=int, default=8)
    parser.add_argument(
        "--now-code",
        type=Path,
        default=ROOT,
        help="serve the 'now' side from this checkout (the baseline's worktree: an A/A run of the check)",
    )
    parser.add_argument(
        "--keep-platforms",
        action="store_true",
        help="with --against: one platform per side kept up for every round, not one per run (two starts "
        "in all, but the sides drift apart: to test the harness, never for a verdict)",
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile the platform's processes")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.arrow_batches, args.arrow_rows, args.json_batches, args.json_rows = 8, 25_000, 4, 10_000
        args.runs, args.freshness_samples = 1, 5
        args.min_rounds = args.max_rounds = 3
    if args.against:
        return against(args)

    result = Result(
        "http_ingest",
        sizes={
            "arrow": f"{args.arrow_batches} x {args.arrow_rows}",
            "json": f"{args.json_batches} x {args.json_rows}",
            "uploaders": [1, args.uploaders],
            "runs": args.runs,
            "freshness_samples": args.freshness_samples,
            # only where they differ from the recorded runs': the baseline's entries name their sizes exactly
            **({"writers": args.writers} if args.writers != 1 else {}),
            **({"formats": args.formats} if args.formats != "Arrow,JSON" else {}),
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
            profile = args.profile / topology if args.profile else None
            platform = Platform(topology, database, work, stack, writers=args.writers, profile=profile)
            with RssSampler(platform.pids) as rss:
                for run in range(args.runs):
                    for fmt, batches, rows in (
                        ("Arrow", args.arrow_batches, args.arrow_rows),
                        ("JSON", args.json_batches, args.json_rows),
                    ):
                        if fmt not in args.formats.split(","):
                            continue
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
                    if args.freshness_samples:
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
        if fresh:
            result.add(f"{topology}: freshness p50", [statistics.median(fresh)], "s", higher=False)
            p95 = percentile(fresh, 95)
            result.add(f"{topology}: freshness p95", [p95], "s", higher=False, target="≤ 5 s")
    result.details = {"table": table, "rss_mib": rss_rows}
    print(f"wrote {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
