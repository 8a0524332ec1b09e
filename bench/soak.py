"""Soak: ``--minutes`` of steady ingest at half the sustained rate, writer and uploads running.

The served platform of bench/http_ingest_bench.py (embedded topology, uvicorn, one lake writer process)
takes paced Arrow uploads from two gateway processes. Checked at the end:
  * RSS of every process (gateway, writer, each gateway process) is flat: after a warm-up (the first
    fifth), the median of the last fifth is within 10 % + 16 MiB of the median of the second fifth;
  * no error: every upload answered 202, and no traceback in the server and writer logs;
  * the lake count is exact: the table holds exactly the readings that were accepted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
from benchkit import RESULTS, Result, RssSampler, exit_on_sigterm, scratch_database
from http_ingest_bench import Platform
from readings import ARROW

GATEWAYS = 2


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


def flatness(series: list[tuple[float, float]]) -> dict[str, Any]:
    alive = [(t, v) for t, v in series if v > 0]  # a process that has exited reads 0
    values = [v for _, v in alive]
    fifth = max(1, len(values) // 5)
    early = statistics.median(values[fifth : 2 * fifth])
    late = statistics.median(values[-fifth:])
    tail = alive[len(alive) // 5 :]
    span = (tail[-1][0] - tail[0][0]) / 60 if len(tail) > 1 else 1.0
    return {
        "first": early,
        "last": late,
        "slope_mib_per_min": (tail[-1][1] - tail[0][1]) / span if span else 0.0,
        "flat": late <= early * 1.10 + 16,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=0, help="readings/s (default: half the sustained rate)")
    parser.add_argument("--rows", type=int, default=20_000, help="readings per batch")
    parser.add_argument("--conditions", default="")
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run.py; --minutes rules")
    args = parser.parse_args()
    exit_on_sigterm()
    rate = args.rate or sustained_rate() / 2
    every = GATEWAYS * args.rows / rate  # seconds between one gateway's batches
    per_gateway = max(1, int(args.minutes * 60 / every))
    sent = per_gateway * GATEWAYS * args.rows
    result = Result(
        "soak",
        sizes={"minutes": args.minutes, "readings_per_second": round(rate), "batch_rows": args.rows},
        conditions=args.conditions,
    )
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database("smartmfg_bench_soak"))
        work = Path(f"/tmp/soak-{uuid.uuid4().hex[:8]}")
        platform = Platform("embedded", database, work, stack)
        started = time.monotonic()
        procs = platform.gateways(ARROW, GATEWAYS, per_gateway, args.rows, "soak", every=every)
        pids = {**platform.pids, **{f"gateway process {n + 1}": p.pid for n, p in enumerate(procs)}}
        with RssSampler(pids, every=max(0.5, args.minutes * 60 / 600)) as rss:
            reports = platform.reports(procs, timeout_s=args.minutes * 60 + 600)
            accepted = sum(len(r.get("latencies", [])) for r in reports) * args.rows
            try:
                platform.wait_rows(accepted, timeout_s=120)
                time.sleep(3)  # anything beyond the accepted rows would have landed by now
            except TimeoutError as exc:
                print(f"the lake did not catch up: {exc}", flush=True)  # reported as a count mismatch
        lake_rows = platform.committed_rows()
        elapsed = time.monotonic() - started
    errors = [r["error"] for r in reports if "error" in r]
    tracebacks = sum(log.read_text(errors="replace").count("Traceback") for log in work.glob("*.log"))
    verdicts = {name: flatness(series) for name, series in rss.series.items() if series}
    result.add("accepted readings/s", [accepted / elapsed], "readings/s", higher=True)
    for name, v in verdicts.items():
        result.add(f"{name}: RSS at the end", [v["last"]], "MiB", higher=False, target="flat")
    result.details = {
        "rss": verdicts,
        "rss_series": {k: [(round(t, 1), round(v, 1)) for t, v in s] for k, s in rss.series.items()},
        "lake_rows": lake_rows,
        "sent_rows": sent,
        "errors": len(errors) + tracebacks,
        "error_text": errors[:5],
    }
    print(f"wrote {result.save()}")
    ok = lake_rows == sent and not errors and not tracebacks and all(v["flat"] for v in verdicts.values())
    print(
        f"soak {'passed' if ok else 'FAILED'}: {lake_rows:,} of {sent:,} rows in the lake, "
        f"{len(errors)} upload errors, {tracebacks} tracebacks, RSS "
        + ", ".join(f"{k} {v['first']:.0f}→{v['last']:.0f} MiB" for k, v in verdicts.items())
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
