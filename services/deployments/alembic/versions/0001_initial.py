"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:08:59.449704

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "dep_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_org_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.String(length=2000), nullable=False),
        sa.Column("sme_company_id", sa.String(length=64), nullable=False),
        sa.Column("sme_name", sa.String(length=200), nullable=False),
        sa.Column("factory_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("industry_code", sa.String(length=3), nullable=False),
        sa.Column("level_before", sa.String(length=8), nullable=False),
        sa.Column("level_after", sa.String(length=8), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("after_service_months", sa.Integer(), nullable=False),
        sa.Column("support_amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dep_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dep_records_industry_code"), ["industry_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_dep_records_level_after"), ["level_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_dep_records_owner_org_id"), ["owner_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dep_records_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_dep_records_sme_company_id"), ["sme_company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dep_records_year"), ["year"], unique=False)

    op.create_table(
        "dep_kpis",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("after", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("telemetry_ref", sa.String(length=200), nullable=True),
        sa.Column("improvement_pct", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["dep_records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id", "kind"),
    )
    op.create_table(
        "dep_solutions",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subfield_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("supplier_company_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["dep_records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id", "position"),
    )
    with op.batch_alter_table("dep_solutions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dep_solutions_subfield_code"), ["subfield_code"], unique=False)

    op.create_table(
        "dep_suppliers",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["dep_records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id", "company_id"),
    )
    with op.batch_alter_table("dep_suppliers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dep_suppliers_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("dep_suppliers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dep_suppliers_company_id"))

    op.drop_table("dep_suppliers")
    with op.batch_alter_table("dep_solutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dep_solutions_subfield_code"))

    op.drop_table("dep_solutions")
    op.drop_table("dep_kpis")
    with op.batch_alter_table("dep_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dep_records_year"))
        batch_op.drop_index(batch_op.f("ix_dep_records_sme_company_id"))
        batch_op.drop_index(batch_op.f("ix_dep_records_region_code"))
        batch_op.drop_index(batch_op.f("ix_dep_records_owner_org_id"))
        batch_op.drop_index(batch_op.f("ix_dep_records_level_after"))
        batch_op.drop_index(batch_op.f("ix_dep_records_industry_code"))

    op.drop_table("dep_records")
