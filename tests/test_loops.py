"""No test starts an event loop with ``asyncio.run`` in the worker's own thread (see tests/loops.py)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CALL = re.compile(r"\basyncio\.run\b(?!_)")


def test_tests_run_coroutines_apart_from_the_workers_thread() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name not in {"loops.py", "test_loops.py"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CALL.search(line)
    ]
    assert offenders == [], "use tests.loops.run_apart (a browser test may hold this thread's loop)"
