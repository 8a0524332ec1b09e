"""Shared fixtures: a migrated, empty database per test (SQLite and real PostgreSQL), the app, and tokens.

A SQLite test gets a copy of the session's migrated template file (1 ms); a PostgreSQL test gets a database
of the session's pool (tests/databases.py: emptied and reused, a fraction of creating and dropping one).
Every test still starts its own app on its own database and data directory: no test sees another's rows or
files.
The tiers (``servers`` marker, ``--fast``) are tests/tiers.py's; the two phases of the server suite on
pytest-xdist workers (``serial`` marker, ``--phase``, shared fixtures on one worker) are tests/workers.py's.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from platform_api.app import create_app, migrate
from platform_api.registry import load_services
from services.kit.app_state import state_of
from services.kit.db import Database
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER, DevIssuer
from tests import tiers, workers
from tests.databases import PgDatabases
from tests.security import report as security_report

PG_URL = os.environ.get(
    "SMARTMFG_TEST_PG_URL", "postgresql+psycopg://smartmfg:smartmfg@127.0.0.1:55432/smartmfg"
)
BACKENDS = os.environ.get("SMARTMFG_TEST_BACKENDS", "sqlite,postgres").split(",")


def _pg_admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate(db, load_services())
    db.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    name = f"smartmfg_tpl_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a test that needs PostgreSQL must fail loudly, never skip
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable ({exc}); run `make infra-up`")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    migrate(db, load_services())
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_databases(_pg_template: str) -> Iterator[PgDatabases]:
    databases = PgDatabases(PG_URL, _pg_template)
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each backend holding no test's rows; its own until the test ends."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "platform.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    databases: PgDatabases = request.getfixturevalue("_pg_databases")
    name = databases.acquire()
    yield databases.url(name)
    databases.release(name)


@pytest.fixture(scope="session")
def _dev_issuer_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signing key of the development issuer, made once: making an RSA key is a third of an app's start."""
    path = tmp_path_factory.mktemp("dev-issuer") / "key.pem"
    DevIssuer(issuer="http://testserver/dev-oidc", audience="smartmfg-api", key_path=path)
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, _dev_issuer_key: Path) -> PlatformSettings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # Where the issuer keeps its key across restarts (platform_api/identity_setup.py): found, not made.
    shutil.copy(_dev_issuer_key, data_dir / "dev-issuer-key.pem")
    return PlatformSettings(
        topology="embedded",
        database={"url": database_url},
        data_dir=data_dir,
        public_url="http://testserver",
    )


@pytest.fixture
def client(settings: PlatformSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


Auth = Callable[..., dict[str, str]]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help="the fast tier (make test-fast): leave out the tests marked servers, e2e or slow, and fail a "
        "test that connects to a real server",
    )
    parser.addoption(
        "--timings",
        type=Path,
        help="write the duration of each test's setup, call and teardown, with its worker, to this "
        "JSON-lines file, and print each worker's busy seconds (tests/workers.py)",
    )
    parser.addoption(
        "--phase",
        choices=workers.PHASES,
        help="make test's phases: `parallel` runs the tests not marked serial (on xdist workers), `serial` "
        "the ones that must run alone",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "servers: needs a real server (PostgreSQL, Kafka, MinIO, Keycloak), the browser or helm; set by "
        "tests/tiers.py from the test's parameters and fixtures, or by the test itself",
    )
    config.addinivalue_line(
        "markers",
        "serial: must run alone (stops or restarts a real server): make test runs it after the others",
    )
    if config.getoption("--fast"):
        tiers.refuse_servers()
    timings = config.getoption("--timings")
    if timings is not None and not hasattr(config, "workerinput"):  # the controller sees every report
        config.pluginmanager.register(workers.Timings(timings), "smartmfg-timings")


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints and writes the summaries
        security_report.hand_over(workeroutput)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    security_report.take_over(getattr(node, "workeroutput", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    security_report.summary(terminalreporter)


# First: xdist's own hook reads the groups set here, pytest's `-m` the markers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tiers.mark_and_select(config, items, fast=config.getoption("--fast"))
    workers.select_phase(config, items, config.getoption("--phase"))
    workers.group_shared_fixtures(config, items)


@pytest.fixture
def auth(client: TestClient) -> Auth:
    """``auth("sme", org_id="org-a")`` gives headers with a real RS256 token from the dev issuer."""

    def make(
        *roles: str,
        org_id: str | None = None,
        factory_id: str | None = None,
        subject: str | None = None,
        **extra: object,
    ) -> dict[str, str]:
        issuer = state_of(client.app).get(DEV_ISSUER)
        token = issuer.issue(
            subject=subject or f"user-{uuid.uuid4().hex[:6]}",
            roles=list(roles),
            org_id=org_id,
            factory_id=factory_id,
            **extra,
        )
        return {"Authorization": f"Bearer {token}"}

    return make
