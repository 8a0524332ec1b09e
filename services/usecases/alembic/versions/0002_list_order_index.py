"""index of the public list's keyset order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:15:00

The list pages published cases by (created_at, id): without an index in that order each page sorted every
published case (10,000 at national scale).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_uc_cases_public_order", "uc_cases", ["status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_uc_cases_public_order", table_name="uc_cases")
