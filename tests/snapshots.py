"""Snapshot worlds: a world that a fixture posts through the API, posted once per session and copied into
each test that uses the fixture.

Posting a world (companies, factories, designations) costs a test as much as its own requests do (nine
POSTs, ~0.35 s, for tests/services/deployments'). A world fixture declared with :func:`seeded_by` names a
*seed*, ``seed(client, auth)``, that posts the world and returns what its tests need to know of it (headers,
ids) as plain data. Each worker runs a seed once per backend, on an app, database and data directory of its
own; then every test that uses the fixture (even through another fixture) gets:

- a database copied from the seed's (SQLite: a file copy; PostgreSQL: ``CREATE DATABASE … TEMPLATE``,
  tests/databases.py), where it would otherwise get an empty migrated one, so its app starts on the world;
- a data directory copied from the seed's (bus logs, documents, objects, models, the issuer key, the lake's
  empty tables: :func:`copy_data_dir`). The lake's data files name each other by absolute path, so a seed
  that writes readings is refused, never half copied;
- the seed's value, a deep copy of it: nothing a test changes reaches another test.

A test of no world gets a copy of a data directory an app has started in (:meth:`Snapshots.blank`): the
issuer's key and the lake's empty tables are found, not made (making the tables is a third of a start).

Tokens of a seed live :data:`SEED_TOKEN_SECONDS` (a session's length, not the hour a test's tokens live); the
issuer's key is the session's, so the tests' apps accept them. A seed must not depend on anything but its
requests: it runs before the test's own fixtures and at most once per worker.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from tests.databases import PgDatabases

Auth = Callable[..., dict[str, str]]
Seed = Callable[[TestClient, Auth], Any]
F = TypeVar("F", bound=Callable[..., Any])

SEED_TOKEN_SECONDS = 12 * 3600
ISSUER_KEY = "dev-issuer-key.pem"  # where the issuer keeps its key in a data directory (identity_setup.py)
LAKE = ("lake", "lake-catalog.db")  # the embedded lake's files in a data directory (settings.py)
TEST_FLUSH_S = 0.2  # the embedded lake writer's flush in a test's platform (platform_settings)
RESTORED: pytest.StashKey[Snapshot] = pytest.StashKey()


def platform_settings(database_url: str, data_dir: Path) -> PlatformSettings:
    """The embedded platform of a test: its database and data directory, the test client's address.

    No rollup refresher: on the app's first lake commit (or after 30 s) it spawned a child interpreter
    (1.7 s of imports) for rounds no test read, and the app's stop waited up to 2 s for it; the rollups'
    tests refresh by hand and tests/catalog/test_rollup_refresher.py starts its own. The embedded writer
    commits what it holds once its oldest reading is ``TEST_FLUSH_S`` old (1 s in a platform): a test
    waiting for its readings in the lake waits that long."""
    return PlatformSettings(
        topology="embedded",
        database={"url": database_url},
        data_dir=data_dir,
        public_url="http://testserver",
        analytics={"rollup_refresh_seconds": 0},
        writer={"flush_seconds": TEST_FLUSH_S},
    )


def auth_of(client: TestClient, ttl_s: int = 3600) -> Auth:
    """``auth("sme", org_id="org-a")`` gives headers with a real RS256 token from the dev issuer of
    ``client``'s app."""

    def make(
        *roles: str,
        org_id: str | None = None,
        factory_id: str | None = None,
        subject: str | None = None,
        **extra: Any,
    ) -> dict[str, str]:
        issuer = state_of(cast(FastAPI, client.app)).get(DEV_ISSUER)
        token = issuer.issue(
            subject=subject or f"user-{uuid.uuid4().hex[:6]}",
            roles=list(roles),
            org_id=org_id,
            factory_id=factory_id,
            ttl_s=ttl_s,
            **extra,
        )
        return {"Authorization": f"Bearer {token}"}

    return make


def seeded_by(seed: Seed) -> Callable[[F], F]:
    """Declare a world fixture: tests using it start on what ``seed`` posted; the fixture reads the seed's
    value with :func:`seeded`. Put it under ``@pytest.fixture``."""

    def declare(fixture: F) -> F:
        fixture.__dict__["snapshot_seed"] = seed
        return fixture

    return declare


def seeded(request: pytest.FixtureRequest) -> Any:
    """The value the seed of the test's world returned, the test's own copy."""
    return copy.deepcopy(request.node.stash[RESTORED].value)


def seed_of(request: pytest.FixtureRequest) -> Seed | None:
    """The seed of the world fixture the test uses, if it uses one (at most one: two worlds do not merge)."""
    # The fixture definitions a test resolved are only on its (private) fixture info (as in tests/workers.py).
    resolved = request.node._fixtureinfo.name2fixturedefs
    seeds = {
        seed
        for name in request.fixturenames
        for definition in resolved.get(name, ())[-1:]
        if (seed := getattr(definition.func, "snapshot_seed", None)) is not None
    }
    if len(seeds) > 1:
        raise pytest.UsageError(f"{request.node.nodeid} uses two snapshot worlds: {sorted(map(str, seeds))}")
    return next(iter(seeds), None)


@dataclass(frozen=True)
class Snapshot:
    database: str  # SQLite: the file to copy; PostgreSQL: the template database's name
    data_dir: Path  # to copy with copy_data_dir
    value: Any


class Snapshots:
    """One worker's snapshot worlds, by seed and backend; their files live under ``root``."""

    def __init__(self, root: Path, issuer_key: Path) -> None:
        self.root = root
        self.issuer_key = issuer_key
        self.made: dict[tuple[Seed, str], Snapshot] = {}
        self._blank: Path | None = None

    def blank(self, migrated: Path) -> Path:
        """A data directory as an app leaves it after its first start, for a test of no world: making the
        lake's tables is a third of an app's start; finding them, a twentieth."""
        if self._blank is None:
            where = self.root / "blank"
            where.mkdir()
            shutil.copyfile(migrated, where / "platform.db")
            self._post(_nothing, f"sqlite:///{where / 'platform.db'}", where / "data")
            self._blank = where / "data"
        return self._blank

    def sqlite(self, seed: Seed, migrated: Path) -> Snapshot:
        """The SQLite snapshot of ``seed``'s world, posted on a copy of the ``migrated`` template."""
        if (seed, "sqlite") not in self.made:
            where = self._place(seed, "sqlite")
            path = where / "platform.db"
            shutil.copyfile(migrated, path)
            value = self._post(seed, f"sqlite:///{path}", where / "data")
            with closing(sqlite3.connect(path)) as db:  # everything in the file itself: only it is copied
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.made[seed, "sqlite"] = Snapshot(str(path), where / "data", value)
        return self.made[seed, "sqlite"]

    def postgres(self, seed: Seed, databases: PgDatabases) -> Snapshot:
        """The PostgreSQL snapshot of ``seed``'s world: a database of ``databases`` kept as a template."""
        if (seed, "postgres") not in self.made:
            name = databases.acquire()
            data_dir = self._place(seed, "postgres") / "data"
            value = self._post(seed, databases.url(name), data_dir)
            databases.keep_as_template(name)
            self.made[seed, "postgres"] = Snapshot(name, data_dir, value)
        return self.made[seed, "postgres"]

    def _place(self, seed: Seed, backend: str) -> Path:
        where = self.root / f"{seed.__module__}.{seed.__qualname__}-{backend}"
        where.mkdir(parents=True, exist_ok=True)
        return where

    def _post(self, seed: Seed, database_url: str, data_dir: Path) -> Any:
        data_dir.mkdir(exist_ok=True)
        shutil.copy(self.issuer_key, data_dir / ISSUER_KEY)
        with TestClient(create_app(platform_settings(database_url, data_dir))) as client:
            value = seed(client, auth_of(client, SEED_TOKEN_SECONDS))
        written = [p for p in (data_dir / LAKE[0]).rglob("*") if p.is_file() and p.suffix != ".json"]
        if written:
            raise pytest.UsageError(
                f"the seed {seed.__qualname__} wrote to the lake ({written[0].name}), which a snapshot "
                "cannot copy: post those readings in the test"
            )
        return value


def copy_data_dir(source: Path, target: Path) -> None:
    """Copy a data directory that holds an empty lake. The lake names its files by absolute path, in its
    tables' metadata (JSON) and in its catalog (SQLite): those become the copy's."""
    shutil.copytree(source, target)
    old, new = str(source.resolve()), str(target.resolve())
    for metadata in (target / LAKE[0]).rglob("*.json"):
        metadata.write_text(metadata.read_text().replace(old, new))
    with closing(sqlite3.connect(target / LAKE[1])) as catalog, catalog:
        for (table,) in catalog.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for column in catalog.execute(f'PRAGMA table_info("{table}")').fetchall():
                text = f'"{column[1]}"'
                rewrite = f'UPDATE "{table}" SET {text} = replace({text}, ?, ?) WHERE typeof({text}) = ?'
                catalog.execute(rewrite, (old, new, "text"))


def _nothing(client: TestClient, auth: Auth) -> None:
    """The seed of no world."""
