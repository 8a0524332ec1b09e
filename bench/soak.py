"""Soak: ``--minutes`` of steady ingest at half the sustained rate, writer, rollups and uploads running.

The served platform of bench/http_ingest_bench.py (embedded topology, uvicorn, one lake writer process)
takes paced Arrow uploads from two gateway processes. The lake's rollups (catalog/rollups.py) run as they
do in the distributed topology, as their own job process (``--rollups process``, the default), so that
each process's memory is its own: the analytics engine of a process keeps a DuckDB cache of up to its
memory limit (1 GB). ``--rollups gateway`` runs them as the embedded platform does (its refresher's child
process), ``off`` not at all. The gateways stamp each batch's readings with the time they send it, as on the
shop floor (``--fixed-time``: the other ingest benchmarks' readings of one past instant, sent again and
again: every round then adds to a closed day, which ``item_daily`` recomputes whole).

Checked at the end:
  * RSS of every process (gateway, writer, rollups, each gateway process) is flat: after a warm-up (the
    first fifth), the floor and the peaks (5th and 95th percentiles) of the last fifth are within
    10 % + 16 MiB of those of the second fifth (see ``benchkit.flatness``);
  * no error: every upload answered 202 — a 503 (the bus unavailable: the shared Kafka restarted by a
    test suite) is sent again after its Retry-After, as a gateway does, and counted apart —, and no
    traceback in the logs of the platform's processes but those of a server outage (connection refused:
    counted apart; the lake count shows whether anything was lost), kept in the printed directory with
    the exception lines in the result; and none of the platform's processes exited before the end;
  * the lake count is exact: the table holds exactly the readings that were accepted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import orjson
from benchkit import (
    RESULTS,
    Result,
    RssSampler,
    exit_on_sigterm,
    flatness,
    rss_mib,
    scratch_database,
    start,
    stop,
)
from http_ingest_bench import Platform
from readings import ARROW

GATEWAYS = 2
ROLLUP_EVERY_S = 30  # the platform's default refresh interval (analytics.rollup_refresh_seconds)


def sustained_rate() -> float:
    """The embedded Arrow rate into the lake from the last HTTP ingest run, if there is one."""
    path = RESULTS / "http_ingest.json"
    if path.exists():
        rates = [
            f["value"]
            for f in orjson.loads(path.read_bytes())["figures"]
            if f["name"].startswith("embedded Arrow") and "in the lake" in f["name"]
        ]
        if rates:
            return max(rates)
    return 200_000.0


def exceptions(log: str) -> list[str]:
    """The exception line of every traceback in a log (the first unindented line after it)."""
    out = []
    lines = log.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            after = (x for x in lines[n + 1 :] if x and not x.startswith((" ", "\t")))
            out.append(next(after, "(traceback cut off)"))
    return out


# A shared server down (another suite restarts Kafka or MinIO): what a process logs while it retries.
OUTAGE = re.compile(r"Could not connect to server|ECONNREFUSED|Connection refused|KafkaConnectionError")
ROUND = re.compile(r"^rollup (\w+): (\d+) day\(s\), (\d+) row\(s\).*\(([\d.]+)s\)$", re.MULTILINE)


def rollup_rounds(log: str) -> list[float]:
    """Seconds of each rollup round that recomputed something (``python -m catalog.rollups`` output)."""
    rounds: list[float] = []
    first_table = None
    for table, days, _, seconds in ROUND.findall(log):
        first_table = first_table or table
        if table == first_table:
            rounds.append(0.0)
        if int(days) and rounds:
            rounds[-1] += float(seconds)
    return [round(r, 1) for r in rounds if r > 0]


def ha_soak(args: argparse.Namespace) -> int:
    """``--ha``: `smartmfg run-distributed` on the HA servers (``infra/ctl.sh up --ha``) for ``--minutes``,
    two edge gateways uploading without pause over HTTP, and every ``--calm`` seconds one round of the
    chaos of tests/e2e/chaos.py (a broker, a MinIO node, every lake writer SIGKILLed and brought back).

    Checked at the end: the gateways saw only 202, or 429/503 with Retry-After (they resend the same batch);
    the lake holds every accepted reading exactly once; the RSS of every process that is not killed by the
    chaos (the gateway and the services; the writers restart every round) is flat (``benchkit.flatness``).
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.e2e.chaos import (
        GATEWAYS,
        READINGS_PER_BATCH,
        RETRYABLE,
        Gateway,
        chaos_round,
        ctl,
        ha_env,
        heal,
        lake_keys,
        lake_settings,
        setup_world,
    )
    from tests.e2e.distributed import pids_of, run_distributed

    if ctl("up", "--ha") != 0:
        print("infra/ctl.sh up --ha failed (see .infra/logs/kafka-ha-*, minio-ha-*)", flush=True)
        return 1
    work = Path(f"/tmp/soak-ha-{uuid.uuid4().hex[:8]}")
    work.mkdir()
    print(f"logs of the platform's processes in {work}", flush=True)
    bucket = f"soak-ha-{uuid.uuid4().hex[:8]}"
    result = Result(
        "soak_ha",
        sizes={"minutes": args.minutes, "gateways": len(GATEWAYS), "batch_rows": READINGS_PER_BATCH},
        conditions=args.conditions,
    )
    rounds = 0
    with (
        scratch_database("smartmfg_bench_soak_ha") as database,
        run_distributed(database, work, ha_env(bucket)) as (base, log, _proc),
    ):
        setup_world(base)
        stable = {name: pid for name, pid in pids_of(log).items() if not name.startswith("writer")}
        stop_event = threading.Event()
        gateways = [Gateway(base, client, stop_event) for client in GATEWAYS]
        with RssSampler(stable, every=max(1.0, args.minutes * 60 / 600)) as rss:
            started = time.monotonic()
            for gateway in gateways:
                gateway.start()
            try:
                while time.monotonic() - started < args.minutes * 60:
                    time.sleep(args.calm)
                    chaos_round(log, gateways)
                    rounds += 1
                    print(f"chaos round {rounds} done at {(time.monotonic() - started) / 60:.1f} min")
            finally:
                stop_event.set()
                for gateway in gateways:
                    gateway.join(timeout=90)
                heal()
            span = time.monotonic() - started
        accepted = sum(len(g.accepted) for g in gateways) * READINGS_PER_BATCH
        settings = lake_settings(database, bucket)
        deadline = time.monotonic() + 300
        while sum(lake_keys(settings).values()) < accepted and time.monotonic() < deadline:
            time.sleep(2)
        time.sleep(5)  # a late duplicate would land now
        keys = lake_keys(settings)
    duplicates = sum(1 for count in keys.values() if count > 1)
    answers = {str(code): n for code, n in sum((g.answers for g in gateways), Counter()).items()}
    unexpected = [x for g in gateways for x in g.unexpected]
    # A 401 is expected once per token lifetime (the gateway renews its token); one refused again is in
    # the uploaders' own unexpected list.
    unexpected += [f"answered {code}" for code in answers if int(code) not in {200, 202, 401, *RETRYABLE}]
    verdicts = {name: flatness(series) for name, series in rss.series.items() if series}
    result.add("accepted readings/s", [accepted / span], "readings/s", higher=True)
    result.add("chaos rounds", [rounds], "rounds", higher=True)
    for name, v in verdicts.items():
        result.add(f"{name}: RSS at the end", [v["last"]], "MiB", higher=False, target="flat")
    result.details = {
        "answers": answers,
        "unexpected": unexpected[:10],
        "accepted_rows": accepted,
        "lake_rows": sum(keys.values()),
        "readings_twice": duplicates,
        "rss": verdicts,
        "load_average": rss.load_average(),
        "logs": str(work),
    }
    print(f"wrote {result.save()}")
    ok = (
        not unexpected
        and duplicates == 0
        and sum(keys.values()) == accepted
        and all(v["flat"] for v in verdicts.values())
    )
    print(
        f"HA soak {'passed' if ok else 'FAILED'}: {rounds} chaos rounds in {span / 60:.1f} min, answers "
        f"{answers}, {sum(keys.values()):,} of {accepted:,} accepted readings in the lake, "
        f"{duplicates} twice, "
        f"{len(unexpected)} unexpected answers, load average {rss.load_average()}, RSS "
        + ", ".join(f"{k} p95 {v['first_p95']:.0f}→{v['last_p95']:.0f} MiB" for k, v in verdicts.items())
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=0, help="readings/s (default: half the sustained rate)")
    parser.add_argument("--rows", type=int, default=20_000, help="readings per batch")
    parser.add_argument("--rollups", choices=["process", "gateway", "off"], default="process")
    parser.add_argument("--conditions", default="")
    parser.add_argument(
        "--fixed-time",
        action="store_true",
        help="send the same readings of a fixed past instant again and again (as the other ingest "
        "benchmarks) instead of readings stamped as they are sent",
    )
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run.py; --minutes rules")
    parser.add_argument(
        "--ha",
        action="store_true",
        help="run-distributed on the HA servers (infra/ctl.sh up --ha) with a round of chaos every --calm s",
    )
    parser.add_argument("--calm", type=float, default=60, help="--ha: seconds of calm before each round")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.ha:
        return ha_soak(args)
    rate = args.rate or sustained_rate() / 2
    every = GATEWAYS * args.rows / rate  # seconds between one gateway's batches
    per_gateway = max(1, int(args.minutes * 60 / every))
    sent = per_gateway * GATEWAYS * args.rows
    result = Result(
        "soak",
        sizes={
            "minutes": args.minutes,
            "readings_per_second": round(rate),
            "batch_rows": args.rows,
            "rollups": args.rollups,
            "readings": "a fixed past instant" if args.fixed_time else "stamped as sent",
        },
        conditions=args.conditions,
    )
    if args.rollups != "gateway":  # the platform's processes read it (benchkit.start passes os.environ)
        os.environ["SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS"] = "0"
    work = Path(f"/tmp/soak-{uuid.uuid4().hex[:8]}")
    print(f"logs of the platform's processes in {work}", flush=True)
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database("smartmfg_bench_soak"))
        platform = Platform("embedded", database, work, stack)
        pids = dict(platform.pids)
        if args.rollups == "process":
            job = start(
                [sys.executable, "-m", "catalog.rollups", "--every", str(ROLLUP_EVERY_S)],
                platform.env,
                work / "rollups.log",
                cwd=work,  # where its DuckDB spills
            )
            stack.callback(stop, job)
            pids["rollups"] = job.pid
        procs = platform.gateways(
            ARROW, GATEWAYS, per_gateway, args.rows, "soak", every=every, live=not args.fixed_time
        )
        pids |= {f"gateway process {n + 1}": p.pid for n, p in enumerate(procs)}
        with RssSampler(pids, every=max(0.5, args.minutes * 60 / 600)) as rss:
            reports = platform.reports(procs, timeout_s=args.minutes * 60 + 600)
            accepted = sum(len(r.get("latencies", [])) for r in reports) * args.rows
            try:
                platform.wait_rows(accepted, timeout_s=120)
                time.sleep(3)  # anything beyond the accepted rows would have landed by now
            except TimeoutError as exc:
                print(f"the lake did not catch up: {exc}", flush=True)  # reported as a count mismatch
        lake_rows = platform.committed_rows()
        # A platform process gone before the end crashed or was killed (a segfault leaves no traceback).
        died = [n for n in pids if not n.startswith("gateway process") and rss_mib(pids[n]) == 0]
    errors = [r["error"] for r in reports if "error" in r]
    # the gateways' own clocks, first request to last 202; paced, they keep the rate (98 %: the last gap)
    clocks = [r for r in reports if "started" in r]
    span = max(r["ended"] for r in clocks) - min(r["started"] for r in clocks) if clocks else float("inf")
    retried = [x for r in reports for x in r.get("retries", [])]  # 503s sent again: the bus was down
    logs = {log.stem: log.read_text(errors="replace") for log in sorted(work.glob("*.log"))}
    logged = [f"{name}: {line}" for name, text in logs.items() for line in exceptions(text)]
    outages = [x for x in logged if OUTAGE.search(x)]  # transient: retried, and the lake count says if lost
    failures = [x for x in logged if x not in outages]
    failures += [f"{name}: exited during the run (crashed or killed: see dmesg)" for name in died]
    rounds = rollup_rounds(logs.get("rollups", ""))
    verdicts = {name: flatness(series) for name, series in rss.series.items() if series}
    result.add(
        "accepted readings/s", [accepted / span], "readings/s", higher=True, target=f"≥ {0.98 * rate:,.0f}"
    )
    for name, v in verdicts.items():
        result.add(f"{name}: RSS at the end", [v["last"]], "MiB", higher=False, target="flat")
    if rounds:
        result.add("rollup round, last", [rounds[-1]], "s", higher=False, target=f"≤ {ROLLUP_EVERY_S} s")
    result.details = {
        "rss": verdicts,
        "rss_series": {k: [(round(t, 1), round(v, 1)) for t, v in s] for k, s in rss.series.items()},
        "lake_rows": lake_rows,
        "sent_rows": sent,
        "errors": len(errors) + len(failures),
        "retried_503": len(retried),
        "outage_tracebacks": len(outages),
        "outage_text": outages[:3],
        "retried_text": retried[:3],
        "error_text": (errors + failures)[:10],
        "load_average": rss.load_average(),
        "rollup_rounds_s": rounds,
        "logs": str(work),
    }
    print(f"wrote {result.save()}")
    ok = lake_rows == sent and not errors and not failures and all(v["flat"] for v in verdicts.values())
    print(
        f"soak {'passed' if ok else 'FAILED'}: {lake_rows:,} of {sent:,} rows in the lake, "
        f"{len(errors)} upload errors, {len(failures)} tracebacks {failures[:3]}, {len(retried)} uploads "
        f"answered 503 and sent again, {len(outages)} tracebacks of server outages, load average "
        f"{rss.load_average()}, RSS "
        + ", ".join(f"{k} p95 {v['first_p95']:.0f}→{v['last_p95']:.0f} MiB" for k, v in verdicts.items())
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
