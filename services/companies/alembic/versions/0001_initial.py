"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:12:14.069575

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
        "co_companies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.String(length=1000), nullable=False),
        sa.Column("business_registration_number", sa.String(length=10), nullable=False),
        sa.Column("representative", sa.String(length=100), nullable=True),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("industry_code", sa.String(length=3), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("founded_year", sa.Integer(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("growth_stage", sa.String(length=8), nullable=False),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("expertise_codes", sa.String(length=400), nullable=False),
        sa.Column("capability_level", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("business_registration_number"),
    )
    with op.batch_alter_table("co_companies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_co_companies_growth_stage"), ["growth_stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_co_companies_industry_code"), ["industry_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_co_companies_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_co_companies_region_code"), ["region_code"], unique=False)

    op.create_table(
        "co_designations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total_score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["co_companies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("co_designations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_co_designations_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_co_designations_status"), ["status"], unique=False)

    op.create_table(
        "co_factories",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("industry_code", sa.String(length=3), nullable=False),
        sa.Column("equipment", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["co_companies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("co_factories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_co_factories_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("co_factories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_co_factories_company_id"))

    op.drop_table("co_factories")
    with op.batch_alter_table("co_designations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_co_designations_status"))
        batch_op.drop_index(batch_op.f("ix_co_designations_company_id"))

    op.drop_table("co_designations")
    with op.batch_alter_table("co_companies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_co_companies_region_code"))
        batch_op.drop_index(batch_op.f("ix_co_companies_kind"))
        batch_op.drop_index(batch_op.f("ix_co_companies_industry_code"))
        batch_op.drop_index(batch_op.f("ix_co_companies_growth_stage"))

    op.drop_table("co_companies")
