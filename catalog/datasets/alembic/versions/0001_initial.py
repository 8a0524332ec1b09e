"""datasets, versions, licence acceptances, downloads and claims

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ds_datasets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_org_id", sa.String(length=64), nullable=True),
        sa.Column("region_codes", sa.JSON(), nullable=True),
        sa.Column("publisher_name", sa.String(length=128), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("intended_use", sa.JSON(), nullable=False),
        sa.Column("licence", sa.String(length=32), nullable=False),
        sa.Column("pseudonym_secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ds_datasets_list_order", "ds_datasets", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_ds_datasets_owner_org_id"), "ds_datasets", ["owner_org_id"], unique=False)
    op.create_table(
        "ds_claims",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("owner_org_id", sa.String(length=64), nullable=True),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("claimed", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("measured", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("model_sha256", sa.String(length=64), nullable=True),
        sa.Column("dataset_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["ds_datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ds_claims_board", "ds_claims", ["dataset_id", "version", "metric"], unique=False)
    op.create_index(op.f("ix_ds_claims_case_id"), "ds_claims", ["case_id"], unique=False)
    op.create_table(
        "ds_downloads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["ds_datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ds_downloads_dataset_id"), "ds_downloads", ["dataset_id"], unique=False)
    op.create_table(
        "ds_licence_acceptances",
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("licence", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["ds_datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dataset_id", "subject", "licence"),
    )
    op.create_table(
        "ds_versions",
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_shift_days", sa.Integer(), nullable=False),
        sa.Column("factories", sa.Integer(), nullable=False),
        sa.Column("equipment", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("label_definition", sa.JSON(), nullable=True),
        sa.Column("label_rows", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("sizes", sa.JSON(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["ds_datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dataset_id", "version"),
    )
    op.create_index(op.f("ix_ds_versions_model_id"), "ds_versions", ["model_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ds_versions_model_id"), table_name="ds_versions")
    op.drop_table("ds_versions")
    op.drop_table("ds_licence_acceptances")
    op.drop_index(op.f("ix_ds_downloads_dataset_id"), table_name="ds_downloads")
    op.drop_table("ds_downloads")
    op.drop_index(op.f("ix_ds_claims_case_id"), table_name="ds_claims")
    op.drop_index("ix_ds_claims_board", table_name="ds_claims")
    op.drop_table("ds_claims")
    op.drop_index(op.f("ix_ds_datasets_owner_org_id"), table_name="ds_datasets")
    op.drop_index("ix_ds_datasets_list_order", table_name="ds_datasets")
    op.drop_table("ds_datasets")
