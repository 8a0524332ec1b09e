"""Tables of the identity service (prefix ``idn_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    metadata = MetaData()


class Organisation(Base):
    """A tenant: the ``org_id`` claim of its users and gateway clients."""

    __tablename__ = "idn_organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A person created through the API, in whichever directory the topology uses (Keycloak or embedded)."""

    __tablename__ = "idn_users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the directory's user id
    username: Mapped[str] = mapped_column(String(100), unique=True)
    org_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    temporary_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GatewayClient(Base):
    """An edge gateway's OAuth2 client: it uploads only for ``factory_id`` of ``org_id``."""

    __tablename__ = "idn_gateway_clients"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(64), index=True)
    factory_id: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DevCredential(Base):
    """Embedded topology only: the development issuer's password and client-secret hashes."""

    __tablename__ = "idn_dev_credentials"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "user" | "client"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # username or client_id
    secret_hash: Mapped[str] = mapped_column(String(300))


class Consent(Base):
    """An SME lets a vendor organisation see its data of one scope (optionally one factory) until revoked."""

    __tablename__ = "idn_consents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_org_id: Mapped[str] = mapped_column(String(64), index=True)
    grantee_org_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    factory_id: Mapped[str | None] = mapped_column(String(64))
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class AuditEntry(Base):
    """One write of any service (see services.kit.audit, which inserts these rows)."""

    __tablename__ = "idn_audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_subject: Mapped[str] = mapped_column(String(255), index=True)
    actor_username: Mapped[str | None] = mapped_column(String(255))
    actor_org_id: Mapped[str | None] = mapped_column(String(64))
    actor_client_id: Mapped[str | None] = mapped_column(String(100))
    request: Mapped[str | None] = mapped_column(String(600))
    action: Mapped[str] = mapped_column(String(8))
    resource_type: Mapped[str] = mapped_column(String(64), index=True)
    resource_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
