"""The regression gate of `make bench-check` (bench/baseline.py): what it fails, what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import baseline
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
