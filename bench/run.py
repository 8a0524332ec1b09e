"""`make bench` and `make bench-check`: every benchmark of bench/, one after the other, then the report.

python bench/run.py                 run all, write docs/benchmarks.md and record bench/baseline.json
python bench/run.py --check         run all at the same sizes, compare with the baseline (exit 1 if worse)
python bench/run.py --quick         small sizes: validates the harness in minutes (not comparable)
python bench/run.py --only peer,api --soak-minutes 30 --conditions "what else ran"
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import baseline
import orjson
import report
from benchkit import RESULTS, ROOT

BENCHES = {
    "peer": "peer_bench.py",
    "http_ingest": "http_ingest_bench.py",
    "ingest_inprocess": "ingest_bench.py",
    "api": "api_bench.py",
    "soak": "soak.py",
}
# Benchmarks of other parts of the platform with their own sizes and printed report: run at their
# defaults (not in --quick runs unless named in --only), their output kept for the report.
EXTRAS = {"standards": "standards_bench.py", "analytics": "analytics_bench.py", "edge": "edge_bench.py"}


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
    args = parser.parse_args()
    chosen = [n for n in args.only.split(",") if n] or [*BENCHES, *([] if args.quick else EXTRAS)]
    names = [n for n in chosen if n in BENCHES]
    if not args.no_run:
        for name in [n for n in chosen if n in EXTRAS]:
            print(f"== {name}: {EXTRAS[name]}", flush=True)
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / EXTRAS[name])],
                cwd=ROOT / "bench",
                capture_output=True,
                text=True,
            )
            RESULTS.mkdir(parents=True, exist_ok=True)
            (RESULTS / f"{name}.txt").write_text(
                out.stdout + (f"\n(exit {out.returncode})" if out.returncode else "")
            )
            print(out.stdout[-2000:], flush=True)
        for name in names:
            cmd = [sys.executable, str(ROOT / "bench" / BENCHES[name]), "--conditions", args.conditions]
            if args.quick:
                cmd.append("--quick")
            if name == "soak":
                cmd += ["--minutes", str(args.soak_minutes)]
            print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
            if subprocess.run(cmd, cwd=ROOT / "bench").returncode != 0:
                print(f"== {name} failed", file=sys.stderr)
                return 1
    results = {
        n: orjson.loads((RESULTS / f"{n}.json").read_bytes())
        for n in names
        if (RESULTS / f"{n}.json").exists()
    }
    if args.check:
        lines, failures = baseline.compare(results)
        print("\n".join(lines))
        if failures:
            print("bench-check FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        print("bench-check: every figure within 30 % of the baseline")
        return 0
    print(f"wrote {report.render()}")
    # Quick runs record too: their sizes differ, so they are only ever compared with quick runs.
    baseline.record(results)
    print(f"recorded {baseline.BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
