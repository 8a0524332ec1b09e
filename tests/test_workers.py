"""The server suite's phases and worker groups (tests/workers.py), checked on this module's own items."""

from __future__ import annotations

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
