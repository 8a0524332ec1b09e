"""Addresses and credentials of the real servers started by ``infra/ctl.sh up`` (env vars, same defaults).

These tests never skip: a server that is not reachable makes its test FAIL with a message naming it.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

import pytest


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


HOST = "127.0.0.1"
PG_PORT = int(_env("SMARTMFG_PG_PORT", "55432"))
PG_URL = _env("SMARTMFG_TEST_PG_URL", f"postgresql+psycopg://smartmfg:smartmfg@{HOST}:{PG_PORT}/smartmfg")
KAFKA_PORT = int(_env("SMARTMFG_KAFKA_PORT", "59092"))
KAFKA_BOOTSTRAP = f"{HOST}:{KAFKA_PORT}"
MINIO_PORT = int(_env("SMARTMFG_MINIO_PORT", "59000"))
MINIO_ENDPOINT = f"{HOST}:{MINIO_PORT}"
MINIO_USER = _env("SMARTMFG_MINIO_ROOT_USER", "smartmfg")
MINIO_PASSWORD = _env("SMARTMFG_MINIO_ROOT_PASSWORD", "smartmfg-minio-secret")
KEYCLOAK_PORT = int(_env("SMARTMFG_KEYCLOAK_PORT", "58080"))
KEYCLOAK_URL = f"http://{HOST}:{KEYCLOAK_PORT}"
KEYCLOAK_REALM = "smartmfg"
TRINO_PORT = int(_env("SMARTMFG_TRINO_PORT", "58090"))


@dataclass(frozen=True)
class Server:
    name: str
    port: int

    def require(self) -> None:
        """Fail (never skip) with a clear message when nothing listens on the server's port."""
        try:
            with socket.create_connection((HOST, self.port), timeout=3):
                return
        except OSError as exc:
            error = exc
        pytest.fail(
            f"{self.name} is not reachable on {HOST}:{self.port} ({error}). "
            "Start the real servers with `make infra-up` (bash infra/ctl.sh up); "
            "`bash infra/ctl.sh status` shows which one is down, logs are in .infra/logs/.",
            pytrace=False,
        )


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic, bucket, group and table names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def postgres_server() -> Server:
    server = Server("PostgreSQL", PG_PORT)
    server.require()
    return server


@pytest.fixture
def kafka_server() -> Server:
    server = Server("Kafka", KAFKA_PORT)
    server.require()
    return server


@pytest.fixture
def minio_server() -> Server:
    server = Server("MinIO", MINIO_PORT)
    server.require()
    return server


@pytest.fixture
def keycloak_server() -> Server:
    server = Server("Keycloak", KEYCLOAK_PORT)
    server.require()
    return server
