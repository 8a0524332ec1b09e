"""What the run endpoints read: a run's latest state, an organisation's runs, a subscription's predictions.
DuckDB over the files the Iceberg plan keeps, always filtered by the caller's organisation (admins: every
organisation): a case's owner, like anyone else, sees only its own organisation's runs and predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyiceberg.expressions import AlwaysTrue, BooleanExpression, EqualTo

from catalog.ai_runs.predictions import predictions_table, runs_table
from catalog.query import READ_OPTIONS, QueryEngine

MAX_POINTS = 10_000
_LATEST = "QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY \"at\" DESC, state = 'running') = 1"


def _org(org_id: str | None) -> BooleanExpression:
    return AlwaysTrue() if org_id is None else EqualTo(term="org_id", value=org_id)


def runs(
    engine: QueryEngine,
    org_id: str | None,
    *,
    case_id: str | None,
    equipment_id: str | None,
    run_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Runs in their latest state, newest request first; ``org_id`` None: every organisation's."""
    plan = engine.plan(runs_table(engine.lake), _org(org_id))
    if not plan.files:
        return []
    clauses, params = ["TRUE"], []
    for column, value in (("org_id", org_id), ("case_id", case_id), ("equipment_id", equipment_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if run_id is not None:
        clauses.append("run_id = ?")
        params.append(run_id)
    outer = ""
    if after is not None:
        outer = "WHERE (requested_at, run_id) < (?, ?)"
    sql = (
        f"SELECT * EXCLUDE (day) FROM (SELECT * FROM read_parquet(?, {READ_OPTIONS}) "
        f"WHERE {' AND '.join(clauses)} {_LATEST}) {outer} ORDER BY requested_at DESC, run_id DESC LIMIT ?"
    )
    args = [plan.files, *params, *(list(after) if after else []), limit]
    rows = engine.query(sql, args)
    return [{k: v for k, v in row.items() if k not in ("filename", "file_row_number")} for row in rows]


def series(
    engine: QueryEngine,
    org_id: str | None,
    *,
    case_id: str,
    factory_id: str,
    equipment_id: str,
    output: str | None,
    start: datetime | None,
    end: datetime | None,
) -> list[dict[str, Any]]:
    """The predictions of one case on one equipment (every model the case carried), in window order."""
    plan = engine.plan(predictions_table(engine.lake), _org(org_id))
    if not plan.files:
        return []
    clauses = ["case_id = ?", "factory_id = ?", "equipment_id = ?"]
    params: list[Any] = [case_id, factory_id, equipment_id]
    for clause, value in (("org_id = ?", org_id), ("output = ?", output), ("window_start >= ?", start)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if end is not None:
        clauses.append("window_start < ?")
        params.append(end)
    sql = (
        "SELECT window_start, window_end, output, value, label, model_sha256 "
        f"FROM read_parquet(?, {READ_OPTIONS}) WHERE {' AND '.join(clauses)} "
        "ORDER BY window_start, output LIMIT ?"
    )
    return engine.query(sql, [plan.files, *params, MAX_POINTS])
