"""The soak's verdicts (bench/soak.py): what counts as flat memory, as an error, as a rollup round."""

from __future__ import annotations

import soak
from benchkit import flatness


def series(values: list[float]) -> list[tuple[float, float]]:
    return [(n * 6.0, v) for n, v in enumerate(values)]  # a sample every 6 s


def test_bursts_on_a_steady_level_are_flat() -> None:
    # a rollup round every tenth sample, the process idle at 400 MiB in between
    values = [1200.0 if n % 10 == 0 else 400.0 for n in range(300)]
    verdict = flatness(series(values))
    assert verdict["flat"] and verdict["first"] == verdict["last"] == 400.0


def test_a_process_busier_at_its_peak_is_flat_a_leak_is_not() -> None:
    busier = [1200.0 if n % 10 < 1 + n // 60 else 400.0 for n in range(300)]  # longer rounds, same peak
    leak = [400.0 + n * 0.5 + (800.0 if n % 10 == 0 else 0.0) for n in range(300)]  # +5 MiB a minute
    assert flatness(series(busier))["flat"]
    verdict = flatness(series(leak))
    assert not verdict["flat"]
    assert 3 < verdict["slope_mib_per_min"] < 7  # the bursts shift the least-squares fit a little


def test_the_warm_up_and_exited_processes_are_left_out() -> None:
    values = [100.0] * 20 + [500.0] * 80 + [0.0] * 10  # rises during the warm-up, then exits (RSS 0)
    assert flatness(series(values))["flat"]


def test_every_traceback_gives_its_exception_line() -> None:
    log = (
        "INFO started\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "    raise ValueError('bad')\n"
        "ValueError: bad\n"
        "INFO later\n"
        "Traceback (most recent call last):\n"
        '  File "y.py", line 2, in g\n'
    )
    assert soak.exceptions(log) == ["ValueError: bad", "(traceback cut off)"]
    assert soak.exceptions("INFO nothing wrong\n") == []


def test_rollup_rounds_add_up_the_tables_that_recomputed_something() -> None:
    log = (
        "rollup item_hours: 0 day(s), 0 row(s), watermark None (0.2s)\n"
        "rollup item_daily: 0 day(s), 0 row(s), watermark None (0.1s)\n"
        "rollup item_hours: 2 day(s), 200 row(s), watermark 83 (2.5s)\n"
        "rollup item_daily: 2 day(s), 200 row(s), watermark 47 (10.6s)\n"
        "INFO:catalog.lake: something else (3.0s)\n"
        "rollup item_hours: 2 day(s), 200 row(s), watermark 21 (4.7s)\n"
    )
    assert soak.rollup_rounds(log) == [13.1, 4.7]
