"""ideal cycle time of a model version (KPI roles of items live in the items JSON)

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


def upgrade() -> None:
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ideal_cycle_time_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.drop_column("ideal_cycle_time_s")
