"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:10:44.996528

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
        "std_models",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner_org_id", sa.String(length=64), nullable=False),
        sa.Column("equipment_type", sa.String(length=64), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("search_text", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("std_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_std_models_equipment_type"), ["equipment_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_std_models_owner_org_id"), ["owner_org_id"], unique=False)

    op.create_table(
        "std_versions",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("minor", sa.Integer(), nullable=False),
        sa.Column("patch", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("changelog", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["std_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "version"),
    )
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_std_versions_status"), ["status"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_std_versions_status"))

    op.drop_table("std_versions")
    with op.batch_alter_table("std_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_std_models_owner_org_id"))
        batch_op.drop_index(batch_op.f("ix_std_models_equipment_type"))

    op.drop_table("std_models")
