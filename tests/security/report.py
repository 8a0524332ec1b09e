"""What the generated security tests covered, gathered over the whole run and written once at its end.

A test adds its section to the process's :data:`REPORT`. On pytest-xdist workers each worker holds the
sections of the tests it ran: it hands them to the controller when it finishes (``workeroutput``), and the
controller, the one process that prints the summary, merges them (tests/conftest.py wires the hooks).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPORT_PATH = Path(
    os.environ.get("SMARTMFG_SECURITY_REPORT", Path(__file__).parents[2] / "build" / "security-coverage.json")
)
WORKER_OUTPUT = "security_report"


@dataclass
class SecurityReport:
    """What the generated security tests covered, by test: endpoints, operations, cases."""

    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, section: str, **figures: Any) -> None:
        self.sections[section] = figures

    def lines(self) -> list[str]:
        def figure(key: str, value: Any) -> str:
            key = key.replace("_", " ")
            return f"{key}: {value}" if isinstance(value, str) else f"{value} {key}"

        return [
            f"{name}: " + ", ".join(figure(key, value) for key, value in figures.items())
            for name, figures in self.sections.items()
        ]

    def write(self) -> None:
        REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
        REPORT_PATH.write_text(json.dumps(self.sections, indent=2, ensure_ascii=False) + "\n")


REPORT = SecurityReport()


def hand_over(workeroutput: dict[str, Any]) -> None:
    """On an xdist worker at its end: give the controller what this worker's tests covered."""
    workeroutput[WORKER_OUTPUT] = REPORT.sections


def take_over(workeroutput: dict[str, Any]) -> None:
    """On the controller: add what a finished worker's tests covered."""
    REPORT.sections.update(workeroutput.get(WORKER_OUTPUT, {}))


def summary(terminalreporter: Any) -> None:
    if not REPORT.sections:
        return
    REPORT.write()
    terminalreporter.section("security coverage")
    for line in REPORT.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {REPORT_PATH})")
