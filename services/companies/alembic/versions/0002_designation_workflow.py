"""designation workflow, capability diagnosis, centres, growth, surveys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("co_companies") as batch_op:
        batch_op.add_column(sa.Column("revenue_krw", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("export_krw", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("co_designations") as batch_op:
        batch_op.add_column(sa.Column("model_version", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("declared", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("platform", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("platform_read_at", TS, nullable=True))
        batch_op.add_column(sa.Column("renewal_of", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("valid_from", TS, nullable=True))
        batch_op.add_column(sa.Column("ended_at", TS, nullable=True))
        batch_op.add_column(sa.Column("due_at", TS, nullable=True))
        batch_op.add_column(sa.Column("appeal_note", sa.Text(), nullable=True))
        batch_op.create_index("ix_co_designations_due_at", ["due_at"], unique=False)
    # Designations decided before this revision were in force from their decision.
    op.execute("UPDATE co_designations SET valid_from = decided_at WHERE status = 'designated'")

    op.create_table(
        "co_designation_events",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "designation_id",
            sa.String(length=32),
            sa.ForeignKey("co_designations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_table(
        "co_evaluators",
        sa.Column("id", sa.String(length=100), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=True),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "co_conflicts",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "evaluator_id",
            sa.String(length=100),
            sa.ForeignKey("co_evaluators.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("company_id", sa.String(length=64), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "co_assignments",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "designation_id",
            sa.String(length=32),
            sa.ForeignKey("co_designations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "evaluator_id",
            sa.String(length=100),
            sa.ForeignKey("co_evaluators.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("judgements", sa.JSON(), nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
    )
    op.create_table(
        "co_overseas",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "company_id",
            sa.String(length=64),
            sa.ForeignKey("co_companies.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("contract_krw", sa.BigInteger(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "co_regional_centres",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("industries", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "co_support_centres",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("function", sa.String(length=16), nullable=False, index=True),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "co_programmes",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "centre_id",
            sa.String(length=64),
            sa.ForeignKey("co_support_centres.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("budget_krw", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "co_programme_applications",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "programme_id",
            sa.String(length=64),
            sa.ForeignKey("co_programmes.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "company_id",
            sa.String(length=64),
            sa.ForeignKey("co_companies.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("support_krw", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_table(
        "co_tech_level_surveys",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "co_tech_level_surveys",
        "co_programme_applications",
        "co_programmes",
        "co_support_centres",
        "co_regional_centres",
        "co_overseas",
        "co_assignments",
        "co_conflicts",
        "co_evaluators",
        "co_designation_events",
    ):
        op.drop_table(table)
    with op.batch_alter_table("co_designations") as batch_op:
        batch_op.drop_index("ix_co_designations_due_at")
        for column in (
            "appeal_note",
            "due_at",
            "ended_at",
            "valid_from",
            "renewal_of",
            "platform_read_at",
            "platform",
            "evidence",
            "declared",
            "model_version",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("co_companies") as batch_op:
        batch_op.drop_column("export_krw")
        batch_op.drop_column("revenue_krw")
