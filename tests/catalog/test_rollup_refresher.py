"""The platform's rollup refresher runs its rounds in a child process: poked after a commit it brings the
rollups up to the readings; a child that dies (as of a native crash, SIGKILL here) is replaced and the
platform process carries on; a stop ends it, mid-round or not, without an error."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog import rollups
from catalog.lake import snapshot_property
from catalog.rollup_refresher import RESTART_AFTER_S, Refresher
from tests.catalog.conftest import LakeSetup, make_setup
from tests.catalog.test_kpis import hand_set
from tests.catalog.test_rollups import DAYS


@pytest.fixture
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LakeSetup]:
    with make_setup(request, "minio", tmp_path) as made:
        made.lake().ensure_tables()
        yield made


def _until(condition: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _caught_up(setup: LakeSetup) -> bool:
    lake = setup.lake()
    current = lake.readings().current_snapshot()
    return current is not None and all(
        rollups.current_rollup(lake, rollup) is not None for rollup in rollups.ROLLUPS
    )


@pytest.mark.servers  # the lake of `setup` is on MinIO, its catalog in PostgreSQL
def test_a_poked_child_refreshes_and_a_dead_one_is_replaced(
    setup: LakeSetup, caplog: pytest.LogCaptureFixture
) -> None:
    refresher = Refresher(setup.settings, interval_s=3600)  # only pokes wake it within the test
    refresher.start()
    try:
        assert refresher.process is None  # nothing started before there is work
        setup.lake().readings().append(hand_set(DAYS[0]))
        refresher.poke()
        _until(lambda: _caught_up(setup))
        first = refresher.process
        assert first is not None and first.pid != os.getpid() and first.is_alive()

        with caplog.at_level(logging.ERROR, logger="catalog.rollup_refresher"):
            os.kill(first.pid, signal.SIGKILL)  # what a segmentation fault in DuckDB does to it
            _until(lambda: refresher.process is not first, RESTART_AFTER_S + 60)
        assert refresher.restarts == 1
        assert f"exited with code {-signal.SIGKILL}" in caplog.text

        setup.lake().readings().append(hand_set(DAYS[1]))
        refresher.poke()  # the replacement starts with a round anyway; the poke is what a writer would do
        _until(lambda: _caught_up(setup))
        daily = rollups.current_rollup(setup.lake(), rollups.DAILY)
        assert daily is not None and snapshot_property(daily, rollups.CLOSED_KEY) is not None
    finally:
        refresher.stop()
    assert refresher.process is not None and not refresher.process.is_alive()


@pytest.mark.servers
def test_a_stop_mid_round_ends_the_child_without_an_error(
    setup: LakeSetup, caplog: pytest.LogCaptureFixture
) -> None:
    setup.lake().readings().append(hand_set(DAYS[0]))
    refresher = Refresher(setup.settings, interval_s=3600)
    refresher.start()
    refresher.poke()
    _until(lambda: refresher.process is not None and refresher.process.is_alive())
    with caplog.at_level(logging.ERROR, logger="catalog.rollup_refresher"):
        started = time.monotonic()
        refresher.stop()  # the child is importing or in its first round
        assert time.monotonic() - started < 10
    process = refresher.process
    assert process is not None and not process.is_alive()
    assert caplog.text == "" and refresher.restarts == 0


def test_a_refresher_never_poked_starts_no_process() -> None:
    from services.kit.settings import PlatformSettings

    refresher = Refresher(PlatformSettings(topology="embedded"), interval_s=3600)
    refresher.start()
    refresher.stop()
    assert refresher.process is None
