"""A server still starting as the tests start (tests/servers_starting.py): awaited once, failed clearly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests import servers_starting
from tests.servers_starting import Starting


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers_starting, "POLL_S", 0.01)


def _ends(status: Path, exited: str, after_s: float) -> threading.Thread:
    """``infra/ctl.sh up`` ending after ``after_s``, as with-servers.sh writes its status: aside, renamed."""

    def end() -> None:
        time.sleep(after_s)
        status.with_suffix(".part").write_text(f"{exited}\n")
        status.with_suffix(".part").replace(status)

    thread = threading.Thread(target=end)
    thread.start()
    return thread


def test_the_first_connection_waits_for_the_start_and_the_next_ones_do_not(tmp_path: Path) -> None:
    starting = Starting(["keycloak"], tmp_path, {"keycloak": ("Keycloak", 58080)})
    assert starting.by_port(("127.0.0.1", 58080)) == "keycloak"
    assert starting.by_port(("127.0.0.1", 55432)) is None, "PostgreSQL was healthy before the tests"
    assert starting.by_port(("10.0.0.7", 58080)) is None
    began = time.monotonic()
    _ends(tmp_path / "keycloak.rc", "0", after_s=0.3)
    starting.wait("keycloak")
    assert time.monotonic() - began >= 0.3
    assert starting.by_port(("127.0.0.1", 58080)) is None, "once per process"
    (tmp_path / "keycloak.rc").unlink()
    starting.wait("keycloak")  # would wait for ever if it looked again


def test_threads_reaching_it_together_all_wait_and_all_go_on(tmp_path: Path) -> None:
    starting = Starting(["trino"], tmp_path, {"trino": ("Trino", 58090)})
    went_on: list[float] = []

    def reach() -> None:
        starting.wait("trino")
        went_on.append(time.monotonic())

    threads = [threading.Thread(target=reach) for _ in range(4)]
    began = time.monotonic()
    ending = _ends(tmp_path / "trino.rc", "0", after_s=0.3)
    for thread in threads:
        thread.start()
    for thread in [*threads, ending]:
        thread.join()
    assert len(went_on) == 4 and min(went_on) - began >= 0.3


def test_a_server_whose_start_gave_up_fails_each_test_that_reaches_it_naming_it(tmp_path: Path) -> None:
    starting = Starting(["trino"], tmp_path, {"trino": ("Trino", 58090)})
    (tmp_path / "trino.rc").write_text("1\n")
    for _ in range(2):
        with pytest.raises(pytest.fail.Exception) as failed:
            starting.wait("trino")
        assert str(failed.value) == (
            "Trino did not come up on 127.0.0.1:58090 (`infra/ctl.sh up trino` exited 1, after the "
            f"server's own timeout at most); see {tmp_path}/trino.log and .infra/logs/"
        )


def test_a_server_not_starting_is_not_waited_for_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    starting = Starting([], tmp_path, {"trino": ("Trino", 58090)})
    starting.wait("trino")
    assert starting.by_port(("127.0.0.1", 58090)) is None
    with pytest.raises(ValueError, match=r"unknown here: \['kafka'\]"):
        Starting(["kafka"], tmp_path)
