"""the public list's search within its filters, and facets of children from their indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 18:20:00

Measured with requests that differ (bench/api_bench.py, distinct mode: words × region at national scale),
``q`` met three costs on PostgreSQL that a repeated URL never showed:

- A word with a region the word is not found in ("테크" in 경남) read every record holding the word from
  the table (thousands of rows, 10-55 ms) to drop them by region: one GIN index of the published records
  over the search text's trigrams *and* region and industry (btree_gin) answers the pair from the index
  alone (under 2 ms).
- A common word without a region walks the published records in list order and stops at the page's
  last match: the order index now carries the columns that walk tests (search text, region, industry,
  version), so it never touches the table.
- The statistics of ``search_text`` sample 1,000 values instead of 100, so the planner tells a word held
  by thousands of records (walk the order) from a rare one (ask the trigram index).

The facets over sub-fields and KPI sources join each published record to its children: an index of each
child table by record holding the counted column makes both joins index-only (they read the tables). SQLite
(the embedded platform) has no INCLUDE, partial GIN or statistics target: it keeps the order index as it
was and gains the two child indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The order of the public list (created_at, id) with what a search walking it reads of each record.
_WALKED = ["region_code", "industry_code", "version", "search_text"]


def upgrade() -> None:
    op.create_index("ix_dep_solutions_record_subfield", "dep_solutions", ["record_id", "subfield_code"])
    op.create_index("ix_dep_kpis_record_source", "dep_kpis", ["record_id", "source"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.create_index(
        "ix_dep_records_published_search",
        "dep_records",
        ["search_text", "region_code", "industry_code"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
        postgresql_where="status = 'published'",
    )
    op.drop_index("ix_dep_records_public_order", table_name="dep_records")
    op.create_index(
        "ix_dep_records_public_order",
        "dep_records",
        ["status", "created_at", "id"],
        postgresql_include=_WALKED,
    )
    op.execute("ALTER TABLE dep_records ALTER COLUMN search_text SET STATISTICS 1000")
    op.execute("ANALYZE dep_records")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE dep_records ALTER COLUMN search_text SET STATISTICS -1")
        op.drop_index("ix_dep_records_public_order", table_name="dep_records")
        op.create_index("ix_dep_records_public_order", "dep_records", ["status", "created_at", "id"])
        op.drop_index("ix_dep_records_published_search", table_name="dep_records")
    op.drop_index("ix_dep_kpis_record_source", table_name="dep_kpis")
    op.drop_index("ix_dep_solutions_record_subfield", table_name="dep_solutions")
