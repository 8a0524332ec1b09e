"""indexes of the lists at national scale: keyset orders and substring search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:10:00

The public list pages published records by (created_at, id) and the workspace by (updated_at, id): without
an index in that order each page sorted every matching row (100,000 records: 180 ms a page). ``q`` is a
substring of the search text: on PostgreSQL a trigram index (pg_trgm) finds rare words of three characters
or more without reading the table; SQLite, one file of the embedded platform, keeps scanning.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_dep_records_public_order", "dep_records", ["status", "created_at", "id"])
    op.create_index("ix_dep_records_workspace_order", "dep_records", ["updated_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_dep_records_search_trgm",
            "dep_records",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_dep_records_search_trgm", table_name="dep_records")
    op.drop_index("ix_dep_records_workspace_order", table_name="dep_records")
    op.drop_index("ix_dep_records_public_order", table_name="dep_records")
