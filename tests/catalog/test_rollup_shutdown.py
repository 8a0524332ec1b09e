"""Stopping a platform process during a rollup round is not an error: the shutdown closes the query engine
under the round (its watermark does not move, the next start redoes it), so nothing is logged as failed."""

from __future__ import annotations

import logging
import threading

import duckdb
import pytest

from catalog import rollups


def interrupted_round(stop_first: bool, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Runs one round that fails as a closed engine fails; returns the errors logged."""
    entered, released = threading.Event(), threading.Event()

    def engine() -> rollups.QueryEngine:
        entered.set()
        released.wait(30)
        raise duckdb.InvalidInputException("Invalid Input Error: No open result set")

    refresher = rollups.Refresher(engine, interval_s=3600)
    with caplog.at_level(logging.INFO, logger="catalog.rollups"):
        refresher.start()
        assert entered.wait(30)
        if stop_first:
            refresher.stop()
        released.set()
        if not stop_first:
            while not any(r.levelno >= logging.ERROR for r in caplog.records):
                threading.Event().wait(0.05)
            refresher.stop()
        refresher._thread.join(30)
    assert not refresher._thread.is_alive()
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_round_interrupted_by_the_shutdown_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    assert interrupted_round(stop_first=True, caplog=caplog) == []
    assert "interrupted by shutdown" in caplog.text


def test_a_round_failing_while_running_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    assert interrupted_round(stop_first=False, caplog=caplog) == ["rollup refresh failed; retrying in 3600s"]
