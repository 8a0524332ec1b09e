"""The server suite on several pytest-xdist workers: which tests run alone, which share a worker.

``make test`` runs in two phases: ``--phase parallel`` (``pytest -n 2 --dist loadgroup``) runs every test
not marked ``serial`` on two workers at once, then ``--phase serial`` the ``serial`` ones, by what they stop.
Invariants that make the first phase safe:

- whatever a test names on the shared servers is its own: databases, Kafka topics and consumer groups,
  lake prefixes and Keycloak objects carry a random suffix (``uuid``), a fixed name is used only by a test
  that runs once per run and never concurrently with itself, and creating a shared bucket tolerates a
  concurrent creator;
- a test that stops or restarts a server, or that must not share the machine while it measures, is marked
  ``serial``: no test of the first phase runs while it does. In the second phase the serial tests that
  stop the same servers (the marker's argument, ``SHARED_SERVERS`` without one) form one group, run one
  after the other; a group stopping servers of its own only (``serial("ha-servers")``) runs beside it;
- a fixture wider than a test is set up once per worker that uses it. So every test that uses a module,
  package or class fixture goes to the worker of the others using that instance (an xdist group, set
  here), and so do the tests of a session fixture that costs minutes (``SHARED_SESSION_FIXTURES``); cheap
  session fixtures (templates, keys, tokens) are simply made by each worker;
- the tests that start a whole distributed platform (a dozen processes) name one group,
  ``PLATFORM_PROCESSES``: one worker runs them one after the other, never two such starts at once on the
  machine's cores.

xdist hands the groups (and the ungrouped tests, each its own unit) to the workers in collection order, a
worker taking the next one when it runs out. The longest must start first, or one ends alone after the other
worker has finished: every run records how long each test took (``Durations``, in ``DURATIONS``) and the next
run's workers order the units longest first (``longest_first``); a test never timed here counts
``UNTIMED_SLOW_S`` when marked ``slow``, ``UNTIMED_S`` otherwise.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from _pytest.nodeid import NodeId

PHASES = ("parallel", "serial")
# Session fixtures worth one worker's run rather than two setups: the portal's platform process loads the
# demo data with 30 days of telemetry (minutes).
SHARED_SESSION_FIXTURES = frozenset({"portal_url"})
PLATFORM_PROCESSES = "platform-processes"
# What a serial test stops when its marker names nothing: the servers every other test uses.
SHARED_SERVERS = "shared-servers"
DURATIONS = Path(__file__).resolve().parents[1] / ".cache" / "test-durations.json"
# The slow tests take from 20 s to 3 minutes; an API test with its setup about a second.
UNTIMED_SLOW_S = 60.0
UNTIMED_S = 1.0


def select_phase(config: pytest.Config, items: list[pytest.Item], phase: str | None) -> None:
    """Keep the tests of ``phase``: ``serial`` ones alone, every other in ``parallel``; all when None."""
    if phase is None:
        return
    alone = phase == "serial"
    kept = [item for item in items if (item.get_closest_marker("serial") is not None) == alone]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def group_shared_fixtures(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test that uses an instance of a wider fixture with the xdist group of that instance, and
    each serial test with the group of the servers it stops; a test that names its group itself
    (``@pytest.mark.xdist_group("...")``) keeps it."""
    on_grouping_worker = getattr(config.option, "loadgroup", False)  # xdist sets it on a loadgroup worker
    for item in items:
        named = item.get_closest_marker("xdist_group")
        if named is not None and named.args:
            group: str | None = str(named.args[0])
        else:
            group = _servers_stopped(item) or _shared_instance(item)
        if group is None:
            continue
        if named is None:
            item.add_marker(pytest.mark.xdist_group(group))
        if on_grouping_worker and not item.nodeid.endswith(f"@{group}"):
            # The controller groups the ids a worker collected by their "@<group>" suffix. pytest-xdist 3.8
            # adds it by assigning ``item._nodeid``, which pytest 9 no longer reads (the id is ``item._id``):
            # without this every group would be split over the workers.
            item._id = NodeId.parse(f"{item.nodeid}@{group}")


def _servers_stopped(item: pytest.Item) -> str | None:
    serial = item.get_closest_marker("serial")
    if serial is None:
        return None
    return f"serial:{serial.args[0] if serial.args else SHARED_SERVERS}"


def _shared_instance(item: pytest.Item) -> str | None:
    # The fixture definitions a test resolved are only on its (private) fixture info.
    resolved = getattr(item, "_fixtureinfo", None)
    if resolved is None:
        return None
    widest: tuple[int, str] | None = None
    for name in getattr(item, "fixturenames", ()):  # a Function's; a bare Item has none
        definitions = resolved.name2fixturedefs.get(name)
        if not definitions:
            continue
        definition = definitions[-1]
        if name in SHARED_SESSION_FIXTURES:
            candidate = (0, name)
        elif definition.scope == "package":
            candidate = (1, f"package:{definition.baseid}")
        elif definition.scope == "module":
            candidate = (2, f"module:{item.nodeid.split('::', 1)[0]}")
        elif definition.scope == "class" and getattr(item, "cls", None) is not None:
            candidate = (3, f"class:{item.nodeid.rsplit('::', 1)[0]}")
        else:
            continue
        if widest is None or candidate < widest:
            widest = candidate
    return None if widest is None else widest[1]


class Timings:
    """``--timings FILE``: each phase (setup, call, teardown) of each test as a JSON line, with its worker,
    and each worker's busy seconds at the end: where the time went and how evenly the workers shared it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.busy: dict[str, float] = defaultdict(float)
        path.write_text("")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # On the xdist controller a report carries the worker it came from; without xdist, "main".
        node: Any = getattr(report, "node", None)
        worker = node.gateway.id if node is not None else "main"
        self.busy[worker] += report.duration
        line = {
            "test": report.nodeid,
            "when": report.when,
            "seconds": round(report.duration, 3),
            "start": round(report.start, 3),  # seconds since the epoch: the workers' idle ends show
            "stop": round(report.stop, 3),
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line | {"worker": worker}) + "\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        busy = ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(self.busy.items()))
        terminalreporter.write_line(f"busy time by worker: {busy} (each test's phases in {self.path})")


def distribute_longest_first(config: pytest.Config) -> None:
    """Record the durations where every report arrives; order the units longest first where the tests are
    collected for xdist's groups (``--dist loadgroup``)."""
    worker = hasattr(config, "workerinput")
    if not worker:
        config.pluginmanager.register(Durations(DURATIONS), "smartmfg-durations")
    if config.getoption("dist", "no") != "loadgroup":
        return
    if worker:
        config.pluginmanager.register(LongestFirst(Durations(DURATIONS).known()), "smartmfg-longest-first")
    else:
        # Else the controller re-sorts the units by their number of tests, whatever their duration.
        config.option.loadscopereorder = False


def plain_id(nodeid: str) -> str:
    """A test's id without the ``@<group>`` the grouping adds: the same whether xdist runs it or not."""
    return nodeid[: nodeid.rfind("@")] if _grouped(nodeid) else nodeid


def _unit(nodeid: str) -> str:
    # What xdist's loadgroup scheduler hands out as one: the group after "@", else the test alone.
    return nodeid[nodeid.rfind("@") + 1 :] if _grouped(nodeid) else nodeid


def _grouped(nodeid: str) -> bool:
    return nodeid.rfind("@") > nodeid.rfind("]")  # an "@" inside a parameter's id is not a group


class Durations:
    """Each test's seconds (setup, call and teardown) in the latest run that ran it: the tests of this run
    replace theirs in the file when it ends, the others keep what an earlier run recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, float] = defaultdict(float)

    def known(self) -> dict[str, float]:
        try:
            recorded = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(test): float(seconds) for test, seconds in recorded.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            return {}  # no run recorded yet (a clean clone), or a file cut short: the markers decide

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seen[plain_id(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        if not self.seen:
            return
        merged = self.known() | {test: round(seconds, 2) for test, seconds in self.seen.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a run starting meanwhile reads the old file or the new, never half.
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(merged, indent=0, sort_keys=True), encoding="utf-8")
        partial.replace(self.path)


class LongestFirst:
    """Collection order, hence xdist's order of handing out units: the longest unit first."""

    def __init__(self, known: dict[str, float]) -> None:
        self.known = known

    # Last: after the groups are named, and after pytest has ordered the tests by their wider fixtures (a
    # unit's tests keep that order among themselves).
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        longest_first(items, self.known)


def longest_first(items: list[pytest.Item], known: dict[str, float]) -> None:
    """Order ``items`` by the expected seconds of their unit, longest first; a unit's tests stay together
    and in their order, equal units in theirs."""
    seconds: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        unit = _unit(item.nodeid)
        took = known.get(plain_id(item.nodeid))
        if took is None:
            took = UNTIMED_SLOW_S if item.get_closest_marker("slow") is not None else UNTIMED_S
        seconds[unit] += took
        first.setdefault(unit, index)
    items.sort(key=lambda item: (-seconds[_unit(item.nodeid)], first[_unit(item.nodeid)]))
