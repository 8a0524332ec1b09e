"""facet tallies of the published records, the list orders within a region and within a region × industry

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:30:00

``/deployments/facets`` counted the published records on each call (eight ``GROUP BY`` queries over the
filtered records, 270 ms at national scale for one region and industry, and the memo's generation read of
the whole table): ``dep_facet_tallies`` keeps those counts per region × industry and facet value, and
``dep_facet_tallied`` what each record was counted as (services.deployments.tallies keeps both with every
write; here they are counted from the records stored).

A word held by more than a few hundred published records of a region is found by walking the list's order
(services.deployments.repository.found): ``(status, region_code, created_at, id)`` with what the walk tests
walks that region's records alone (on PostgreSQL without reading the table; SQLite has no INCLUDE). The
walk tests ``search_text || ''``, which no trigram index answers; PostgreSQL keeps statistics of that
expression, so it estimates a word's holders there as it does in the column, not by a default guess.

A region × industry list (the portal's browse, 17 × 12 of them) walked the national order to keep the
pair's records: all 75,000 entries for a pair that holds none (0.9 s on the loaded machine in the ``effect``
order, whose index holds no region). Both orders now have an index within the pair (the ``effect`` one,
``DESC NULLS LAST``, on PostgreSQL as in 0004); a page reads its rows and no others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.deployments.tallies import rebuild

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EFFECT = "mean_kpi_improvement_pct DESC NULLS LAST"  # the list's effect order, as migration 0004 indexed it


def upgrade() -> None:
    op.create_table(
        "dep_facet_tallies",
        sa.Column("region_code", sa.String(2), primary_key=True),
        sa.Column("industry_code", sa.String(3), primary_key=True),
        sa.Column("facet", sa.String(12), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "dep_facet_tallied",
        sa.Column(
            "record_id",
            sa.String(32),
            sa.ForeignKey("dep_records.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("industry_code", sa.String(3), nullable=False),
        sa.Column("keys", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_dep_records_region_order",
        "dep_records",
        ["status", "region_code", "created_at", "id"],
        postgresql_include=["industry_code", "version", "search_text"],
    )
    op.create_index(
        "ix_dep_records_cell_order",
        "dep_records",
        ["status", "region_code", "industry_code", "created_at", "id"],
        postgresql_include=["version"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_dep_records_cell_effect",
            "dep_records",
            ["status", "region_code", "industry_code", sa.text(_EFFECT), "id"],
            postgresql_include=["version", "created_at"],
        )
        # the walk's test (repository.WALKED) estimated from the values, as search_text's own
        op.execute("CREATE STATISTICS dep_records_walked ON (search_text || '') FROM dep_records")
        op.execute("ANALYZE dep_records")
    rebuild(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS dep_records_walked")
        op.drop_index("ix_dep_records_cell_effect", table_name="dep_records")
    op.drop_index("ix_dep_records_cell_order", table_name="dep_records")
    op.drop_index("ix_dep_records_region_order", table_name="dep_records")
    op.drop_table("dep_facet_tallied")
    op.drop_table("dep_facet_tallies")
