"""The servers still starting when the tests start: a test waits for one only when it reaches it.

``make test`` (``infra/with-servers.sh --late keycloak,trino``) starts pytest once PostgreSQL, Kafka and MinIO
are healthy, while Keycloak and Trino (the better part of a minute) finish starting beside the first tests.
with-servers.sh names them in ``SMARTMFG_SERVERS_STARTING`` and writes the exit status of each one's
``infra/ctl.sh up`` to ``<SMARTMFG_SERVERS_STARTING_DIR>/<server>.rc`` (its output to ``<server>.log``) when
it ends. Invariants:

- no test reaches a starting server before its ``ctl.sh up`` has found it healthy, as when with-servers.sh
  started the tests after every server (a check of our own would not be the same: a loaded Keycloak
  answered its discovery document, then dropped connections, for a while before ctl.sh found it healthy).
  A process's first connection to the server's port waits for that, whatever client makes it, once per
  process (each xdist worker); a test whose other processes (a platform, a browser) reach the server first
  waits through ``keycloak_started`` or ``trino_started`` (tests/conftest.py);
- a server that never comes fails every test that reaches it, naming the server and its log, as soon as its
  ``ctl.sh up`` gives up: after the server's own timeout (``SMARTMFG_KEYCLOAK_TIMEOUT``,
  ``SMARTMFG_TRINO_TIMEOUT``);
- without ``SMARTMFG_SERVERS_STARTING`` (servers started beforehand, ``make infra-up``) nothing waits.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import HOST, KEYCLOAK_PORT, TRINO_PORT

POLL_S = 0.5
# name: (what the messages call it, its port)
SERVERS: dict[str, tuple[str, int]] = {
    "keycloak": ("Keycloak", KEYCLOAK_PORT),
    "trino": ("Trino", TRINO_PORT),
}


class Starting:
    """The servers of this process still to be awaited, and the failure of each one that never came."""

    def __init__(
        self,
        names: list[str],
        status_dir: Path,
        servers: dict[str, tuple[str, int]] = SERVERS,
    ) -> None:
        self.servers = servers
        unknown = sorted(set(names) - servers.keys())
        if unknown:
            raise ValueError(f"SMARTMFG_SERVERS_STARTING names servers unknown here: {unknown}")
        self.pending = set(names)
        self.status_dir = status_dir
        self.failed: dict[str, str] = {}
        self.lock = threading.Lock()

    def wait(self, name: str) -> None:
        """Return once ``name`` is up (at once if it is not starting); fail the test if it never came."""
        if name not in self.pending and name not in self.failed:
            return
        with self.lock:  # one thread of the process checks; the others wait for its verdict
            if name in self.pending:
                self._await(name)
        if name in self.failed:
            pytest.fail(self.failed[name], pytrace=False)

    def _await(self, name: str) -> None:
        label, port = self.servers[name]
        status = self.status_dir / f"{name}.rc"
        while not status.exists():
            time.sleep(POLL_S)
        exited = status.read_text().strip()
        if exited != "0":
            self.failed[name] = (
                f"{label} did not come up on {HOST}:{port} (`infra/ctl.sh up {name}` exited {exited}, "
                f"after the server's own timeout at most); see {self.status_dir / f'{name}.log'} and "
                ".infra/logs/"
            )
        self.pending.discard(name)

    def by_port(self, address: Any) -> str | None:
        if not self.pending:
            return None
        if isinstance(address, tuple) and len(address) >= 2 and address[0] in (HOST, "localhost"):
            return next((name for name in self.pending if self.servers[name][1] == address[1]), None)
        return None


# The process's Starting, for the fixtures of tests whose other processes reach a starting server.
STARTING = pytest.StashKey[Starting]()


def from_environment() -> Starting | None:
    names = os.environ.get("SMARTMFG_SERVERS_STARTING", "").split()
    status_dir = os.environ.get("SMARTMFG_SERVERS_STARTING_DIR")
    if not names or not status_dir:
        return None
    return Starting(names, Path(status_dir))


def wait_at_first_connection(starting: Starting) -> None:
    """Make this process's first connection to each starting server wait until it is healthy."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def waiting_connect(sock: socket.socket, address: Any) -> None:
        name = starting.by_port(address)
        if name is not None:
            starting.wait(name)
        connect(sock, address)

    def waiting_connect_ex(sock: socket.socket, address: Any) -> int:
        name = starting.by_port(address)
        if name is not None:
            starting.wait(name)
        return connect_ex(sock, address)

    socket.socket.connect = waiting_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = waiting_connect_ex  # type: ignore[method-assign,assignment]
