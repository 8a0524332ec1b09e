"""The regression gate of `make bench-check` (bench/baseline.py): what it fails, what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import baseline
import orjson
import pytest

MACHINE = {"cores": 2, "memory_gib": 24, "cpu": "Xeon", "python": "3.11.7", "loadavg_1m_at_end": 1.0}


def result(*, rate: float, p95: float, sizes: dict[str, Any] | None = None, **machine: Any) -> dict[str, Any]:
    return {
        "sizes": sizes or {"readings": 1000},
        "measured_at": "2026-11-26T12:00:00+00:00",
        "machine": {**MACHINE, **machine},
        "figures": [
            {"name": "readings/s", "value": rate, "unit": "readings/s", "higher_is_better": True},
            {"name": "freshness p95", "value": p95, "unit": "s", "higher_is_better": False},
        ],
    }


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    path = tmp_path / "baseline.json"
    baseline.record({"peer": result(rate=1000.0, p95=2.0)}, path)
    return path


def test_within_30_percent_passes(recorded: Path) -> None:
    lines, failures = baseline.compare({"peer": result(rate=710.0, p95=2.8)}, recorded)
    assert failures == []
    assert len(lines) == 2


def test_a_rate_more_than_30_percent_lower_fails(recorded: Path) -> None:
    _, failures = baseline.compare({"peer": result(rate=690.0, p95=2.0)}, recorded)
    assert len(failures) == 1 and "readings/s" in failures[0]


def test_a_latency_more_than_30_percent_worse_fails(recorded: Path) -> None:
    _, failures = baseline.compare({"peer": result(rate=1000.0, p95=3.0)}, recorded)
    assert len(failures) == 1 and "freshness p95" in failures[0]


def test_better_figures_never_fail(recorded: Path) -> None:
    assert baseline.compare({"peer": result(rate=5000.0, p95=0.1)}, recorded)[1] == []


def test_another_machine_kind_or_other_sizes_are_not_compared(recorded: Path) -> None:
    _, other_machine = baseline.compare({"peer": result(rate=1000.0, p95=2.0, cores=8)}, recorded)
    _, other_sizes = baseline.compare({"peer": result(rate=1000.0, p95=2.0, sizes={"readings": 5})}, recorded)
    assert "not comparable" in other_machine[0]
    assert "no baseline at these sizes" in other_sizes[0]


def test_no_baseline_is_a_failure(tmp_path: Path) -> None:
    _, failures = baseline.compare({"peer": result(rate=1.0, p95=1.0)}, tmp_path / "missing.json")
    assert failures and "no baseline" in failures[0]


def test_every_benchmark_of_the_baseline_must_be_measured(recorded: Path) -> None:
    baseline.record({"standards": result(rate=50.0, p95=0.02)}, recorded)
    _, failures = baseline.compare({"peer": result(rate=1000.0, p95=2.0)}, recorded)
    assert failures == ["standards: in the baseline but not measured in this run"]
    # a run of chosen benchmarks (--only) requires those only
    assert baseline.compare({"peer": result(rate=1000.0, p95=2.0)}, recorded, required=["peer"])[1] == []


def test_a_figure_of_the_baseline_missing_from_the_run_fails(recorded: Path) -> None:
    measured = result(rate=1000.0, p95=2.0)
    measured["figures"] = measured["figures"][:1]
    _, failures = baseline.compare({"peer": measured}, recorded)
    assert failures == ["peer / freshness p95: in the baseline but not measured"]


def test_recording_keeps_the_entries_of_other_sizes_and_benchmarks(recorded: Path) -> None:
    baseline.record({"peer": result(rate=10.0, p95=9.0, sizes={"readings": 5})}, recorded)
    baseline.record({"soak": result(rate=3.0, p95=1.0)}, recorded)
    baseline.record({"peer": result(rate=2000.0, p95=1.0)}, recorded)  # replaces the entry of its sizes
    kept = {
        (e["bench"], e["sizes"]["readings"]): e["figures"]["readings/s"]["value"]
        for e in baseline.entries(recorded)
    }
    assert kept == {("peer", 1000): 2000.0, ("peer", 5): 10.0, ("soak", 1000): 3.0}
    quick = baseline.compare({"peer": result(rate=6.0, p95=9.0, sizes={"readings": 5})}, recorded, ["peer"])
    assert len(quick[1]) == 1 and "readings/s" in quick[1][0]


def test_the_first_format_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    old = {
        "machine": {"cores": 2, "memory_gib": 24, "cpu": "Xeon"},
        "benches": {
            "peer": {
                "sizes": {"readings": 1000},
                "measured_at": "2026-11-26T12:00:00+00:00",
                "conditions": "",
                "figures": {"readings/s": {"value": 1000.0, "higher_is_better": True}},
            }
        },
    }
    path.write_bytes(orjson.dumps(old))
    measured = result(rate=600.0, p95=2.0)
    _, failures = baseline.compare({"peer": measured}, path)
    assert len(failures) == 1 and "readings/s" in failures[0]
