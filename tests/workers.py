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
run's workers order the units longest first (``longest_first``). A unit none of whose tests this checkout has
timed (a clean clone, as in CI) counts what the committed record says (``COMMITTED``: each unit of
``COMMITTED_MIN_S`` or more in a full run, refreshed by ``make test-durations``); else each of its tests
counts ``UNTIMED_SLOW_S`` when marked ``slow``, ``UNTIMED_S`` otherwise.
"""

from __future__ import annotations

import json
import os
import re
import sys
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
COMMITTED = Path(__file__).resolve().parent / "durations.json"
# Below this a unit's place in the order hardly matters: the record stays small enough to read in a diff.
COMMITTED_MIN_S = 2.0
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
        longest = LongestFirst(Durations(DURATIONS).known(), read_seconds(COMMITTED))
        config.pluginmanager.register(longest, "smartmfg-longest-first")
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
    replace theirs in the file when it ends, the others keep what an earlier run recorded. A test is
    recorded by its id as xdist ran it, ``@<group>`` included (a run without groups keeps the group an
    earlier run recorded): the units of the committed record are summed from it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, float] = defaultdict(float)

    def recorded(self) -> dict[str, float]:
        return read_seconds(self.path)

    def known(self) -> dict[str, float]:
        return {plain_id(test): seconds for test, seconds in self.recorded().items()}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seen[report.nodeid] += report.duration

    def pytest_sessionfinish(self) -> None:
        if not self.seen:
            return
        earlier = self.recorded()
        as_grouped = {plain_id(test): test for test in earlier if _grouped(test)}
        fresh = {
            test if _grouped(test) else as_grouped.get(test, test): round(seconds, 2)
            for test, seconds in self.seen.items()
        }
        replaced = {plain_id(test) for test in fresh}
        merged = {test: s for test, s in earlier.items() if plain_id(test) not in replaced} | fresh
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a run starting meanwhile reads the old file or the new, never half.
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(merged, indent=0, sort_keys=True), encoding="utf-8")
        partial.replace(self.path)


def read_seconds(path: Path) -> dict[str, float]:
    """Seconds by test (``DURATIONS``) or by unit (``COMMITTED``) as a file of either holds them."""
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        return {str(name): float(seconds) for name, seconds in recorded.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}  # no run recorded yet (a clean clone), or a file cut short: the markers decide


def unit_seconds(tests: dict[str, float]) -> dict[str, int]:
    """Sum tests timed by their id as xdist ran them into their units: the units of ``COMMITTED_MIN_S`` or
    more, to the second."""
    units: dict[str, float] = defaultdict(float)
    for test, seconds in tests.items():
        units[_unit(test)] += seconds
    return {unit: round(seconds) for unit, seconds in sorted(units.items()) if seconds >= COMMITTED_MIN_S}


# A line of ``pytest --durations=0``: "126.82s setup    tests/e2e/...::test_x@portal_url".
_DURATION_LINE = re.compile(r"^(\d+(?:\.\d+)?)s +(?:setup|call|teardown) +(\S.*?)\s*$")


def parse_durations_output(text: str) -> dict[str, float]:
    """Each test's seconds (its phases summed) in the output of ``pytest --durations=0``."""
    tests: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        matched = _DURATION_LINE.match(line)
        if matched:
            tests[matched[2]] += float(matched[1])
    return dict(tests)


class LongestFirst:
    """Collection order, hence xdist's order of handing out units: the longest unit first."""

    def __init__(self, known: dict[str, float], committed: dict[str, float]) -> None:
        self.known, self.committed = known, committed

    # Last: after the groups are named, and after pytest has ordered the tests by their wider fixtures (a
    # unit's tests keep that order among themselves).
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        longest_first(items, self.known, self.committed)


def longest_first(items: list[pytest.Item], known: dict[str, float], committed: dict[str, float]) -> None:
    """Order ``items`` by the expected seconds of their unit, longest first; a unit's tests stay together
    and in their order, equal units in theirs. A unit is timed by its tests' ``known`` seconds when this
    checkout timed any of them, else by its ``committed`` seconds, else by its tests' markers."""
    timed: dict[str, float] = defaultdict(float)
    untimed: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        unit = _unit(item.nodeid)
        took = known.get(plain_id(item.nodeid))
        if took is not None:
            timed[unit] += took
        else:
            untimed[unit] += UNTIMED_SLOW_S if item.get_closest_marker("slow") is not None else UNTIMED_S
        first.setdefault(unit, index)
    seconds = {
        unit: timed[unit] + untimed[unit] if unit in timed or unit not in committed else committed[unit]
        for unit in first
    }
    items.sort(key=lambda item: (-seconds[_unit(item.nodeid)], first[_unit(item.nodeid)]))


def main(argv: list[str]) -> int:
    """``python -m tests.workers [OUTPUT]``: write the committed record from this checkout's last runs
    (``DURATIONS``), or from a saved output of ``pytest --durations=0`` of a full ``make test``."""
    if len(argv) > 1:
        print(main.__doc__, file=sys.stderr)
        return 2
    if argv:
        tests = parse_durations_output(Path(argv[0]).read_text(encoding="utf-8"))
    else:
        tests = Durations(DURATIONS).recorded()
    if not tests:
        print(f"no test durations in {argv[0] if argv else DURATIONS}", file=sys.stderr)
        return 1
    units = unit_seconds(tests)
    COMMITTED.write_text(json.dumps(units, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{COMMITTED}: {len(units)} units of {COMMITTED_MIN_S:g} s or more, {sum(units.values())} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
