"""Tables of the deployments service (prefix ``dep_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    metadata = MetaData()


class DeploymentRecord(Base):
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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    suppliers: Mapped[list[Supplier]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Supplier.position"
    )
    solutions: Mapped[list[Solution]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Solution.position"
    )
    kpis: Mapped[list[Kpi]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="Kpi.kind")


class Supplier(Base):
    __tablename__ = "dep_suppliers"

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Solution(Base):
    __tablename__ = "dep_solutions"

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    subfield_code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    supplier_company_id: Mapped[str | None] = mapped_column(String(64))


class Kpi(Base):
    __tablename__ = "dep_kpis"

    record_id: Mapped[str] = mapped_column(ForeignKey("dep_records.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    baseline: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    telemetry_ref: Mapped[str | None] = mapped_column(String(200))
    improvement_pct: Mapped[float | None] = mapped_column(Float)
