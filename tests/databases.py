"""Migrated, empty PostgreSQL databases for tests, made once and reused.

``CREATE DATABASE … TEMPLATE`` and ``DROP DATABASE`` cost 0.1-0.5 s each on this machine (their files are
written and synced); deleting the rows of a database's 42 small tables costs ~20 ms. So a test's database
is made from the session's migrated template only when no used one is free, and a used one is emptied when
its test ends. A test of a snapshot world (tests/snapshots.py) gets a copy of the world's database, kept
here as a template of its own; emptied when its test ends, the copy joins the free ones. Invariants of a
database handed to a test:

- it holds what the template holds and nothing else: every table's rows are deleted (children before
  parents) except those of the tables the template has rows in (the migrations' version tables), and every
  sequence starts again where the template's does;
- a test that changed more than rows (created a table or a constraint, as pyiceberg's catalog and the
  commit-failure test do, or moved a migration's version) makes its database unusable for the next: the
  schema's and the version tables' fingerprint is compared with the template's, and a database that differs
  is dropped, never reused;
- nothing of the previous test still holds the database: its connections are ended before the rows go.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

# Everything a test could change in a schema besides rows: relations (tables, indexes, sequences, views),
# their columns, constraints, triggers, functions, types and schemas.
SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'r:' || n.nspname || '.' || c.relname || ':' || c.relkind::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
  SELECT 'a:' || a.attrelid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
         || ':' || a.attnotnull || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k:' || conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 't:' || tgrelid::regclass::text || '.' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT 'f:' || oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'y:' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'n:' || nspname FROM pg_namespace
) AS parts(x)
"""
END_OTHER_SESSIONS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
RESTART_SEQUENCES = (
    "SELECT setval(s.seqrelid::regclass, s.seqstart, false) FROM pg_sequence s "
    "JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'public'::regnamespace"
)


class PgDatabases:
    """The session's pool of test databases on one server, all made from one migrated template."""

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url = server_url
        self.template = template
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.free: list[str] = []
        self.made: set[str] = set()
        self.fingerprint: str | None = None
        self.kept_tables: list[str] = []  # the tables the template has rows in: their rows are its
        self.emptied_tables: list[str] = []  # every other table, children before their parents

    def url(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def acquire(self, template: str | None = None) -> str:
        """The name of a migrated database that no other test holds: an empty one, or a copy of ``template``
        (a database of this pool that :meth:`keep_as_template` kept: a snapshot world, tests/snapshots.py)."""
        if template is None and self.free:
            return self.free.pop()
        name = f"smartmfg_t_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template or self.template}"'))
        self.made.add(name)
        if self.fingerprint is None:
            with self._engine(name).connect() as conn:
                self._learn_template(conn)
        return name

    def release(self, name: str) -> None:
        """Empty the database for the next test, or drop it if its test changed more than rows."""
        engine = self._engine(name)
        try:
            with engine.connect() as conn:
                conn.execute(text(END_OTHER_SESSIONS))
                reusable = self._fingerprint(conn) == self.fingerprint
                if reusable:
                    for table in self.emptied_tables:
                        conn.execute(text(f'DELETE FROM "{table}"'))
                    conn.execute(text(RESTART_SEQUENCES))
                    conn.commit()
        finally:
            engine.dispose()
        if reusable:
            self.free.append(name)
        else:
            self._drop(name)

    def keep_as_template(self, name: str) -> None:
        """Keep the acquired database ``name`` as it is, to be copied by :meth:`acquire`; dropped at close.
        Copying needs it unconnected, so whoever still holds it is ended."""
        engine = self._engine(name)
        try:
            with engine.connect() as conn:
                conn.execute(text(END_OTHER_SESSIONS))
        finally:
            engine.dispose()

    def close(self) -> None:
        for name in list(self.made):
            self._drop(name)
        self.admin.dispose()

    def _engine(self, name: str) -> Engine:
        return create_engine(self.url(name), poolclass=NullPool)

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.made.discard(name)

    def _learn_template(self, conn: Connection) -> None:
        """On a database just copied from the template: which tables hold rows, the order to empty the
        others in, and the fingerprint every reused database must still have."""
        metadata = MetaData()
        metadata.reflect(conn)
        for table in reversed(metadata.sorted_tables):
            has_rows = conn.execute(text(f'SELECT EXISTS (SELECT FROM "{table.name}")')).scalar_one()
            (self.kept_tables if has_rows else self.emptied_tables).append(table.name)
        self.fingerprint = self._fingerprint(conn)

    def _fingerprint(self, conn: Connection) -> str:
        parts = [conn.execute(text(SCHEMA_FINGERPRINT)).scalar_one()]
        for table in sorted(self.kept_tables):
            rows = f"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t"
            parts.append(conn.execute(text(rows)).scalar_one())
        return "/".join(parts)
