"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:22:28.345275

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
        "ing_batches",
        sa.Column("factory_id", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.String(length=128), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=8), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("factory_id", "batch_id"),
    )
    with op.batch_alter_table("ing_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ing_batches_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("ing_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ing_batches_org_id"))

    op.drop_table("ing_batches")
