"""The server suite's phases and worker groups (tests/workers.py), checked on this module's own items."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
        start = 1_765_000_000.0
        return SimpleNamespace(
            nodeid=test, when=when, duration=seconds, node=node, start=start, stop=start + seconds
        )

    for made in (
        report("t::a", "setup", 1.25, "gw0"),
        report("t::a", "call", 2.5, "gw0"),
        report("t::b", "call", 0.25, "gw1"),
        report("t::c", "teardown", 0.75, None),
    ):
        timings.pytest_runtest_logreport(made)
    lines = [json.loads(line) for line in (tmp_path / "timings.jsonl").read_text().splitlines()]
    assert lines[1] == {
        "test": "t::a",
        "when": "call",
        "seconds": 2.5,
        "start": 1_765_000_000.0,
        "stop": 1_765_000_002.5,
        "worker": "gw0",
    }
    assert lines[3] == {
        "test": "t::c",
        "when": "teardown",
        "seconds": 0.75,
        "start": 1_765_000_000.0,
        "stop": 1_765_000_000.75,
        "worker": "main",
    }
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


class Unit:
    """An item as ``longest_first`` sees it: its id (with xdist's ``@<group>``) and whether it is slow."""

    def __init__(self, nodeid: str, *, slow: bool = False) -> None:
        self.nodeid, self.slow = nodeid, slow

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def _ordered(
    units: list[Unit], known: dict[str, float], committed: dict[str, float] | None = None
) -> list[str]:
    items: list[Any] = list(units)
    workers.longest_first(items, known, committed or {})
    return [item.nodeid for item in items]


def test_the_longest_unit_starts_first_and_a_groups_tests_stay_together_in_their_order() -> None:
    units = [
        Unit("a.py::quick"),
        Unit("b.py::one@portal_url"),
        Unit("a.py::long[postgres]"),
        Unit("c.py::two@portal_url"),
        Unit("a.py::long[sqlite]"),
    ]
    known = {
        "a.py::quick": 0.5,
        "a.py::long[postgres]": 118.0,
        "a.py::long[sqlite]": 2.0,
        "b.py::one": 83.0,
        "c.py::two": 40.0,
    }
    assert _ordered(units, known) == [
        "b.py::one@portal_url",  # 123 s in all
        "c.py::two@portal_url",
        "a.py::long[postgres]",
        "a.py::long[sqlite]",
        "a.py::quick",
    ]


def test_an_untimed_slow_test_counts_a_minute_any_other_a_second() -> None:
    units = [
        Unit("a.py::new"),
        Unit("a.py::timed"),
        Unit("a.py::new_and_slow", slow=True),
        Unit("a.py::other"),
    ]
    assert _ordered(units, {"a.py::timed": 30.0}) == [
        "a.py::new_and_slow",
        "a.py::timed",
        "a.py::new",  # equal: in their collection order
        "a.py::other",
    ]


def test_on_a_clean_clone_the_committed_record_orders_the_units() -> None:
    units = [
        Unit("a.py::quick"),
        Unit("b.py::one@portal_url"),
        Unit("a.py::new", slow=True),
        Unit("c.py::two@portal_url"),
        Unit("a.py::long[postgres]"),
    ]
    committed = {"portal_url": 327.0, "a.py::long[postgres]": 118.0, "a.py::quick": 3.0}
    assert _ordered(units, {}, committed) == [
        "b.py::one@portal_url",  # counted 2 s untimed, 327 s by the record
        "c.py::two@portal_url",
        "a.py::long[postgres]",
        "a.py::new",  # untimed and slow: 60 s
        "a.py::quick",
    ]


def test_a_unit_timed_in_this_checkout_counts_its_own_tests_not_the_record() -> None:
    units = [Unit("b.py::one@portal_url"), Unit("c.py::two@portal_url"), Unit("a.py::long")]
    known = {"b.py::one": 20.0}  # c.py::two never ran here: 1 s
    assert _ordered(units, known, {"portal_url": 327.0, "a.py::long": 30.0}) == [
        "a.py::long",
        "b.py::one@portal_url",
        "c.py::two@portal_url",
    ]


def test_the_committed_record_is_read_from_a_durations_output_by_unit() -> None:
    output = """
============================= slowest durations ==============================
126.82s setup    tests/e2e/portal/test_guides_browser.py::test_every_role_page@portal_url
84.50s call     tests/e2e/portal/test_guides_browser.py::test_every_role_page@portal_url
3.50s call     tests/ingest/test_edge_cli.py::test_a[x y]@module:tests/ingest/test_edge_cli.py
0.75s teardown tests/ingest/test_edge_cli.py::test_b@module:tests/ingest/test_edge_cli.py
1.99s call     tests/platform_api/test_x.py::test_quick[sqlite]
2.25s call     tests/platform_api/test_x.py::test_slower[postgres]
(1201 durations < 0.005s hidden.)
"""
    tests = workers.parse_durations_output(output)
    assert tests["tests/e2e/portal/test_guides_browser.py::test_every_role_page@portal_url"] == 211.32
    assert workers.unit_seconds(tests) == {
        "module:tests/ingest/test_edge_cli.py": 4,
        "portal_url": 211,
        "tests/platform_api/test_x.py::test_slower[postgres]": 2,
    }


def test_the_committed_record_knows_the_browser_group_and_only_units_of_two_seconds_or_more() -> None:
    committed = workers.read_seconds(workers.COMMITTED)
    assert committed["portal_url"] > 200, "the browser tests' group: minutes, though not marked slow"
    assert min(committed.values()) >= 2
    assert workers.read_seconds(Path("/nonexistent/durations.json")) == {}


def test_a_parameter_with_an_at_sign_is_not_a_group() -> None:
    assert workers.plain_id("a.py::t[x@y]") == "a.py::t[x@y]"
    assert workers.plain_id("a.py::t[x@y]@module:a.py") == "a.py::t[x@y]"
    assert workers.plain_id("a.py::t@platform-processes") == "a.py::t"
    units = [Unit("a.py::t[x@y]"), Unit("a.py::u[x@y]")]
    assert _ordered(units, {"a.py::u[x@y]": 3.0, "a.py::t[x@y]": 2.0}) == ["a.py::u[x@y]", "a.py::t[x@y]"]


def test_durations_sum_a_tests_phases_and_keep_the_tests_this_run_left_out(tmp_path: Path) -> None:
    path = tmp_path / ".cache" / "test-durations.json"
    first = workers.Durations(path)
    assert first.known() == {}, "no run recorded yet"
    for nodeid, seconds in (("a.py::t@grp", 1.5), ("a.py::t@grp", 40.25), ("b.py::u", 3.0)):
        first.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))  # type: ignore[arg-type]
    first.pytest_sessionfinish()
    second = workers.Durations(path)
    for nodeid, seconds in (("b.py::u", 0.5), ("a.py::t", 2.0)):  # a run without xdist's groups
        second.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))  # type: ignore[arg-type]
    second.pytest_sessionfinish()
    assert workers.Durations(path).known() == {"a.py::t": 2.0, "b.py::u": 0.5}
    assert workers.Durations(path).recorded() == {"a.py::t@grp": 2.0, "b.py::u": 0.5}, "the group kept"
    assert [p.name for p in path.parent.iterdir()] == ["test-durations.json"], "nothing left aside"


def test_a_file_cut_short_counts_as_no_record(tmp_path: Path) -> None:
    path = tmp_path / "test-durations.json"
    path.write_text('{"a.py::t": 4')
    assert workers.Durations(path).known() == {}


class Marked:
    """An item with markers, no fixture wider than a test, as ``group_shared_fixtures`` sees it."""

    def __init__(self, nodeid: str, *marks: pytest.MarkDecorator) -> None:
        self.nodeid = nodeid
        self.marks = [mark.mark for mark in marks]
        self.fixturenames: list[str] = []

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return next((mark for mark in self.marks if mark.name == name), None)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.marks.append(marker.mark)

    def iter_markers(self, name: str) -> Iterator[pytest.Mark]:
        return (mark for mark in self.marks if mark.name == name)


def test_serial_tests_stopping_the_same_servers_share_a_group_the_others_get_their_own() -> None:
    items = [
        Marked("e2e/test_chaos_ha.py::test_chaos", pytest.mark.serial("ha-servers")),
        Marked("ingest/test_exactly_once.py::test_kafka_restart", pytest.mark.serial),
        Marked("ingest/test_exactly_once.py::test_minio_outage", pytest.mark.serial),
        Marked("ingest/test_upload.py::test_upload"),
    ]
    config = SimpleNamespace(option=SimpleNamespace(loadgroup=False))
    workers.group_shared_fixtures(config, items)  # type: ignore[arg-type]
    assert [_groups(item) for item in items] == [  # type: ignore[arg-type]
        ["serial:ha-servers"],
        ["serial:shared-servers"],
        ["serial:shared-servers"],
        [],
    ]
