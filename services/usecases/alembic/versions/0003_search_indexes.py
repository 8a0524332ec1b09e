"""a term's postings with their weights in one index; the cases by their latest change

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:10:00

The search sums the weights of a term's postings: through the primary key it fetched every posting's row
from the table (2,500 rows scattered over 2,500 pages for a common term at national scale); with the weight
in the index PostgreSQL reads them from the index alone; so are the published cases' ids (the visibility
join) with their ``updated_at`` (by which a hit's case is rendered). A search's answer is kept until a case
changes: the latest ``updated_at`` is asked on every search.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_uc_search_terms_postings",
        "uc_search_terms",
        ["term", "case_id"],
        postgresql_include=["weight"],
    )
    op.create_index("ix_uc_cases_updated_at", "uc_cases", ["updated_at"])
    op.create_index("ix_uc_cases_visible", "uc_cases", ["status", "id"], postgresql_include=["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_uc_cases_visible", table_name="uc_cases")
    op.drop_index("ix_uc_cases_updated_at", table_name="uc_cases")
    op.drop_index("ix_uc_search_terms_postings", table_name="uc_search_terms")
