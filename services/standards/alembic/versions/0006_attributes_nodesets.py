"""static facts about the machine (nameplate) stored with each version, apart from its data items; the OPC UA
NodeSets an organisation imported, to resolve the models later NodeSets require

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
    op.create_table(
        "std_nodesets",
        sa.Column("owner_org_id", sa.String(length=64), nullable=False),
        sa.Column("model_uri", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("published", sa.String(length=40), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner_org_id", "model_uri"),
    )


def downgrade() -> None:
    op.drop_table("std_nodesets")
    with op.batch_alter_table("std_versions", schema=None) as batch_op:
        batch_op.drop_column("attributes")
