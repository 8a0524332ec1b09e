"""Tables of the datasets service (prefix ``ds_``): datasets' metadata; their rows are in the object store.

A version row is written once, in the request that stored the version's files (``catalog.datasets.snapshot``),
and never updated. Licence acceptances and downloads are rows of their own, so the audit trail
(``services.kit.audit``) records each one with who and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    metadata = MetaData()


class Dataset(Base):
    __tablename__ = "ds_datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # the publisher: an organisation (its own factories) or a regional AI centre (those of its regions)
    owner_org_id: Mapped[str | None] = mapped_column(String(64), index=True)
    region_codes: Mapped[list[str] | None] = mapped_column(JSON)
    publisher_name: Mapped[str] = mapped_column(String(128))
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    intended_use: Mapped[dict[str, Any]] = mapped_column(JSON)
    licence: Mapped[str] = mapped_column(String(32))
    # HMAC key of the pseudonyms (catalog.datasets.deidentify); the audit trail redacts *_secret columns
    pseudonym_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_ds_datasets_list_order", "created_at", "id"),)

    versions: Mapped[list[DatasetVersion]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DatasetVersion.version"
    )


class DatasetVersion(Base):
    __tablename__ = "ds_versions"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("ds_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(32))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # id, name {ko, en}, unit from the standard
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)  # as published (shifted)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    time_shift_days: Mapped[int] = mapped_column(Integer, default=0)
    factories: Mapped[int] = mapped_column(Integer)
    equipment: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    label_definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    label_rows: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    sizes: Mapped[dict[str, int]] = mapped_column(JSON)
    # what was read from the lake (real factory ids): shown to the publisher only
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LicenceAcceptance(Base):
    __tablename__ = "ds_licence_acceptances"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("ds_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    licence: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str | None] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Download(Base):
    __tablename__ = "ds_downloads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("ds_datasets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    org_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Claim(Base):
    """A case's stated metric on a dataset version, and the platform's own measurement of it."""

    __tablename__ = "ds_claims"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("ds_datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(32), index=True)
    owner_org_id: Mapped[str | None] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(16))
    claimed: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | measured | failed
    measured: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(500))
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    dataset_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ds_claims_board", "dataset_id", "version", "metric"),)
