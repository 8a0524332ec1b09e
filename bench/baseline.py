"""The regression gate: bench/baseline.json holds the last recorded figures and the conditions they were
measured under (machine kind, sizes). ``compare`` fails a figure that is more than 30 % worse than its
baseline — lower for a rate, higher for a latency — and refuses to compare across conditions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from benchkit import ROOT

BASELINE = ROOT / "bench" / "baseline.json"
TOLERANCE = 0.30


def machine_kind(machine: dict[str, Any]) -> dict[str, Any]:
    return {k: machine[k] for k in ("cores", "memory_gib", "cpu")}


def record(results: dict[str, dict[str, Any]], path: Path = BASELINE) -> None:
    kind = machine_kind(next(iter(results.values()))["machine"])
    benches = {
        name: {
            "sizes": r["sizes"],
            "measured_at": r["measured_at"],
            "conditions": r.get("conditions", ""),
            "figures": {
                f["name"]: {"value": f["value"], "higher_is_better": f["higher_is_better"]}
                for f in r["figures"]
            },
        }
        for name, r in results.items()
    }
    path.write_bytes(
        orjson.dumps({"machine": kind, "benches": benches}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )


def worse(value: float, base: float, higher_is_better: bool) -> float:
    """How much worse ``value`` is than ``base``, as a fraction of the better of the two (0 = not worse)."""
    if higher_is_better:
        return max(0.0, (base - value) / base) if base > 0 else 0.0
    return max(0.0, (value - base) / value) if value > 0 else 0.0


def compare(results: dict[str, dict[str, Any]], path: Path = BASELINE) -> tuple[list[str], list[str]]:
    """Lines to print and the failures among them. A missing or incomparable baseline is a failure too:
    a gate that silently passes is no gate."""
    if not path.exists():
        return [], [f"no baseline at {path}: run `make bench` on this machine kind first"]
    baseline = orjson.loads(path.read_bytes())
    lines, failures = [], []
    for name, r in results.items():
        kind = machine_kind(r["machine"])
        if kind != baseline["machine"]:
            failures.append(
                f"{name}: measured on {kind}, the baseline on {baseline['machine']}: not comparable"
            )
            continue
        base = baseline["benches"].get(name)
        if base is None or base["sizes"] != r["sizes"]:
            failures.append(
                f"{name}: no baseline at these sizes ({r['sizes']}); record one with `make bench`"
            )
            continue
        for f in r["figures"]:
            b = base["figures"].get(f["name"])
            if b is None:
                lines.append(f"  {name} / {f['name']}: new figure, no baseline")
                continue
            drop = worse(f["value"], b["value"], f["higher_is_better"])
            line = (
                f"  {name} / {f['name']}: {f['value']:,.3g} vs baseline {b['value']:,.3g} ({drop:.0%} worse)"
            )
            lines.append(line)
            if drop > TOLERANCE:
                failures.append(line.strip())
    return lines, failures
