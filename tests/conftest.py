"""Shared fixtures: a migrated, empty database per test (SQLite and real PostgreSQL), the app, and tokens.

A SQLite test gets a copy of the session's migrated template file (1 ms); a PostgreSQL test gets a database
of the session's pool (tests/databases.py: emptied and reused, a fraction of creating and dropping one).
Every test still starts its own app on its own database and data directory: no test sees another's rows or
files. The data directory is a copy of one an app has started in, and a test of a snapshot world starts on
copies of the world's database and data directory (tests/snapshots.py).
The tiers (``servers`` marker, ``--fast``) are tests/tiers.py's; the two phases of the server suite on
pytest-xdist workers (``serial`` marker, ``--phase``, shared fixtures on one worker) are tests/workers.py's;
waiting for the servers ``make test`` starts beside the first tests (Keycloak, Trino) is
tests/servers_starting.py's.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from platform_api.app import create_app, migrate
from platform_api.registry import load_services
from services.kit.db import Database
from services.kit.settings import PlatformSettings
from services.kit.tokens import DevIssuer
from tests import servers_starting, snapshots, tiers, workers
from tests.databases import PgDatabases
from tests.security import report as security_report
from tests.snapshots import Auth, Snapshots

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
    """A migrated database of each backend holding no test's rows, or the rows of the snapshot world the
    test uses (tests/snapshots.py); its own until the test ends."""
    seed = snapshots.seed_of(request)
    made: Snapshots = request.getfixturevalue("_snapshots")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        if seed is not None:
            request.node.stash[snapshots.RESTORED] = world = made.sqlite(seed, template)
            template = Path(world.database)
        target = tmp_path / "platform.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    databases: PgDatabases = request.getfixturevalue("_pg_databases")
    copied = None
    if seed is not None:
        request.node.stash[snapshots.RESTORED] = world = made.postgres(seed, databases)
        copied = world.database
    name = databases.acquire(copied)
    yield databases.url(name)
    databases.release(name)


@pytest.fixture(scope="session")
def _snapshots(tmp_path_factory: pytest.TempPathFactory, _dev_issuer_key: Path) -> Snapshots:
    return Snapshots(tmp_path_factory.mktemp("snapshots"), _dev_issuer_key)


@pytest.fixture(scope="session")
def _dev_issuer_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signing key of the development issuer, made once: making an RSA key is a third of an app's start."""
    path = tmp_path_factory.mktemp("dev-issuer") / "key.pem"
    DevIssuer(issuer="http://testserver/dev-oidc", audience="smartmfg-api", key_path=path)
    return path


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, _snapshots: Snapshots
) -> PlatformSettings:
    """The embedded platform on ``database_url``, its data directory copied from one an app has started in
    (the issuer's key and the lake's tables are found, not made), or from the seed's of the test's world."""
    world = request.node.stash.get(snapshots.RESTORED, None)
    source = world.data_dir if world else _snapshots.blank(request.getfixturevalue("_sqlite_template"))
    snapshots.copy_data_dir(source, tmp_path / "data")
    return snapshots.platform_settings(database_url, tmp_path / "data")


@pytest.fixture
def client(settings: PlatformSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, _snapshots: Snapshots
) -> Iterator[TestClient]:
    """One started app per process, for tests that read only what the code decides (the OpenAPI document,
    the API reference pages): an app of their own per test and backend paid a start, a route table and a
    document (2-3 s of CPU) a dozen times for the same answer. Its tests must not write."""
    where = tmp_path_factory.mktemp("served")
    shutil.copyfile(_sqlite_template, where / "platform.db")
    snapshots.copy_data_dir(_snapshots.blank(_sqlite_template), where / "data")
    settings = snapshots.platform_settings(f"sqlite:///{where / 'platform.db'}", where / "data")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


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
        "serial(servers): must run alone (stops or restarts a real server): make test runs it after the "
        "others, beside the serial tests that stop other servers (tests/workers.py)",
    )
    if config.getoption("--fast"):
        tiers.refuse_servers()
    elif (starting := servers_starting.from_environment()) is not None:
        config.stash[servers_starting.STARTING] = starting
        servers_starting.wait_at_first_connection(starting)
    workers.distribute_longest_first(config)
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


def _started(config: pytest.Config, server: str) -> None:
    starting = config.stash.get(servers_starting.STARTING, None)
    if starting is not None:
        starting.wait(server)


@pytest.fixture(scope="session")
def keycloak_started(pytestconfig: pytest.Config) -> None:
    """Keycloak is healthy: for a test whose other processes (a platform, a browser) reach it first, while
    ``make test`` starts it beside the first tests (tests/servers_starting.py)."""
    _started(pytestconfig, "keycloak")


@pytest.fixture(scope="session")
def trino_started(pytestconfig: pytest.Config) -> None:
    """Trino is healthy: as ``keycloak_started``."""
    _started(pytestconfig, "trino")


@pytest.fixture
def auth(client: TestClient) -> Auth:
    """``auth("sme", org_id="org-a")`` gives headers with a real RS256 token from the dev issuer."""
    return snapshots.auth_of(client)
