"""`make bench` and `make bench-check`: every benchmark of bench/, one after the other, then the report.

python bench/run.py                 run all, write docs/benchmarks.md and record bench/baseline.json
python bench/run.py --check         run all at the same sizes, compare with the baseline (exit 1 if worse,
                                    or if a benchmark of the baseline was not measured); then HTTP ingest
                                    against the code of --against (default HEAD) in alternating rounds:
                                    exit 1 on a median drop > 10 % beyond the noise, or if undecided
python bench/run.py --quick         small sizes: validates the harness in minutes (not comparable)
python bench/run.py --only peer,api --soak-minutes 30 --conditions "what else ran"
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import alternating
import baseline
import orjson
import report
from benchkit import CONDITIONS_ENV, RESULTS, ROOT

BENCHES = {
    "peer": "peer_bench.py",
    "http_ingest": "http_ingest_bench.py",
    "ingest_inprocess": "ingest_bench.py",
    "api": "api_bench.py",
    "soak": "soak.py",
}
# Benchmarks of other parts of the platform with their own sizes and printed report: run at their
# defaults (not in --quick runs unless named in --only), their output kept for the report.
EXTRAS = {
    "standards": "standards_bench.py",
    "analytics": "analytics_bench.py",
    "edge": "edge_bench.py",
    "ai_runs": "ai_runs_bench.py",
}
# --check only: the working tree against a baseline commit, both measured in the same minutes. The issue's
# setting (two gateways posting 250,000-reading Arrow batches, two writers), 3 M readings a run: big enough
# that a per-row cost shows, short enough for eight rounds on a shared machine.
ALTERNATING = "alternating"
ALTERNATING_ARGS = [
    *("--topologies", "embedded", "--uploaders", "2", "--writers", "2"),
    *("--arrow-batches", "12", "--arrow-rows", "250000"),
]


def alternating_failures(quick: bool) -> list[str]:
    """The verdict of the alternating run (bench/alternating.py); a quick run's is printed, not gated."""
    details = orjson.loads((RESULTS / f"{ALTERNATING}.json").read_bytes())["details"]
    print(f"  http ingest, working tree vs {details['baseline']}: {details['verdict']}")
    if quick:
        return []
    if details["regressed"]:
        return [f"http ingest: slower than {details['baseline']}: {details['verdict']}"]
    if not details["decided"]:
        return [
            f"http ingest vs {details['baseline']}: too noisy to tell a "
            f"{alternating.TOLERANCE:.0%} drop ({details['verdict']}); rerun on a quieter machine"
        ]
    return []


def run_extra(name: str, conditions: str) -> bool:
    """An extra at its defaults; its printed report is kept beside its results for the report."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / EXTRAS[name])],
        cwd=ROOT / "bench",
        capture_output=True,
        text=True,
        env={**os.environ, CONDITIONS_ENV: conditions},
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.txt").write_text(
        out.stdout + (f"\n(exit {out.returncode})" if out.returncode else "")
    )
    print(out.stdout[-2000:], out.stderr[-2000:] if out.returncode else "", flush=True)
    return out.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with bench/baseline.json, do not record"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--soak-minutes", type=float, default=30)
    parser.add_argument("--conditions", default="", help="what else ran on the machine, for the report")
    parser.add_argument("--no-run", action="store_true", help="only render/compare the saved results")
    parser.add_argument(
        "--against", default="HEAD", metavar="REF", help="--check: the commit HTTP ingest is compared with"
    )
    args = parser.parse_args()
    only = [n for n in args.only.split(",") if n]
    unknown = set(only) - set(BENCHES) - set(EXTRAS) - {ALTERNATING}
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; known: {[*BENCHES, *EXTRAS, ALTERNATING]}")
    if ALTERNATING in only and not args.check:
        parser.error(f"{ALTERNATING} compares two commits: it runs with --check only")
    chosen = only or [*BENCHES, *([] if args.quick else EXTRAS), *([ALTERNATING] if args.check else [])]
    failed: list[str] = []  # a failed benchmark does not stop the others; the run fails at the end
    if not args.no_run:
        for name in chosen:
            if name in EXTRAS:
                print(f"== {name}: {EXTRAS[name]}", flush=True)
                ok = run_extra(name, args.conditions)
            else:
                script = BENCHES.get(name, "http_ingest_bench.py")
                cmd = [sys.executable, str(ROOT / "bench" / script), "--conditions", args.conditions]
                if name == ALTERNATING:
                    cmd += [*ALTERNATING_ARGS, "--against", args.against]
                if args.quick:
                    cmd.append("--quick")
                if name == "soak":
                    cmd += ["--minutes", str(args.soak_minutes)]
                print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
                ok = subprocess.run(cmd, cwd=ROOT / "bench").returncode == 0
            if not ok:
                print(f"== {name} failed", file=sys.stderr)
                failed.append(name)
    # the alternating run has its baseline in itself: it is judged apart, never recorded
    results = {
        n: orjson.loads((RESULTS / f"{n}.json").read_bytes())
        for n in chosen
        if n != ALTERNATING and (RESULTS / f"{n}.json").exists()
    }
    if args.check:
        # A full run must have measured every benchmark of the baseline (extras included).
        required = [n for n in chosen if n != ALTERNATING] if only or args.quick else None
        lines, failures = baseline.compare(results, required=required) if results or not only else ([], [])
        failures += [f"{name}: the benchmark failed (see its output above)" for name in failed]
        print("\n".join(lines))
        if ALTERNATING in chosen and ALTERNATING not in failed:
            failures += alternating_failures(args.quick)
        if failures:
            print("bench-check FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        print("bench-check passed")
        return 0
    print(f"wrote {report.render()}")
    # Quick runs record too: the baseline keeps an entry per sizes, so they are compared with quick runs only.
    baseline.record({n: r for n, r in results.items() if n not in failed})
    print(f"recorded {baseline.BASELINE}")
    if failed:
        print(
            f"failed: {', '.join(failed)} (its figures are on the page, not in the baseline)", file=sys.stderr
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
