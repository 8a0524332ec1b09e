"""records you can trust: lifecycle, revisions, programmes, processes, documents, after-care, KPI evidence

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 13:00:00

Records stored before this revision were never confirmed nor verified: they become drafts (not public) of
the simplified process, with no programme, until their parties take them through the lifecycle.
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
    with op.batch_alter_table("dep_records") as batch_op:
        batch_op.add_column(sa.Column("factory_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("programme_code", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("process", sa.String(length=12), nullable=False, server_default="simplified")
        )
        batch_op.add_column(
            sa.Column("supplier_designated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("company_share_krw", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("contract", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=12), nullable=False, server_default="draft"))
        batch_op.add_column(
            sa.Column("drafted_by", sa.String(length=8), nullable=False, server_default="sme")
        )
        batch_op.add_column(
            sa.Column("factory_checked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("return_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("published_at", TS, nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_index("ix_dep_records_factory_id", ["factory_id"], unique=False)
        batch_op.create_index("ix_dep_records_status", ["status"], unique=False)
    with op.batch_alter_table("dep_kpis") as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("verified_by", sa.String(length=255), nullable=True))
    # A 'telemetry' KPI without stored evidence was only a label: it is self-reported.
    op.execute("UPDATE dep_kpis SET source = 'self_reported' WHERE source = 'telemetry'")

    def record_fk() -> sa.ForeignKey:
        return sa.ForeignKey("dep_records.id", ondelete="CASCADE")

    op.create_table(
        "dep_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(length=32), record_fk(), nullable=False, index=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("actor_subject", sa.String(length=255), nullable=False),
        sa.Column("actor_org_id", sa.String(length=64), nullable=True),
        sa.Column("actor_username", sa.String(length=255), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
    )
    op.create_table(
        "dep_documents",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("record_id", sa.String(length=32), record_fk(), nullable=False, index=True),
        sa.Column("stage_code", sa.String(length=16), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploader_org_id", sa.String(length=64), nullable=True),
        sa.Column("uploaded_at", TS, nullable=False),
    )
    op.create_table(
        "dep_tickets",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("record_id", sa.String(length=32), record_fk(), nullable=False, index=True),
        sa.Column("supplier_company_id", sa.String(length=64), nullable=False, index=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("opened_by", sa.String(length=255), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=255), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("dep_tickets")
    op.drop_table("dep_documents")
    op.drop_table("dep_history")
    with op.batch_alter_table("dep_kpis") as batch_op:
        batch_op.drop_column("verified_by")
        batch_op.drop_column("evidence")
    with op.batch_alter_table("dep_records") as batch_op:
        batch_op.drop_index("ix_dep_records_status")
        batch_op.drop_index("ix_dep_records_factory_id")
        for column in (
            "version",
            "published_at",
            "revision",
            "return_comment",
            "factory_checked",
            "drafted_by",
            "status",
            "contract",
            "company_share_krw",
            "supplier_designated",
            "process",
            "programme_code",
            "factory_id",
        ):
            batch_op.drop_column(column)
