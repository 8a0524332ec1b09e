"""Shared fixtures: a migrated database per test (SQLite and real PostgreSQL), the app, and tokens."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from platform_api.app import create_app, migrate
from platform_api.registry import load_services
from services.kit.db import Database
from services.kit.settings import PlatformSettings

PG_URL = os.environ.get(
    "SMARTMFG_TEST_PG_URL", "postgresql+psycopg://smartmfg:smartmfg@127.0.0.1:55432/smartmfg"
)
BACKENDS = os.environ.get("SMARTMFG_TEST_BACKENDS", "sqlite,postgres").split(",")


def _pg_admin_engine():  # type: ignore[no-untyped-def]
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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each backend; dropped after the test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "platform.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("_pg_template")
    name = f"smartmfg_t_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> PlatformSettings:
    return PlatformSettings(
        topology="embedded",
        database={"url": database_url},
        data_dir=tmp_path / "data",
        public_url="http://testserver",
    )


@pytest.fixture
def client(settings: PlatformSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


Auth = Callable[..., dict[str, str]]


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
        issuer = client.app.state.dev_issuer  # type: ignore[attr-defined]
        token = issuer.issue(
            subject=subject or f"user-{uuid.uuid4().hex[:6]}",
            roles=list(roles),
            org_id=org_id,
            factory_id=factory_id,
            **extra,
        )
        return {"Authorization": f"Bearer {token}"}

    return make
