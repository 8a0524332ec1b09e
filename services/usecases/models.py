"""Tables of the use-cases service (prefix ``uc_``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, new_id, utcnow
from services.kit.versioning import Part, Versioned

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData()


class UseCase(Versioned, Base):
    __tablename__ = "uc_cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_org_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="draft")
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    problem_type: Mapped[str] = mapped_column(String(32), index=True)
    technique: Mapped[str] = mapped_column(String(32), index=True)
    data_used: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"ko", "en"}] since migration 0006
    region_code: Mapped[str] = mapped_column(String(2), index=True)
    industry_code: Mapped[str] = mapped_column(String(3), index=True)
    supplier_company_id: Mapped[str | None] = mapped_column(String(64), index=True)
    deployment_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The public list's keyset order (migration 0002).
    __table_args__ = (
        Index("ix_uc_cases_public_order", "status", "created_at", "id"),
        # the latest change, which dates the search's memo (kit.facets.generation)
        Index("ix_uc_cases_updated_at", "updated_at"),
        # the search's visibility join, and each hit's updated_at, from the index alone (PostgreSQL)
        Index("ix_uc_cases_visible", "status", "id", postgresql_include=["updated_at"]),
    )

    effects: Mapped[list[Effect]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Effect.position"
    )
    model_refs: Mapped[list[ModelRef]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ModelRef.position"
    )
    runnable: Mapped[CaseModel | None] = relationship(cascade="all, delete-orphan", lazy="select")

    @property
    def version(self) -> int:
        """The case's ETag: its change stamp in microseconds, moved by every change of it or of its parts
        (``kit.versioning``)."""
        return (self.updated_at - EPOCH) // timedelta(microseconds=1)


class Effect(Part, Base):
    __tablename__ = "uc_effects"
    __owner_key__ = "case_id"

    case_id: Mapped[str] = mapped_column(ForeignKey("uc_cases.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[dict[str, Any]] = mapped_column(JSON)
    unit: Mapped[str] = mapped_column(String(16))
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    higher_is_better: Mapped[bool] = mapped_column(default=False)
    improvement_pct: Mapped[float | None] = mapped_column(Float)


class ModelRef(Part, Base):
    """An equipment model (standards service) whose data the case used; a table so lists filter on it."""

    __tablename__ = "uc_model_refs"
    __owner_key__ = "case_id"

    case_id: Mapped[str] = mapped_column(ForeignKey("uc_cases.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))


class SearchTerm(Base):
    """The inverted index of the search endpoint: one row per (term, case) with a field-weighted count."""

    __tablename__ = "uc_search_terms"
    # A search reads a term's postings with their weights from the index alone (PostgreSQL).
    __table_args__ = (Index("ix_uc_search_terms_postings", "term", "case_id", postgresql_include=["weight"]),)

    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(
        ForeignKey("uc_cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[float] = mapped_column(Float)


class CaseModel(Part, Base):
    """The case's runnable ONNX model (services.usecases.runnable): the file is in the object store under its
    SHA-256; a new upload replaces the row (and so the hash runs and predictions are keyed by)."""

    __tablename__ = "uc_case_models"
    __owner_key__ = "case_id"

    case_id: Mapped[str] = mapped_column(ForeignKey("uc_cases.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    signature: Mapped[dict[str, Any]] = mapped_column(JSON)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
