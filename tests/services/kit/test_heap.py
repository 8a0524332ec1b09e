"""``heap.settle`` in a process of its own (what it freezes is never collected, so not in the test run's)."""

from __future__ import annotations

import subprocess
import sys

SETTLED = """
import gc
from services.kit import heap
before = gc.get_freeze_count()
heap.settle()
print(before, gc.get_freeze_count() > 1_000, gc.get_threshold()[0], gc.get_count()[0] < 100)
"""


def test_settle_freezes_what_exists_and_collects_the_young_less_often() -> None:
    ran = subprocess.run([sys.executable, "-c", SETTLED], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["0", "True", "10000", "True"]
