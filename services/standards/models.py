"""Tables of the standards service (prefix ``std_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, utcnow
from services.kit.versioning import Part, Versioned


class Base(DeclarativeBase):
    metadata = MetaData()


class EquipmentModel(Versioned, Base):
    __tablename__ = "std_models"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_org_id: Mapped[str] = mapped_column(String(64), index=True)
    equipment_type: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subfields: Mapped[list[str]] = mapped_column(JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Lower-cased names of the model and of its newest version's items, for substring search (q).
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ModelVersion]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(ModelVersion.major, ModelVersion.minor, ModelVersion.patch)",
    )
    # Loaded only to be rewritten (reindexing): reads never need them.
    terms: Mapped[list[ModelTerm]] = relationship(cascade="all, delete-orphan")


class ModelVersion(Part, Base):
    __tablename__ = "std_versions"
    __owner_key__ = "model_id"

    model_id: Mapped[str] = mapped_column(ForeignKey("std_models.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    major: Mapped[int] = mapped_column(Integer)
    minor: Mapped[int] = mapped_column(Integer)
    patch: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), index=True)
    # Deferred: lists and model pages show versions without their (up to 500) items.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, deferred=True)
    # Static facts about the machine (nameplate), not readings: [{"name", "value", "source"}]; None in
    # versions stored before attributes existed.
    attributes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    ideal_cycle_time_s: Mapped[float | None] = mapped_column(Float)
    changelog: Mapped[str | None] = mapped_column(Text)
    # The mapping report of the import that made this version ({"en": report, "ko": report}), or None.
    import_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    # The nesting of the AAS submodel the version was imported from, for its AAS export (aas_structure);
    # None for a version not imported from AAS. Carried to versions made from this one.
    aas_structure: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelTerm(Base):
    """What a model is found by, besides its names: taxonomy codes, and the item ids, MTConnect types and
    semantic ids of any of its versions. Rewritten whenever the model or one of its versions changes."""

    __tablename__ = "std_model_terms"
    __table_args__ = (Index("ix_std_model_terms_kind_term", "kind", "term"),)

    model_id: Mapped[str] = mapped_column(ForeignKey("std_models.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    term: Mapped[str] = mapped_column(String(200), primary_key=True)


class Review(Part, Base):
    """One step of a version's review: proposal, comment, request for changes, approval, deprecation."""

    __tablename__ = "std_reviews"
    __owner_key__ = "model_id"
    __table_args__ = (Index("ix_std_reviews_version", "model_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("std_models.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    author_org_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NodeSetDocument(Base):
    """An OPC UA NodeSet an organisation imported, kept (gzip) to resolve what later NodeSets require."""

    __tablename__ = "std_nodesets"

    owner_org_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_uri: Mapped[str] = mapped_column(String(500), primary_key=True)
    version: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[str | None] = mapped_column(String(40))
    document: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
