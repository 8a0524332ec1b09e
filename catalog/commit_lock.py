"""One commit at a time per lake table, across processes.

Iceberg commits are optimistic: a commit made on snapshot N fails when another landed first. Lake writers
commit every second or so and finish quickly; a compaction's attempt (load the head, stage a ``replace``
snapshot on it, swap) takes longer, so with a few writers it could lose every race and never land. Writers
and the compaction therefore take a per-table lock around their commit: a writer waits at most for one
compaction attempt, and that attempt always commits on the head it loaded.

The lock lives where every committing process already connects: the SQL catalog's database — a
PostgreSQL advisory lock (released by PostgreSQL if the process dies), or for the embedded SQLite catalog
an ``flock`` on a file beside the catalog's database file.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyiceberg.table import Table
from sqlalchemy import Engine, text

from catalog import iceberg_internals

_IN_MEMORY = threading.Lock()  # an in-memory SQLite catalog lives in one process


def _key(engine: Engine, table: Table) -> int:
    """A signed 64-bit advisory-lock key of the table (stable across processes and Python versions)."""
    name = f"smartmfg.commit:{engine.url.database}:{'.'.join(table.name())}"
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def exclusive_commits(table: Table) -> Iterator[None]:
    engine = iceberg_internals.catalog_engine(table)
    if engine.dialect.name == "postgresql":
        key = _key(engine, table)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _IN_MEMORY:
            yield
        return
    lock_file = Path(f"{database}.{'.'.join(table.name())}.commit-lock")
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
