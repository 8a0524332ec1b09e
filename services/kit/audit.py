"""Audit trail of every ORM write: who (the request's principal), when, what, and the values before/after.

One session hook for every service: after each flush it inserts one row per inserted, updated or deleted
ORM object into the audit table, in the same transaction as the write (a rolled-back request leaves no
trail of a change that never happened). A root whose only change is the version stamp the versioning rule
moved for a change of one of its parts gets no row: the part's own row says what changed. The table
belongs to the identity service's migrations; the hook finds it by reflection, once per engine, and stays
silent on a database that does not hold it (a service process with a database of its own).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, MetaData, Table, event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import get_history

from services.kit.db import utcnow
from services.kit.versioning import Versioned

AUDIT_TABLE = "idn_audit_log"
REDACTED = "***"
# Columns whose values must never be copied into the trail (password and client-secret hashes, tokens):
# names ending in one of these words (``secret_hash``, ``password``), not ``secret_rotated_at``.
_SECRET_COLUMN = re.compile(r"(^|_)(password|passwd|secret|hash|token)s?$", re.IGNORECASE)


@dataclass(frozen=True)
class Actor:
    subject: str
    username: str | None = None
    org_id: str | None = None
    client_id: str | None = None
    request: str | None = None  # "POST /api/v1/..." that caused the write


# Set by the authentication dependency in the request's task, so the worker threads running the endpoint
# and the session's commit (each a copy of that context) see it.
_actor: ContextVar[Actor | None] = ContextVar("smartmfg_audit_actor", default=None)


def bind_actor(actor: Actor) -> None:
    _actor.set(actor)


def current_actor() -> Actor | None:
    return _actor.get()


def _plain(value: Any) -> Any:
    """A JSON-storable copy of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _stored(column: str, value: Any) -> Any:
    secret = value is not None and not isinstance(value, bool) and _SECRET_COLUMN.search(column)
    return REDACTED if secret else _plain(value)


def _loaded(obj: Any) -> dict[str, Any]:
    """Column values the object holds now, without loading anything (server defaults stay out)."""
    state = inspect(obj)
    return {
        attr.columns[0].name: _stored(attr.columns[0].name, state.dict[attr.key])
        for attr in state.mapper.column_attrs
        if attr.key in state.dict
    }


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed columns of an updated object: (before, after)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        history = get_history(obj, attr.key)
        if not history.has_changes():
            continue
        name = attr.columns[0].name
        before[name] = _stored(name, history.deleted[0] if history.deleted else None)
        after[name] = _stored(name, history.added[0] if history.added else None)
    return before, after


def _stamps_only(obj: Any, after: dict[str, Any]) -> bool:
    """An update that moved nothing but a root's version stamps: the versioning rule's bump for a change of
    one of its parts, which has its own entry in the same flush."""
    if not isinstance(obj, Versioned):
        return False
    counter = inspect(obj).mapper.version_id_col
    return set(after) <= {"updated_at", *([counter.name] if counter is not None else [])}


def _primary_key(obj: Any) -> str:
    mapper = inspect(obj).mapper
    values = mapper.primary_key_from_instance(obj)
    return "/".join("" if v is None else str(_plain(v)) for v in values)


def _rows(session: Session, table_name: str) -> list[dict[str, Any]]:
    actor = current_actor() or Actor(subject="system")
    at = utcnow()
    entries: list[tuple[str, Any, dict[str, Any] | None, dict[str, Any] | None]] = []
    entries += [("create", obj, None, _loaded(obj)) for obj in session.new]
    for obj in session.dirty:
        before, after = _changes(obj)
        if after and not _stamps_only(obj, after):
            entries.append(("update", obj, before, after))
    entries += [("delete", obj, _loaded(obj), None) for obj in session.deleted]
    return [
        {
            "at": at,
            "actor_subject": actor.subject,
            "actor_username": actor.username,
            "actor_org_id": actor.org_id,
            "actor_client_id": actor.client_id,
            "request": actor.request,
            "action": action,
            "resource_type": inspect(obj).mapper.local_table.name,
            "resource_id": _primary_key(obj),
            "before": before,
            "after": after,
        }
        for action, obj, before, after in entries
        if inspect(obj).mapper.local_table.name != table_name
    ]


class AuditHook:
    """The after-flush listener of one session factory."""

    def __init__(self, table_name: str = AUDIT_TABLE) -> None:
        self.table_name = table_name
        self._tables: WeakKeyDictionary[Engine, Table | None] = WeakKeyDictionary()

    def _table(self, session: Session) -> Table | None:
        connection = session.connection()
        engine = connection.engine
        if engine not in self._tables:
            exists = inspect(connection).has_table(self.table_name)
            self._tables[engine] = (
                Table(self.table_name, MetaData(), autoload_with=connection) if exists else None
            )
        return self._tables[engine]

    def after_flush(self, session: Session, _context: Any) -> None:
        # after_flush, not before_flush: generated keys and defaults are known, and the new/dirty/deleted
        # sets and the attribute history still describe the flush that just ran.
        table = self._table(session)
        if table is None:
            return
        rows = _rows(session, self.table_name)
        if rows:
            session.connection().execute(insert(table), rows)


def install(sessions: sessionmaker[Session], table_name: str = AUDIT_TABLE) -> AuditHook:
    """Audit every flush of the sessions ``sessions`` makes."""
    hook = AuditHook(table_name)
    event.listen(sessions, "after_flush", hook.after_flush)
    return hook
