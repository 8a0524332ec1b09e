"""On PostgreSQL the public list's search is planned with its values on every execution (services.kit.db);
a word that more than ``repository.FEW`` records hold is found by walking the list's order index
(migration 0006; within a region, 0007) without reading the table, and a word of fewer holders is read by
their ids (``repository.found``).

A published welding record of 경남 is joined by 4,000 published copies (half in 서울 holding "weld", half
in 경남 without it), so that the planner has the statistics of a table of some size. (The index of the
published records' trigrams with region and industry is chosen at national scale, where a word's and a
region's shares are hundredths: docs/benchmarks.md; on a few thousand rows the planner prefers the
region's btree, so it is not asserted here.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, Select
from sqlalchemy.orm import Session

from services.deployments import repository
from services.deployments.models import DeploymentRecord
from services.kit.app_state import state_of
from services.kit.db import DATABASE, utcnow
from tests.services.deployments.conftest import World


def _engine(world: World) -> Engine:
    engine = state_of(world.client.app).get(DATABASE).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the search indexes are PostgreSQL's; SQLite scans")
    return engine


def _page(engine: Engine, filters: repository.Filters) -> Select[Any]:
    """The statement of a first page of ``GET /deployments`` with ``filters``, as the endpoint runs it
    (after counting the search's holders)."""
    with Session(engine) as session:
        stmt = repository.page_columns(repository.found(session, filters), utcnow())
    return stmt.order_by(DeploymentRecord.created_at, DeploymentRecord.id).limit(51)


COPIES = 4000


def _copies(world: World) -> Engine:
    """A welding record of 경남 (48) published in the world, and ``COPIES`` published copies of it: every
    other one in 서울 (11) holding "weld", the others in 경남 without it; the app's engine."""
    engine = _engine(world)
    world.published(title_ko="창원 용접 라인")
    table = DeploymentRecord.__table__
    made = {
        "id": "md5(g::text)",
        "status": "'published'",
        "region_code": "CASE WHEN mod(g, 2) = 0 THEN '11' ELSE '48' END",
        "search_text": "CASE WHEN mod(g, 2) = 0 THEN ' weld steel ' ELSE ' steel ' END || g",
        "created_at": "created_at - make_interval(secs => g)",
    }
    names = [c.name for c in table.columns]
    values = [made.get(n, n) for n in names]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            f"INSERT INTO dep_records ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM dep_records, generate_series(1, {COPIES}) AS g "
            "WHERE id = (SELECT min(id) FROM dep_records)"
        )
        conn.exec_driver_sql("VACUUM ANALYZE dep_records")
    return engine


def _plan(engine: Engine, stmt: Select[Any]) -> str:
    """The plan of ``stmt`` with its values."""
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        return "\n".join(row[0] for row in rows)


def test_each_execution_is_planned_with_its_values(world: World) -> None:
    with _engine(world).connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_a_common_word_walks_the_public_order_without_reading_the_table(world: World) -> None:
    engine = _copies(world)
    plan = _plan(engine, _page(engine, repository.Filters(q="welding")))
    assert "Index Only Scan using ix_dep_records_public_order" in plan
    # within a region that holds it 2,000 times: that region's order alone
    plan = _plan(engine, _page(engine, repository.Filters(q="welding", region="11")))
    assert "Index Only Scan using ix_dep_records_region_order" in plan


def test_a_word_with_few_holders_is_cut_from_them_by_id(world: World) -> None:
    engine = _copies(world)
    # 경남 holds one record of "창원" among 2,000 copies: its page is read by id, no order is walked
    plan = _plan(engine, _page(engine, repository.Filters(q="창원 welding", region="48")))
    assert "dep_records_pkey" in plan and "order" not in plan, plan
