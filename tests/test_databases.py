"""The pool of PostgreSQL test databases (tests/databases.py): a database handed to a second test holds
nothing of the first, and one whose schema a test changed is never handed out again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text

from tests.databases import PgDatabases

ORG_ROW = "INSERT INTO idn_organisations (id, kind, name, created_at) VALUES ('org-x', 'sme', '{}', now())"
AUDIT_ROW = (
    "INSERT INTO idn_audit_log (at, actor_subject, action, resource_type, resource_id) "
    "VALUES (now(), 'tester', 'create', 'organisation', 'org-x') RETURNING id"
)


@contextmanager
def connected(databases: PgDatabases, name: str) -> Iterator[Connection]:
    engine = create_engine(databases.url(name))
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def test_a_reused_database_holds_no_row_of_the_test_before(_pg_databases: PgDatabases) -> None:
    name = _pg_databases.acquire()
    with connected(_pg_databases, name) as conn:
        conn.execute(text(ORG_ROW))
        assert conn.execute(text(AUDIT_ROW)).scalar_one() == 1
        assert conn.execute(text(AUDIT_ROW)).scalar_one() == 2
    # A connection the first test left open, inside a transaction that holds a lock on the table, does
    # not keep the rows alive: the release ends it.
    leaked = create_engine(_pg_databases.url(name)).connect()
    leaked.execute(text("SELECT count(*) FROM idn_organisations"))

    _pg_databases.release(name)
    leaked.invalidate()  # its server session is gone: nothing to roll back
    again = _pg_databases.acquire()

    assert again == name
    with connected(_pg_databases, again) as conn:
        assert conn.execute(text("SELECT count(*) FROM idn_organisations")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM idn_audit_log")).scalar_one() == 0
        assert conn.execute(text(AUDIT_ROW)).scalar_one() == 1  # sequences start again too
        # the migrations' own rows stay: the next app finds its schema at head
        assert conn.execute(text("SELECT count(*) FROM alembic_version_identity")).scalar_one() == 1
    _pg_databases.release(again)


def test_a_database_whose_schema_changed_is_dropped(_pg_databases: PgDatabases) -> None:
    name = _pg_databases.acquire()
    with connected(_pg_databases, name) as conn:
        conn.execute(text("ALTER TABLE idn_organisations ADD CONSTRAINT short_id CHECK (length(id) < 10)"))

    _pg_databases.release(name)

    assert name not in _pg_databases.made and name not in _pg_databases.free
    admin = create_engine(_pg_databases.server_url)
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name})
        assert exists.scalar_one() == 0
    admin.dispose()
