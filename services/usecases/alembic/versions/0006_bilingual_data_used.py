"""a case's data used named in Korean and English

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:30:00

Each entry of ``uc_cases.data_used`` becomes ``{"ko": …, "en": …}`` like titles: a stored plain string
was written in Korean (the demo and the portal's form wrote Korean), so it becomes the Korean name with no
English (readers of English see the Korean, as for any untranslated text). The search terms are unchanged:
the same words are indexed. Downgrading keeps each entry's Korean name.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_cases = sa.table("uc_cases", sa.column("id", sa.String), sa.column("data_used", sa.JSON))


def _convert(to_entry: Callable[[Any], Any]) -> None:
    bind = op.get_bind()
    for case in bind.execute(sa.select(_cases)).all():
        converted = [to_entry(entry) for entry in case.data_used or []]
        if converted != case.data_used:
            bind.execute(sa.update(_cases).where(_cases.c.id == case.id).values(data_used=converted))


def upgrade() -> None:
    _convert(lambda entry: {"ko": entry, "en": None} if isinstance(entry, str) else entry)


def downgrade() -> None:
    _convert(lambda entry: (entry.get("ko") or entry.get("en") or "") if isinstance(entry, dict) else entry)
