"""identity: organisations, users, gateway clients, dev credentials, consents, audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-26 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "idn_organisations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False, index=True),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "idn_users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("org_id", sa.String(64), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("temporary_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "idn_gateway_clients",
        sa.Column("client_id", sa.String(100), primary_key=True),
        sa.Column("org_id", sa.String(64), nullable=False, index=True),
        sa.Column("factory_id", sa.String(64), nullable=False, index=True),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("secret_rotated_at", TS, nullable=False),
    )
    op.create_table(
        "idn_dev_credentials",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("secret_hash", sa.String(300), nullable=False),
    )
    op.create_table(
        "idn_consents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_org_id", sa.String(64), nullable=False, index=True),
        sa.Column("grantee_org_id", sa.String(64), nullable=False, index=True),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("factory_id", sa.String(64), nullable=True),
        sa.Column("granted_by", sa.String(100), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
    )
    op.create_table(
        "idn_audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("at", TS, nullable=False, index=True),
        sa.Column("actor_subject", sa.String(255), nullable=False, index=True),
        sa.Column("actor_username", sa.String(255), nullable=True),
        sa.Column("actor_org_id", sa.String(64), nullable=True),
        sa.Column("actor_client_id", sa.String(100), nullable=True),
        sa.Column("request", sa.String(600), nullable=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False, index=True),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "idn_audit_log",
        "idn_consents",
        "idn_dev_credentials",
        "idn_gateway_clients",
        "idn_users",
        "idn_organisations",
    ):
        op.drop_table(table)
