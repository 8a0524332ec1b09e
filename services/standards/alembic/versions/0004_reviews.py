"""review steps of model versions (proposal, comments, requested changes, approval, deprecation)
and room for the longer review statuses

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "changes_requested" does not fit the 16 characters statuses had
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=16), type_=sa.String(length=24))
    op.create_table(
        "std_reviews",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_org_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["std_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_std_reviews_version", "std_reviews", ["model_id", "version"])


def downgrade() -> None:
    op.drop_index("ix_std_reviews_version", table_name="std_reviews")
    op.drop_table("std_reviews")
    # Before reviews there was no review state: a version in review is a draft again.
    op.execute("UPDATE std_versions SET status = 'draft' WHERE status IN ('proposed', 'changes_requested')")
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=24), type_=sa.String(length=16))
