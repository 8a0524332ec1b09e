"""The two test tiers: which tests need a real server, and the fast tier's guard against reaching one.

A test needs the servers (marker ``servers``) when it runs on a server backend or lake (a parameter value
``postgres``, ``minio``, ``kafka`` or ``keycloak``, such as ``database_url``'s), or uses a fixture that
starts, reaches or stands for one (``SERVER_FIXTURES``). A test that reaches a server some other way
carries the marker itself. ``make test-fast`` (``pytest --fast``) leaves out the tests marked ``servers``,
``e2e`` (other processes) and ``slow``, and refuses every connection to a real server's port: a test that
needs one and was not marked fails at once, naming the server, instead of passing only where servers run.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.infra.conftest import HOST, KAFKA_PORT, KEYCLOAK_PORT, MINIO_PORT, PG_PORT, TRINO_PORT

SERVER_PARAMS = frozenset({"postgres", "minio", "kafka", "keycloak"})
SERVER_FIXTURES = frozenset(
    {
        "_pg_template",
        "_pg_databases",
        "postgres_server",
        "kafka_server",
        "minio_server",
        "keycloak_server",
        "lake_settings",  # tests/ingest: Kafka, Iceberg on MinIO, catalog in PostgreSQL
        "realm_key",  # tests/security: the Keycloak realm
        "tokens",
        "kc_client",
        "portal_url",  # tests/e2e/portal: a platform process and Chromium
        "browser",
    }
)
LEFT_OUT_OF_FAST_TIER = ("servers", "e2e", "slow")
SERVERS = {
    PG_PORT: "PostgreSQL",
    KAFKA_PORT: "Kafka",
    MINIO_PORT: "MinIO",
    KEYCLOAK_PORT: "Keycloak",
    TRINO_PORT: "Trino",
}
LOOPBACK = {HOST, "localhost", "::1"}


def needs_servers(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    if any(isinstance(value, str) and value in SERVER_PARAMS for value in params):
        return True
    return not SERVER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def mark_and_select(config: pytest.Config, items: list[pytest.Item], *, fast: bool) -> None:
    """Mark the tests that need servers; in the fast tier, deselect what it leaves out."""
    for item in items:
        if needs_servers(item):
            item.add_marker(pytest.mark.servers)
    if not fast:
        return
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        out = any(item.get_closest_marker(m) for m in LEFT_OUT_OF_FAST_TIER)
        (left_out if out else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def _refuse(address: Any) -> None:
    if isinstance(address, tuple) and len(address) >= 2 and address[0] in LOOPBACK and address[1] in SERVERS:
        pytest.fail(
            f"the fast tier reached {SERVERS[address[1]]} at {address[0]}:{address[1]}: a test that needs a "
            "real server must be marked `servers` (tests/tiers.py)",
            pytrace=False,
        )


def refuse_servers() -> None:
    """Make every connection of this process to a real server's port fail the test that made it.

    ``pytest.fail`` raises a ``BaseException``: a client's ``except Exception`` retry loop cannot swallow
    it. PostgreSQL is connected to by libpq, below Python's sockets: SQLAlchemy's connect event sees it."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        _refuse(address)
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        _refuse(address)
        return connect_ex(sock, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]

    @event.listens_for(Engine, "do_connect")
    def _postgres(dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        if dialect.name == "postgresql":
            _refuse((params.get("host", HOST), int(params.get("port", 5432))))
