"""taxonomy of models (sub-fields, KSIC industries) and the search terms table

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.standards import index

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("std_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subfields", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("industries", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.alter_column("search_text", existing_type=sa.String(length=1000), type_=sa.Text())
    if op.get_bind().dialect.name == "postgresql":
        # Name search scans search_text (a few KB per model: its items' names) with LIKE '%q%'; kept
        # uncompressed, a scan of 500 models costs a third of what decompressing them would.
        op.execute("ALTER TABLE std_models ALTER COLUMN search_text SET STORAGE EXTERNAL")
    op.create_table(
        "std_model_terms",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["std_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "kind", "term"),
    )
    op.create_index("ix_std_model_terms_kind_term", "std_model_terms", ["kind", "term"])
    _index_existing_models()


def _index_existing_models() -> None:
    """Models stored before this revision get their item names searchable and their terms."""
    models = sa.table(
        "std_models",
        sa.column("id", sa.String),
        sa.column("equipment_type", sa.String),
        sa.column("name", sa.JSON),
        sa.column("description", sa.JSON),
        sa.column("search_text", sa.Text),
    )
    versions = sa.table(
        "std_versions",
        sa.column("model_id", sa.String),
        sa.column("major", sa.Integer),
        sa.column("minor", sa.Integer),
        sa.column("patch", sa.Integer),
        sa.column("items", sa.JSON),
    )
    terms = sa.table(
        "std_model_terms",
        sa.column("model_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("term", sa.String),
    )
    bind = op.get_bind()
    for model in bind.execute(sa.select(models)).mappings().all():
        items = [
            row[0]
            for row in bind.execute(
                sa.select(versions.c["items"])
                .where(versions.c.model_id == model["id"])
                .order_by(versions.c.major, versions.c.minor, versions.c.patch)
            )
        ]
        text = index.search_text(
            model["id"],
            model["equipment_type"],
            model["name"],
            model["description"],
            items[-1] if items else [],
        )
        bind.execute(sa.update(models).where(models.c.id == model["id"]).values(search_text=text))
        found = index.terms([], [], items)
        if found:
            bind.execute(
                sa.insert(terms), [{"model_id": model["id"], "kind": k, "term": t} for k, t in sorted(found)]
            )


def downgrade() -> None:
    op.drop_index("ix_std_model_terms_kind_term", table_name="std_model_terms")
    op.drop_table("std_model_terms")
    with op.batch_alter_table("std_models", schema=None) as batch_op:
        batch_op.alter_column("search_text", existing_type=sa.Text(), type_=sa.String(length=1000))
        batch_op.drop_column("industries")
        batch_op.drop_column("subfields")
