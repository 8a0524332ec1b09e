"""The server suite on several pytest-xdist workers: which tests run alone, which share a worker.

``make test`` runs in two phases: ``--phase parallel`` (``pytest -n 2 --dist loadgroup``) runs every test
not marked ``serial`` on two workers at once, then ``--phase serial`` runs the ``serial`` ones in one process.
Invariants that make the first phase safe:

- whatever a test names on the shared servers is its own: databases, Kafka topics and consumer groups,
  lake prefixes and Keycloak objects carry a random suffix (``uuid``), a fixed name is used only by a test
  that runs once per run and never concurrently with itself, and creating a shared bucket tolerates a
  concurrent creator;
- a test that stops or restarts a server, or that must not share the machine while it measures, is marked
  ``serial``: no other test runs while it does;
- a fixture wider than a test is set up once per worker that uses it. So every test that uses a module,
  package or class fixture goes to the worker of the others using that instance (an xdist group, set
  here), and so do the tests of a session fixture that costs minutes (``SHARED_SESSION_FIXTURES``); cheap
  session fixtures (templates, keys, tokens) are simply made by each worker;
- the tests that start a whole distributed platform (a dozen processes) name one group,
  ``PLATFORM_PROCESSES``: one worker runs them one after the other, never two such starts at once on the
  machine's cores.
"""

from __future__ import annotations

import json
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
    """Mark each test that uses an instance of a wider fixture with the xdist group of that instance; a test
    that names its group itself (``@pytest.mark.xdist_group("...")``) keeps it."""
    on_grouping_worker = getattr(config.option, "loadgroup", False)  # xdist sets it on a loadgroup worker
    for item in items:
        named = item.get_closest_marker("xdist_group")
        group = str(named.args[0]) if named is not None and named.args else _shared_instance(item)
        if group is None:
            continue
        if named is None:
            item.add_marker(pytest.mark.xdist_group(group))
        if on_grouping_worker and not item.nodeid.endswith(f"@{group}"):
            # The controller groups the ids a worker collected by their "@<group>" suffix. pytest-xdist 3.8
            # adds it by assigning ``item._nodeid``, which pytest 9 no longer reads (the id is ``item._id``):
            # without this every group would be split over the workers.
            item._id = NodeId.parse(f"{item.nodeid}@{group}")  # type: ignore[attr-defined]


def _shared_instance(item: pytest.Item) -> str | None:
    # The fixture definitions a test resolved are only on its (private) fixture info.
    resolved = getattr(item, "_fixtureinfo", None)
    if resolved is None:
        return None
    widest: tuple[int, str] | None = None
    for name in item.fixturenames:
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
        line = {"test": report.nodeid, "when": report.when, "seconds": round(report.duration, 3)}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line | {"worker": worker}) + "\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        busy = ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(self.busy.items()))
        terminalreporter.write_line(f"busy time by worker: {busy} (each test's phases in {self.path})")
