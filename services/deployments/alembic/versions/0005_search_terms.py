"""search_text as search terms (stems, synonyms, Korean bigrams) of every part of a record

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:00:00

``q`` looked for its text as typed inside the lower-cased title and SME name: "welding" missed "weld", a
particle ("용접을") missed "용접", KPIs, solutions and suppliers were not there. ``search_text`` now holds
the terms of services.deployments.search, which the query is analysed into as well; the stored records'
are rewritten here from their own columns. The supplier names live in the companies service, which a
migration does not call: a record stored before gains them with its next change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.deployments.search import search_text

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_records = sa.table(
    "dep_records",
    sa.column("id", sa.String),
    sa.column("title", sa.JSON),
    sa.column("sme_name", sa.String),
    sa.column("factory_name", sa.String),
    sa.column("region_code", sa.String),
    sa.column("industry_code", sa.String),
    sa.column("search_text", sa.String),
)
_solutions = sa.table(
    "dep_solutions",
    sa.column("record_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("subfield_code", sa.String),
    sa.column("name", sa.JSON),
)
_kpis = sa.table("dep_kpis", sa.column("record_id", sa.String), sa.column("kind", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    solutions: dict[str, list[tuple[str, dict[str, str | None]]]] = {}
    for row in bind.execute(sa.select(_solutions).order_by(_solutions.c.record_id, _solutions.c.position)):
        solutions.setdefault(row.record_id, []).append((row.subfield_code, row.name))
    kinds: dict[str, list[str]] = {}
    for row in bind.execute(sa.select(_kpis.c.record_id, _kpis.c.kind)):
        kinds.setdefault(row.record_id, []).append(row.kind)
    for row in bind.execute(sa.select(_records)).all():
        text = search_text(
            title=row.title,
            sme_name=row.sme_name,
            factory_name=row.factory_name,
            region_code=row.region_code,
            industry_code=row.industry_code,
            solutions=solutions.get(row.id, []),
            kpi_kinds=kinds.get(row.id, []),
            party_names=[],
        )
        bind.execute(sa.update(_records).where(_records.c.id == row.id).values(search_text=text))


def downgrade() -> None:
    # The text as typed, lower-cased, as revision 0004 searched it.
    bind = op.get_bind()
    for row in bind.execute(sa.select(_records.c.id, _records.c.title, _records.c.sme_name)).all():
        text = " ".join(filter(None, (row.title.get("ko"), row.title.get("en"), row.sme_name))).lower()
        bind.execute(sa.update(_records).where(_records.c.id == row.id).values(search_text=text[:2000]))
