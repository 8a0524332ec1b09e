"""Tables of the companies service (prefix ``co_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    metadata = MetaData()


class Company(Base):
    __tablename__ = "co_companies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(String(1000))
    business_registration_number: Mapped[str] = mapped_column(String(10), unique=True)
    representative: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(2), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(3), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    employees: Mapped[int | None] = mapped_column(Integer)
    growth_stage: Mapped[str] = mapped_column(String(8), index=True)
    expertise: Mapped[list[str]] = mapped_column(JSON)
    # ",CODE,CODE," so one LIKE finds a sub-field on every database.
    expertise_codes: Mapped[str] = mapped_column(String(400))
    capability_level: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    designations: Mapped[list[Designation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Designation.created_at"
    )


class Factory(Base):
    __tablename__ = "co_factories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("co_companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(500))
    industry_code: Mapped[str] = mapped_column(String(3))
    equipment: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Designation(Base):
    __tablename__ = "co_designations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(ForeignKey("co_companies.id", ondelete="CASCADE"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    total_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
