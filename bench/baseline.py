"""The regression gate: bench/baseline.json holds the last recorded figures of every benchmark and the
conditions they were measured under (machine kind, sizes), one entry per benchmark, machine kind and sizes.
``compare`` fails a figure that is more than 30 % worse than its baseline — lower for a rate, higher for a
latency —, refuses to compare across conditions, and fails a benchmark of the baseline that was not
measured: a gate that silently passes is no gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from benchkit import ROOT

BASELINE = ROOT / "bench" / "baseline.json"
TOLERANCE = 0.30


def machine_kind(machine: dict[str, Any]) -> dict[str, Any]:
    return {k: machine[k] for k in ("cores", "memory_gib", "cpu")}


def entries(path: Path = BASELINE) -> list[dict[str, Any]]:
    """The recorded entries (none when there is no baseline yet)."""
    if not path.exists():
        return []
    doc = orjson.loads(path.read_bytes())
    if "entries" in doc:
        return list(doc["entries"])
    # the first format: one machine kind, one entry per benchmark
    return [{"bench": name, "machine": doc["machine"], **b} for name, b in doc.get("benches", {}).items()]


def _same(entry: dict[str, Any], name: str, kind: dict[str, Any], sizes: dict[str, Any]) -> bool:
    return entry["bench"] == name and entry["machine"] == kind and entry["sizes"] == sizes


def record(results: dict[str, dict[str, Any]], path: Path = BASELINE) -> None:
    """Record these results as the baseline of their benchmark, machine kind and sizes; other entries stay."""
    kept = entries(path)
    for name, r in results.items():
        kind = machine_kind(r["machine"])
        kept = [e for e in kept if not _same(e, name, kind, r["sizes"])]
        kept.append(
            {
                "bench": name,
                "machine": kind,
                "sizes": r["sizes"],
                "measured_at": r["measured_at"],
                "conditions": r.get("conditions", ""),
                "figures": {
                    f["name"]: {"value": f["value"], "higher_is_better": f["higher_is_better"]}
                    for f in r["figures"]
                },
            }
        )
    kept.sort(key=lambda e: (e["bench"], orjson.dumps(e["sizes"], option=orjson.OPT_SORT_KEYS)))
    path.write_bytes(orjson.dumps({"entries": kept}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def worse(value: float, base: float, higher_is_better: bool) -> float:
    """How much worse ``value`` is than ``base``, as a fraction of the better of the two (0 = not worse)."""
    if higher_is_better:
        return max(0.0, (base - value) / base) if base > 0 else 0.0
    return max(0.0, (value - base) / value) if value > 0 else 0.0


def compare(
    results: dict[str, dict[str, Any]], path: Path = BASELINE, required: Iterable[str] | None = None
) -> tuple[list[str], list[str]]:
    """Lines to print and the failures among them.

    Every benchmark of ``required`` (default: every benchmark the baseline holds for this machine kind)
    must have been measured; each measured one is compared with the entry of its machine kind and sizes.
    """
    recorded = entries(path)
    if not recorded:
        return [], [f"no baseline at {path}: run `make bench` on this machine kind first"]
    if not results:
        return [], ["nothing was measured"]
    lines, failures = [], []
    kinds = [machine_kind(r["machine"]) for r in results.values()]
    wanted = (
        set(required) if required is not None else {e["bench"] for e in recorded if e["machine"] in kinds}
    )
    failures += [
        f"{name}: in the baseline but not measured in this run" for name in sorted(wanted - set(results))
    ]
    for name, r in results.items():
        kind = machine_kind(r["machine"])
        base = next((e for e in recorded if _same(e, name, kind, r["sizes"])), None)
        if base is None:
            if not any(e["machine"] == kind for e in recorded):
                failures.append(
                    f"{name}: measured on {kind}, the baseline on another machine: not comparable"
                )
            else:
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
        measured = {f["name"] for f in r["figures"]}
        failures += [
            f"{name} / {f}: in the baseline but not measured" for f in base["figures"] if f not in measured
        ]
    return lines, failures
