"""the facet counts and the effect order at national scale

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 16:30:00

``/deployments/facets`` counts the published records per region, industry, year and level transition, and
joins the published ids to the solutions, suppliers and KPIs. One index holding every column those counts
read lets PostgreSQL answer each from the index alone (75,000 published records of 100,000: 262 ms from
the table against 46 ms from the index on a busy two-core machine); the KPI sources get theirs for the
evidence facet.

The list's ``sort=effect`` orders by the mean KPI improvement of a record: worked out per record at read
time, it averaged every KPI of every published record for each page (1.2-1.9 s). The service now stores
it with every change (``service.finish_change``), filled here for the records there are, and an index in
that order (largest first, records without KPIs last) gives a page at once (PostgreSQL: SQLite has no
NULLS LAST in an index and sorts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_dep_records_facets",
        "dep_records",
        ["status", "region_code", "industry_code", "year", "level_before", "level_after", "id"],
    )
    op.create_index("ix_dep_kpis_source", "dep_kpis", ["source", "record_id"])
    op.add_column("dep_records", sa.Column("mean_kpi_improvement_pct", sa.Float(), nullable=True))
    op.execute(
        "UPDATE dep_records SET mean_kpi_improvement_pct = "
        "(SELECT avg(improvement_pct) FROM dep_kpis WHERE dep_kpis.record_id = dep_records.id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_dep_records_effect_order",
            "dep_records",
            ["status", sa.text("mean_kpi_improvement_pct DESC NULLS LAST"), "id"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_dep_records_effect_order", table_name="dep_records")
    op.drop_column("dep_records", "mean_kpi_improvement_pct")
    op.drop_index("ix_dep_kpis_source", table_name="dep_kpis")
    op.drop_index("ix_dep_records_facets", table_name="dep_records")
