"""bench/profiled.py: a process's every thread in one profile, written also when SIGTERM stops it."""

from __future__ import annotations

import os
import pstats
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.conftest import BENCH

JOB = """
import sys
import threading
import time


def in_a_worker_thread():
    return sum(i * i for i in range(50_000))


def on_the_main_thread():
    worker = threading.Thread(target=in_a_worker_thread)
    worker.start()
    worker.join()


if __name__ == "__main__":
    on_the_main_thread()
    if sys.argv[1:] == ["--wait"]:
        print("ready", flush=True)
        while True:
            time.sleep(0.05)
"""


def _profiled(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    (tmp_path / "tinyjob.py").write_text(JOB)
    out = tmp_path / "tinyjob.prof"
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "profiled.py"), str(out), "tinyjob", *args],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, out


def _functions(path: Path) -> set[str]:
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    return {name for (_, _, name) in stats}


def test_every_thread_is_in_the_profile(tmp_path: Path) -> None:
    proc, out = _profiled(tmp_path)
    assert proc.wait(60) == 0
    assert {"on_the_main_thread", "in_a_worker_thread"} <= _functions(out)


def test_a_process_stopped_by_sigterm_writes_its_profile(tmp_path: Path) -> None:
    proc, out = _profiled(tmp_path, "--wait")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    assert {"on_the_main_thread", "in_a_worker_thread"} <= _functions(out)
