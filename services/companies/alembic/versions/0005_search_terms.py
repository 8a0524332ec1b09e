"""search_text as search terms (stems, synonyms, Korean bigrams) of a company's names, region, industry
and fields of expertise

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:00:00

``q`` looked for its text as typed inside the lower-cased id, names and representative: "용접을" missed
"용접" and the region, industry and expertise were not there. ``search_text`` now holds the terms of
services.companies.search, which the query is analysed into as well; the stored companies' are rewritten.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.companies.search import search_text

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_companies = sa.table(
    "co_companies",
    sa.column("id", sa.String),
    sa.column("name", sa.JSON),
    sa.column("representative", sa.String),
    sa.column("region_code", sa.String),
    sa.column("industry_code", sa.String),
    sa.column("expertise", sa.JSON),
    sa.column("search_text", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(_companies)).all():
        text = search_text(
            company_id=row.id,
            name=row.name,
            representative=row.representative,
            region_code=row.region_code,
            industry_code=row.industry_code,
            expertise=row.expertise,
        )
        bind.execute(sa.update(_companies).where(_companies.c.id == row.id).values(search_text=text))


def downgrade() -> None:
    # The text as typed, lower-cased, as revision 0004 searched it.
    bind = op.get_bind()
    for row in bind.execute(sa.select(_companies)).all():
        parts = (row.id, row.name.get("ko"), row.name.get("en"), row.representative)
        text = " ".join(filter(None, parts)).lower()[:1000]
        bind.execute(sa.update(_companies).where(_companies.c.id == row.id).values(search_text=text))
