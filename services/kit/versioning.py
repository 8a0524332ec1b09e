"""Versions moved by a rule of the ORM, not by each write remembering to: any change of an aggregate moves
its root's ``updated_at``.

Rendered JSON (``kit.rendered``), memo generations (``kit.facets``) and ETags are keyed on a root's
``updated_at`` (deployment records also on the counter SQLAlchemy moves with every UPDATE of the row, their
``version_id_col``). A write that changed only a part of the aggregate (a KPI, an effect, a designation) and
left the root's row alone would serve stale output until the next write; so no write is trusted to touch
the stamp: a ``before_flush`` listener on every ``Session`` does.

Declarations (in the models, nothing else):
- a root inherits :class:`Versioned`, which holds its ``updated_at`` column;
- a part inherits :class:`Part` and names in ``__owner_key__`` its foreign-key attribute to its owner (a
  root, or another part: a designation's events belong to the designation, which belongs to the company).
  The owner's class is the one mapped to the table that foreign key references.

The rule, for each flush: every root that is changed (a column, or a collection: a part removed from it),
and the root above every new, changed or deleted part, gets ``updated_at = now`` unless the root is itself
new (its default stamps it) or being deleted. Hence:
- Each flush that changes an aggregate moves its stamp, and so its version counter once: a service that
  flushes twice with changes in both moves it twice (a query that autoflushes between two changes too);
  one that flushes a change then an unchanged row or a log entry, once.
- A flush that changes no part and no root (a history entry, a search index, another aggregate) leaves the
  stamp alone: logs and derived indexes are deliberately not parts.
- A new part whose owner key is still unset was appended to its owner's collection, which changed the owner.
- Bulk statements (``session.execute(update(...))`` and the like) bypass the unit of work and so the rule:
  they are kept to derived indexes, which are not parts.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain
from typing import Any, ClassVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Mapper, Session, UOWTransaction, mapped_column

from services.kit.db import UTCDateTime, utcnow


class Versioned:
    """An aggregate root: ``updated_at`` moves with every change of its row or of one of its parts."""

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Part:
    """A row of an aggregate: a change of it is a change of its owner, named by ``__owner_key__``."""

    __owner_key__: ClassVar[str]


_OWNERS: dict[type, type] = {}  # one entry per part class


def owner_class(part: type[Part]) -> type:
    """The mapped class of the table that ``part``'s owner key references."""
    if part not in _OWNERS:
        _OWNERS[part] = _referenced(part, part.__owner_key__)
    return _OWNERS[part]


def _referenced(cls: type, key: str) -> type:
    mapper: Mapper[Any] = inspect(cls)
    (foreign_key,) = mapper.columns[key].foreign_keys
    target = foreign_key.column.table
    for candidate in mapper.registry.mappers:
        if candidate.local_table is target:
            return candidate.class_
    raise TypeError(f"{cls.__name__}.{key} references {target.name}, which nothing maps")


def root_of(session: Session, row: object) -> Versioned | None:
    """The root of ``row``'s aggregate (``row`` itself for a root); None for a row of no aggregate, or a part
    whose owner is not stored yet."""
    while isinstance(row, Part):
        key = getattr(row, row.__owner_key__)
        owner = None if key is None else session.get(owner_class(type(row)), key)
        if owner is None:
            return None
        row = owner
    return row if isinstance(row, Versioned) else None


def changed_roots(session: Session) -> list[Versioned]:
    """The stored roots whose aggregate this flush changes."""
    new, deleted = session.new, session.deleted  # snapshots: each read of these properties builds one
    # ``dirty`` also holds rows with an attribute set to the value it had: no change
    changed = chain(new, deleted, (row for row in session.dirty if session.is_modified(row)))
    found: dict[int, Versioned] = {}
    for row in changed:
        root = root_of(session, row)
        if root is not None and root not in new and root not in deleted:
            found[id(root)] = root
    return list(found.values())


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    now = utcnow()
    for root in changed_roots(session):
        root.updated_at = now
