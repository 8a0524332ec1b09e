"""Facet counts computed by the database: how many results each value of a facet would give, and the
generation of the data they count, which keys them in the process's answers cache.

A facet's counts are taken over the list filtered by every *other* filter (its own is dropped), so each
count says how many results choosing that value would give and a chosen value can be swapped for another
("disjunctive" facets, as shop and catalogue pages count). Each count is one ``GROUP BY`` query: the
database reads an index or the filtered rows once per facet, whatever the size of the list, and only the
counts cross the wire. Values beyond ``MAX_FACET_VALUES`` (only a facet such as suppliers grows that far)
are left out, the largest kept; the count of a chosen value is always the list's ``total``. When nothing
matches (a search that finds nothing), a facet whose own filter is unset counts that same empty list, so it
is not counted (``counted``): such a search costs one query, not one per facet.

Counting a national list (75,000 published records) still reads every row per facet, hundreds of
milliseconds, while the answer changes only when the data does: answers are kept (``Cache.memo`` of
services.kit.cache, one recount at a time) under the *generation* of the data they counted (the table's row
count and latest change, read on every call), so a write that commits is seen by the next call, whichever
process wrote. A write stamped before the latest change but committed after it (a long transaction) moves
neither figure: an answer is therefore also served for at most ``MEMO_S`` seconds (and the time of its one
recount).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_FACET_VALUES = 100
MEMO_S = 10.0

F = TypeVar("F")


class FacetCount(BaseModel):
    """One value of a facet and the number of results that choosing it would give."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "48", "count": 1250}]})

    key: str
    count: int


def without(filters: F, *fields: str) -> F:
    """``filters`` (a frozen dataclass) with ``fields`` cleared: the filters a facet's counts apply."""
    return dataclasses.replace(filters, **dict.fromkeys(fields))  # type: ignore[type-var]


def counted(
    matching: int, filters: F, own: Iterable[str], count: Callable[[], list[FacetCount]]
) -> list[FacetCount]:
    """``count()``: a facet's counts under ``filters`` without its ``own`` ones, of which ``matching`` is
    the total under all of them. Not asked of the database when none match and ``own`` are unset: the
    counts would be taken over that same empty list."""
    if matching == 0 and without(filters, *own) == filters:
        return []
    return count()


def total(session: Session, stmt: Select[Any]) -> int:
    """The number of rows of ``stmt`` (a filtered list)."""
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def grouped(session: Session, stmt: Select[Any]) -> list[FacetCount]:
    """``stmt`` selects ``(key, count)`` grouped by key: the largest first, then by key; no empty keys."""
    return ranked(session.execute(stmt))


def ranked(counts: Iterable[tuple[Any, int]]) -> list[FacetCount]:
    """``(key, count)`` pairs, however counted, in :func:`grouped`'s order and number."""
    rows = [(str(key), int(n)) for key, n in counts if key is not None and str(key) != ""]
    rows.sort(key=lambda kn: (-kn[1], kn[0]))
    return [FacetCount(key=k, count=n) for k, n in rows[:MAX_FACET_VALUES]]


def generation(session: Session, table: Any, changed: Any) -> tuple[int, Any]:
    """(rows, latest ``changed``) of ``table``: moves with every insert, delete and touched update."""
    count, latest = session.execute(select(func.count(), func.max(changed)).select_from(table)).one()
    return int(count), latest
