"""Free ephemeral ports and waiting for a test server to listen."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: all bound at once, so that they differ (the kernel does not hand a
    port out again right away once they are closed)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_listening(
    port: int, what: str, alive: Callable[[], bool] = lambda: True, timeout_s: float = 15
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert alive(), f"{what} ended before it listened"
            assert time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.05)
