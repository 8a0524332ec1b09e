"""designations recorded from before the platform: the decision document they cite

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("co_designations") as batch_op:
        batch_op.add_column(sa.Column("document_ref", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("co_designations") as batch_op:
        batch_op.drop_column("document_ref")
