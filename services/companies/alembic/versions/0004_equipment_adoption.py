"""factories' equipment as rows, to count the adoption of each data-standard version

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 16:10:00

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "co_factory_equipment",
        sa.Column("factory_id", sa.String(length=64), nullable=False),
        sa.Column("equipment_id", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["factory_id"], ["co_factories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("factory_id", "equipment_id"),
    )
    op.create_index("ix_co_factory_equipment_model", "co_factory_equipment", ["model_id", "model_version"])
    factories = op.get_bind().execute(sa.text("SELECT id, equipment FROM co_factories")).all()
    rows = []
    for factory_id, equipment in factories:
        listed = json.loads(equipment) if isinstance(equipment, str) else equipment or []
        rows += [
            {
                "factory_id": factory_id,
                "equipment_id": e["equipment_id"],
                "model_id": e["model_id"],
                "model_version": e["model_version"],
            }
            for e in listed
        ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_co_factory_equipment_model", table_name="co_factory_equipment")
    op.drop_table("co_factory_equipment")
