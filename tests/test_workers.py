"""The server suite's phases and worker groups (tests/workers.py), checked on this module's own items."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests import workers


@pytest.fixture(scope="module")
def one_per_module() -> str:
    return "made once for this module's tests"


def _groups(node: pytest.Item) -> list[str]:
    return [str(mark.args[0]) for mark in node.iter_markers("xdist_group")]


def test_a_test_of_a_module_fixture_goes_where_that_instance_is(
    request: pytest.FixtureRequest, one_per_module: str
) -> None:
    assert _groups(request.node) == ["module:tests/test_workers.py"]
    if getattr(request.config.option, "loadgroup", False):  # on a worker of make test's parallel phase
        assert request.node.nodeid.endswith("@module:tests/test_workers.py"), "the controller groups by it"


def test_a_test_of_function_fixtures_only_goes_to_any_worker(
    request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    assert _groups(request.node) == []


class Item:
    def __init__(self, name: str, *, serial: bool) -> None:
        self.name, self.serial = name, serial

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "serial" and self.serial else None


def _phase(phase: str | None) -> tuple[list[str], list[str]]:
    deselected: list[str] = []
    config = SimpleNamespace(
        hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(i.name for i in items))
    )
    items: list[Any] = [Item("a", serial=False), Item("outage", serial=True), Item("b", serial=False)]
    workers.select_phase(config, items, phase)  # type: ignore[arg-type]
    return [i.name for i in items], deselected


def test_the_parallel_phase_leaves_the_serial_tests_out() -> None:
    assert _phase("parallel") == (["a", "b"], ["outage"])


def test_the_serial_phase_runs_only_them() -> None:
    assert _phase("serial") == (["outage"], ["a", "b"])


def test_without_a_phase_everything_runs() -> None:
    assert _phase(None) == (["a", "outage", "b"], [])


def test_timings_write_each_phase_with_its_worker_and_sum_each_workers_busy_time(tmp_path: Path) -> None:
    timings = workers.Timings(tmp_path / "timings.jsonl")

    def report(test: str, when: str, seconds: float, worker: str | None) -> Any:
        node = SimpleNamespace(gateway=SimpleNamespace(id=worker)) if worker else None
        return SimpleNamespace(nodeid=test, when=when, duration=seconds, node=node)

    for made in (
        report("t::a", "setup", 1.25, "gw0"),
        report("t::a", "call", 2.5, "gw0"),
        report("t::b", "call", 0.25, "gw1"),
        report("t::c", "teardown", 0.75, None),
    ):
        timings.pytest_runtest_logreport(made)
    lines = [json.loads(line) for line in (tmp_path / "timings.jsonl").read_text().splitlines()]
    assert lines[1] == {"test": "t::a", "when": "call", "seconds": 2.5, "worker": "gw0"}
    assert lines[3] == {"test": "t::c", "when": "teardown", "seconds": 0.75, "worker": "main"}
    written: list[str] = []
    timings.pytest_terminal_summary(SimpleNamespace(write_line=written.append))
    assert written == [
        f"busy time by worker: gw0 4 s, gw1 0 s, main 1 s (each test's phases in {tmp_path}/timings.jsonl)"
    ]


@pytest.mark.xdist_group("named-here")
def test_a_group_named_by_the_test_is_kept(request: pytest.FixtureRequest, one_per_module: str) -> None:
    assert _groups(request.node) == ["named-here"], "not the module fixture's group"
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@named-here")
