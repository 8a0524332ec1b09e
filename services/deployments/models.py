"""Tables of the deployments service (prefix ``dep_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, new_id, utcnow
from services.kit.versioning import Part, Versioned


class Base(DeclarativeBase):
    metadata = MetaData()


class DeploymentRecord(Versioned, Base):
    __tablename__ = "dep_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_org_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(String(2000))
    sme_company_id: Mapped[str] = mapped_column(String(64), index=True)
    sme_name: Mapped[str] = mapped_column(String(200))
    factory_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(2), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    industry_code: Mapped[str] = mapped_column(String(3), index=True)
    level_before: Mapped[str] = mapped_column(String(8))
    level_after: Mapped[str] = mapped_column(String(8), index=True)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    after_service_months: Mapped[int] = mapped_column(Integer)
    support_amount_krw: Mapped[int] = mapped_column(BigInteger)
    year: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The registered factory of the SME (companies service); its name/region/industry are copied above.
    factory_id: Mapped[str | None] = mapped_column(String(64), index=True)
    programme_code: Mapped[str | None] = mapped_column(String(16))
    # standard (12 stages / 23 months) or simplified (8 / 14): the lead supplier's designation at contract.
    process: Mapped[str] = mapped_column(String(12))
    supplier_designated: Mapped[bool] = mapped_column(Boolean)
    company_share_krw: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Lifecycle (lifecycle.py): draft → submitted → confirmed → verified → published.
    status: Mapped[str] = mapped_column(String(12), index=True)
    drafted_by: Mapped[str] = mapped_column(String(8))  # "sme" or "vendor": the other side confirms
    factory_checked: Mapped[bool] = mapped_column(Boolean)  # checked with a token that may read the factory
    return_comment: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept for the list's ``effect`` order (changes.finish_change): the mean of the KPIs' improvements.
    mean_kpi_improvement_pct: Mapped[float | None] = mapped_column(Float)
    # Moved by every UPDATE of the row, so by any change of the record or its parts (kit.versioning): the
    # ETag; a concurrent write that flushes second fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it as is)

    # The lists' keyset orders, and substring search (q) on PostgreSQL (migration 0003); every column the
    # facet counts read, so they come from the index alone, and the effect order (migration 0004); the
    # public order with what a search walking it tests, and the published records' search within region
    # and industry (migration 0006); that order within a region, for the walk of a common word there, and
    # both list orders within a region × industry (0007).
    __table_args__ = (
        Index(
            "ix_dep_records_public_order",
            "status",
            "created_at",
            "id",
            postgresql_include=["region_code", "industry_code", "version", "search_text"],
        ),
        Index(
            "ix_dep_records_region_order",
            "status",
            "region_code",
            "created_at",
            "id",
            postgresql_include=["industry_code", "version", "search_text"],
        ),
        Index(
            "ix_dep_records_cell_order",
            "status",
            "region_code",
            "industry_code",
            "created_at",
            "id",
            postgresql_include=["version"],
        ),
        Index(
            "ix_dep_records_cell_effect",
            "status",
            "region_code",
            "industry_code",
            text("mean_kpi_improvement_pct DESC NULLS LAST"),
            "id",
            postgresql_include=["version", "created_at"],
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_dep_records_facets",
            "status",
            "region_code",
            "industry_code",
            "year",
            "level_before",
            "level_after",
            "id",
        ),
        Index(
            "ix_dep_records_effect_order",
            "status",
            text("mean_kpi_improvement_pct DESC NULLS LAST"),
            "id",
        ).ddl_if(dialect="postgresql"),
        Index("ix_dep_records_workspace_order", "updated_at", "id"),
        Index(
            "ix_dep_records_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_dep_records_published_search",
            "search_text",
            "region_code",
            "industry_code",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            postgresql_where=text("status = 'published'"),
        ).ddl_if(dialect="postgresql"),
    )

    suppliers: Mapped[list[Supplier]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Supplier.position"
    )
    solutions: Mapped[list[Solution]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Solution.position"
    )
    kpis: Mapped[list[Kpi]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="Kpi.kind")
    documents: Mapped[list[Document]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Document.uploaded_at"
    )
    # Read only, for the after-care counts of a record: loaded for a whole page in one query.
    tickets: Mapped[list[Ticket]] = relationship(lazy="selectin", viewonly=True, order_by="Ticket.opened_at")


class Supplier(Part, Base):
    __tablename__ = "dep_suppliers"
    __owner_key__ = "record_id"

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Solution(Part, Base):
    __tablename__ = "dep_solutions"
    __owner_key__ = "record_id"

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    subfield_code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    supplier_company_id: Mapped[str | None] = mapped_column(String(64))

    # the sub-field facet reads a record's sub-fields from the index (0006)
    __table_args__ = (Index("ix_dep_solutions_record_subfield", "record_id", "subfield_code"),)


class Kpi(Part, Base):
    __tablename__ = "dep_kpis"
    __owner_key__ = "record_id"
    # the evidence facet: its records by source (0004), a record's sources from the index (0006)
    __table_args__ = (
        Index("ix_dep_kpis_source", "source", "record_id"),
        Index("ix_dep_kpis_record_source", "record_id", "source"),
    )

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    baseline: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    telemetry_ref: Mapped[str | None] = mapped_column(String(200))
    improvement_pct: Mapped[float | None] = mapped_column(Float)
    # What a telemetry measurement used (periods, query, lake snapshot, volume): lets anyone re-run it.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verified_by: Mapped[str | None] = mapped_column(String(255))


class FacetTally(Base):
    """How many published records of a region × industry hold a facet's value (services.deployments.tallies):
    facet ``records`` (key "") counts the records themselves. Derived, so not a part of any record."""

    __tablename__ = "dep_facet_tallies"

    region_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    industry_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    facet: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class TalliedRecord(Base):
    """What a published record was counted as in ``dep_facet_tallies``: its cell and its (facet, key) pairs,
    so that its next change takes back exactly what was added."""

    __tablename__ = "dep_facet_tallied"

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(2))
    industry_code: Mapped[str] = mapped_column(String(3))
    keys: Mapped[list[list[str]]] = mapped_column(JSON)


class HistoryEntry(Base):
    """Every change of a record: edits, transitions, revisions; a publication keeps the published content."""

    __tablename__ = "dep_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    actor_subject: Mapped[str] = mapped_column(String(255))
    actor_org_id: Mapped[str | None] = mapped_column(String(64))
    actor_username: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    changed: Mapped[list[str]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Document(Part, Base):
    """Evidence document of a record (or of one of its stages); the bytes are in the object store."""

    __tablename__ = "dep_documents"
    __owner_key__ = "record_id"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), index=True)
    stage_code: Mapped[str | None] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploader_org_id: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Part, Base):
    """An after-care (사후관리) ticket the SME opened; the supplier answers before ``due_at``."""

    __tablename__ = "dep_tickets"
    __owner_key__ = "record_id"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), index=True)
    supplier_company_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    opened_by: Mapped[str] = mapped_column(String(255))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(255))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
