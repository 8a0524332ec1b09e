"""the search terms with English stems and synonyms, re-indexed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00

Terms are now stemmed ("welding" → "weld") and a synonym is stored as its group's head ("용접" → "weld"),
by services.kit.search_terms for the index and the query alike: every stored case's postings are written
again from its own rows (services.usecases.search_index), or a query for "welding" would miss them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.usecases.search_index import weights

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_cases = sa.table(
    "uc_cases",
    sa.column("id", sa.String),
    sa.column("title", sa.JSON),
    sa.column("summary", sa.JSON),
    sa.column("problem_type", sa.String),
    sa.column("technique", sa.String),
    sa.column("data_used", sa.JSON),
    sa.column("region_code", sa.String),
    sa.column("industry_code", sa.String),
)
_effects = sa.table(
    "uc_effects",
    sa.column("case_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("metric", sa.JSON),
)
_models = sa.table(
    "uc_model_refs",
    sa.column("case_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("model_id", sa.String),
)
_terms = sa.table(
    "uc_search_terms",
    sa.column("term", sa.String),
    sa.column("case_id", sa.String),
    sa.column("weight", sa.Float),
)


def upgrade() -> None:
    bind = op.get_bind()
    metrics: dict[str, list[dict[str, str | None]]] = {}
    for row in bind.execute(sa.select(_effects).order_by(_effects.c.case_id, _effects.c.position)):
        metrics.setdefault(row.case_id, []).append(row.metric)
    models: dict[str, list[str]] = {}
    for row in bind.execute(sa.select(_models).order_by(_models.c.case_id, _models.c.position)):
        models.setdefault(row.case_id, []).append(row.model_id)
    bind.execute(sa.delete(_terms))
    for case in bind.execute(sa.select(_cases)).all():
        found = weights(
            title=case.title,
            summary=case.summary,
            problem_type=case.problem_type,
            technique=case.technique,
            data_used=case.data_used,
            metrics=metrics.get(case.id, []),
            model_ids=models.get(case.id, []),
            region_code=case.region_code,
            industry_code=case.industry_code,
        )
        if found:
            bind.execute(
                sa.insert(_terms), [{"term": t, "case_id": case.id, "weight": w} for t, w in found.items()]
            )


def downgrade() -> None:
    # The terms of revision 0003 (no stems, no synonyms) are not kept: the postings stay as they are, found
    # by stemmed queries only.
    pass
