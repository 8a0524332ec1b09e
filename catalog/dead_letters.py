"""Dead letters of one factory, a page at a time: the lake prunes files, DuckDB sorts and limits.

The order (batch id, row, field, rejected at) is the keyset a page ends on, so a page costs one query over
the factory's files whatever the page number; the rows of the page are the only ones that reach Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyiceberg.expressions import And, BooleanExpression, EqualTo

from catalog.query import READ_OPTIONS, QueryEngine

COLUMNS = ("factory_id", "org_id", "batch_id", "row", "field", "reason", "raw", "rejected_at")
ORDER = "batch_id, row, field, rejected_at"


@dataclass(frozen=True)
class After:
    """The last dead letter of the previous page."""

    batch_id: str
    row: int
    field: str
    rejected_at: datetime


def page(
    engine: QueryEngine, factory_id: str, batch_id: str | None, limit: int, after: After | None
) -> tuple[list[dict[str, Any]], After | None]:
    condition: BooleanExpression = EqualTo(term="factory_id", value=factory_id)
    where, params = "factory_id = ?", list[Any]([factory_id])
    if batch_id:
        condition = And(condition, EqualTo(term="batch_id", value=batch_id))
        where, params = f"{where} AND batch_id = ?", [*params, batch_id]
    plan = engine.plan(engine.lake.dead_letters(), condition)
    if not plan.files:
        return [], None
    if after is not None:
        where += f" AND ({ORDER}) > (?, ?, ?, ?)"
        params += [after.batch_id, after.row, after.field, after.rejected_at]
    sql = f"SELECT {', '.join(COLUMNS)} FROM read_parquet(?, {READ_OPTIONS}) WHERE {where} ORDER BY {ORDER}"
    rows = engine.query(f"{sql} LIMIT ?", [plan.files, *params, limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], After(last["batch_id"], last["row"], last["field"], last["rejected_at"])
