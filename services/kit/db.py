"""SQLAlchemy engine and the per-request session: the request owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from services.kit.slots import Slot, slots_of


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned zone-aware (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    # JSON columns are parsed by orjson: a list page reads a few hundred of them (~4x faster than json)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_deserializer=orjson.loads
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # psycopg prepares a statement run five times on a connection, and PostgreSQL then plans it once for
    # any values ("generic plan"): a search's pattern and a list's status are unknown to that plan, so it
    # can use neither a trigram index by the words' frequency nor an index of published records only, and
    # one word's plan serves every other. Each execution is planned with its values (< 1 ms).
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_deserializer=orjson.loads,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


class Database:
    """An engine and its session factory, created in the app's lifespan."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


DATABASE: Slot[Database] = Slot("database")  # made by the app's lifespan


def get_session(request: Request) -> Iterator[Session]:
    """Commit when the endpoint returns, roll back when it raises; services only flush.

    Used with ``scope="function"``: the commit happens before the response is sent, so a commit that fails
    (a deferred constraint, a lost connection, a locked SQLite file) answers an error, never a 2xx for a
    write that was rolled back.
    """
    database = slots_of(request.app).get(DATABASE)
    session = database.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
