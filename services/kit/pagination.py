"""Keyset (cursor) pagination: ``{"items": [...], "next_cursor": str | None}``, stable order.

A cursor is opaque to clients but not shapeless: it is the URL-safe base64 of a JSON array, unpadded, so
it starts with ``W`` (the first six bits of ``[``) and its length is never one more than a multiple of
four. ``CURSOR_PATTERN`` says so in the ``cursor`` parameter's schema (a generated client or fuzzer sends
nothing else) and :func:`decode_cursor` checks it first; a cursor of that shape that this list did not
mint is still refused (400 naming ``query.cursor``): only the server knows which positions exist.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import DateTime, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from services.kit.errors import BadRequest, field_error
from services.kit.messages import Msg

T = TypeVar("T")
M = TypeVar("M")

MAX_LIMIT = 200
_B64 = "[A-Za-z0-9_-]"
CURSOR_PATTERN = f"^W{_B64}{{3}}(?:{_B64}{{4}})*(?:{_B64}{{2,3}})?$"
_CURSOR = re.compile(CURSOR_PATTERN)

CursorQuery = Annotated[
    str | None,
    Query(
        min_length=1,  # an empty cursor is none: leave the parameter out for the first page
        max_length=2048,
        description="`next_cursor` of the previous page.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    ),
]
"""The ``cursor`` parameter of a list: its shape documented, checked by :func:`decode_cursor` (a 400 with
the catalogue's message rather than a generic pattern error)."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 50
    cursor: str | None = None


# async though it does no I/O: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request.
async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-200).")] = 50,
    cursor: CursorQuery = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def malformed_cursor() -> BadRequest:
    return BadRequest(
        Msg("cursor is not a cursor returned by this list"),
        fields=[field_error("query.cursor", Msg("malformed cursor"))],
    )


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor holding ``values`` (JSON types and datetimes)."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(orjson.dumps(plain)).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[Any]:
    """The ``count`` values of a cursor made by :func:`encode_cursor`, else 400 naming ``query.cursor``."""
    if not _CURSOR.match(cursor):
        raise malformed_cursor()
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise malformed_cursor() from exc
    if not isinstance(values, list) or len(values) != count:
        raise BadRequest(
            Msg("cursor does not belong to this list"),
            fields=[field_error("query.cursor", Msg("cursor of another list"))],
        )
    return values


def decode_offset(cursor: str | None) -> int:
    """Where a list cut by position (ranked or in-memory results) resumes: 0 without a cursor."""
    if not cursor:
        return 0
    (offset,) = decode_cursor(cursor, 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise malformed_cursor()
    return offset


def _coerce(key: InstrumentedAttribute[Any], value: Any) -> Any:
    column_type = getattr(key.type, "impl", key.type)  # look through TypeDecorators
    if isinstance(column_type, DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _after(keys: Sequence[InstrumentedAttribute[Any]], values: list[Any], descending: bool) -> Any:
    """``(k1, k2, ...) > (v1, v2, ...)`` (``<`` descending) spelled out, so it works on every dialect and
    column type."""
    typed = [_coerce(key, value) for key, value in zip(keys, values, strict=True)]

    def beyond(key: InstrumentedAttribute[Any], value: Any) -> Any:
        return key < value if descending else key > value

    return or_(
        *(and_(*(keys[j] == typed[j] for j in range(i)), beyond(keys[i], typed[i])) for i in range(len(keys)))
    )


def paginate(
    session: Session,
    stmt: Select[M],
    keys: Sequence[InstrumentedAttribute[Any]],
    params: PageParams,
    convert: Callable[[M], T],
    *,
    descending: bool = False,
) -> Page[T]:
    """Run ``stmt`` ordered by the unique key tuple ``keys`` and cut one page after ``params.cursor``."""
    rows, next_cursor = page_rows(session, stmt, keys, params, descending=descending)
    return Page[T](items=[convert(r) for r in rows], next_cursor=next_cursor)


def page_rows(
    session: Session,
    stmt: Select[M],
    keys: Sequence[InstrumentedAttribute[Any]],
    params: PageParams,
    *,
    descending: bool = False,
) -> tuple[list[M], str | None]:
    """:func:`paginate`'s rows and next cursor, for a caller that renders them itself."""
    if params.cursor:
        stmt = stmt.where(_after(keys, decode_cursor(params.cursor, len(keys)), descending))
    order = [key.desc() for key in keys] if descending else list(keys)
    rows = _fetch(session, stmt.order_by(*order).limit(params.limit + 1))
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return rows, encode_cursor([getattr(rows[-1], k.key) for k in keys]) if more and rows else None


def paginate_by_position(
    session: Session,
    stmt: Select[M],
    order: Sequence[Any],
    params: PageParams,
    convert: Callable[[M], T],
) -> Page[T]:
    """Run ``stmt`` in ``order`` (ending in a unique key) and cut one page at the cursor's position.

    For orders by computed values (a median, a JSON field), where a keyset cursor has no column to hold:
    the cursor is ``encode_cursor([offset])`` (see :func:`decode_offset`), so a page is also reachable by
    its number. A row inserted meanwhile may shift a row to the next page, as in any numbered list.
    """
    rows, next_cursor = positioned_rows(session, stmt, order, params)
    return Page[T](items=[convert(r) for r in rows], next_cursor=next_cursor)


def positioned_rows(
    session: Session, stmt: Select[M], order: Sequence[Any], params: PageParams
) -> tuple[list[M], str | None]:
    """:func:`paginate_by_position`'s rows and next cursor, for a caller that renders them itself."""
    offset = decode_offset(params.cursor)
    rows = _fetch(session, stmt.order_by(*order).offset(offset).limit(params.limit + 1))
    more = len(rows) > params.limit
    return rows[: params.limit], encode_cursor([offset + params.limit]) if more else None


def _fetch(session: Session, stmt: Select[Any]) -> list[Any]:
    """Entities of ``select(Entity)``; rows (attributes by column name) of a select of several columns."""
    result = session.execute(stmt)
    return list(result.scalars()) if len(stmt.column_descriptions) == 1 else list(result)
