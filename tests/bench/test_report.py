"""docs/benchmarks.md (bench/report.py): every results file gets a section, every figure its target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import report

MACHINE = {"cores": 2, "memory_gib": 24, "cpu": "Xeon", "python": "3.11.7", "loadavg_1m_at_end": 3.5}


def figure(name: str, value: float, unit: str, target: str = "-", higher: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "higher_is_better": higher,
        "target": target,
        "runs": [value * 0.9, value, value * 1.2],
    }


def result(bench: str, figures: list[dict[str, Any]], **details: Any) -> dict[str, Any]:
    return {
        "bench": bench,
        "sizes": {"models": 500},
        "figures": figures,
        "details": details,
        "conditions": "while tests ran",
        "machine": MACHINE,
        "measured_at": "2026-11-26T16:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        ("≤ 50 ms", 49.0, True),
        ("≤ 50 ms", 51.0, False),
        ("<= 1000 ms", 999.0, True),
        ("≥ 1,000,000", 133_623.0, False),
        (">= 20 x", 25.0, True),
        ("flat", 1.0, None),
        ("-", 1.0, None),
    ],
)
def test_a_figure_meets_its_target(target: str, value: float, met: bool | None) -> None:
    assert report.meets(figure("f", value, "ms", target)) is met


def test_every_results_file_is_loaded_the_written_sections_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    for name in ("standards", "soak", "edge", "peer", "newbench"):
        (tmp_path / f"{name}.json").write_bytes(orjson.dumps(result(name, [])))
    assert list(report.load()) == ["peer", "soak", "edge", "newbench", "standards"]


def test_a_benchmark_without_a_written_section_gets_the_generic_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "IMG", tmp_path / "img")
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    (tmp_path / "standards.txt").write_text("what it printed\n")
    r = result(
        "standards",
        [
            figure("sqlite search p95", 26.8, "ms", "≤ 50 ms"),
            figure("postgres search p95", 51.1, "ms", "≤ 50 ms"),
            figure("models/s", 66.0, "models/s", higher=True),
        ],
        sqlite_load_s=7.5,
        rows=[["sqlite", "search", 1.0]],
    )
    section = report.generic_section("standards", r)
    assert section.startswith("## The standards catalogue at the plan's scale")
    assert "`bench/standards_bench.py`. 1 of 2 figures with a target meet it." in section
    assert "| sqlite search p95 | **26.8 ms** | 24.1 ms, 26.8 ms, 32.2 ms | ≤ 50 ms | ✓ |" in section
    assert "| postgres search p95 | **51.1 ms** | 46.0 ms, 51.1 ms, 61.3 ms | ≤ 50 ms | ✗ |" in section
    assert "| sqlite_load_s | 7.50 |" in section
    assert "what it printed" in section
    assert "3 runs per figure (median shown)" in section and "while tests ran" in section
    # a chart for the unit two figures share, none for a unit of one figure
    assert [p.name for p in (tmp_path / "img").iterdir()] == ["bench-standards-ms.png"]
    assert "](img/bench-standards-ms.png)" in section
