"""the nesting of the AAS submodel a version was imported from, so its AAS export gives it back

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aas_structure", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.drop_column("aas_structure")
