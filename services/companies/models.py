"""Tables of the companies service (prefix ``co_``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, new_id, utcnow
from services.kit.versioning import Part, Versioned


class Base(DeclarativeBase):
    metadata = MetaData()


class Company(Versioned, Base):
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
    # Declared yearly figures (KRW); when revenue is known the growth stage is computed (growth.py).
    revenue_krw: Mapped[int | None] = mapped_column(BigInteger)
    export_krw: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    designations: Mapped[list[Designation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Designation.created_at"
    )
    overseas: Mapped[list[OverseasExpansion]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OverseasExpansion.signed_on"
    )


class Factory(Part, Base):
    __tablename__ = "co_factories"
    __owner_key__ = "company_id"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("co_companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(500))
    industry_code: Mapped[str] = mapped_column(String(3))
    equipment: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FactoryEquipment(Base):
    """One piece of a factory's equipment and the data-standard version it reports by: the factory's
    ``equipment`` list kept as rows (``services/companies/adoption.py``) so adoption is counted by index."""

    __tablename__ = "co_factory_equipment"
    __table_args__ = (Index("ix_co_factory_equipment_model", "model_id", "model_version"),)

    factory_id: Mapped[str] = mapped_column(
        ForeignKey("co_factories.id", ondelete="CASCADE"), primary_key=True
    )
    equipment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(32))


class Designation(Part, Base):
    """One application for specialist designation and, once designated, the designation itself.

    A designation is in force on a day when ``valid_from <= day < min(valid_until, ended_at)`` and its last
    suspension event before that day (``co_designation_events``) was lifted; ``ended_at`` is set by a
    revocation or by the renewal that replaces it, so at most one designation of a company is in force.
    """

    __tablename__ = "co_designations"
    __owner_key__ = "company_id"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(ForeignKey("co_companies.id", ondelete="CASCADE"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    # Legacy self-assessment of model 0 (four area scores); empty for diagnosed applications.
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    total_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    model_version: Mapped[str | None] = mapped_column(String(16))
    # {indicator code: value} declared by the company, each backed by documents in ``evidence``.
    declared: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Figures read from the other services' APIs, with the time they were read.
    platform: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    platform_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    renewal_of: Mapped[str | None] = mapped_column(String(32))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    appeal_note: Mapped[str | None] = mapped_column(Text)
    # A designation recorded from before the platform (no workflow here): the decision document it cites.
    document_ref: Mapped[str | None] = mapped_column(String(300))

    assignments: Mapped[list[Assignment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Assignment.assigned_at"
    )
    events: Mapped[list[DesignationEvent]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DesignationEvent.at"
    )
    company: Mapped[Company] = relationship(viewonly=True, lazy="joined")


class DesignationEvent(Part, Base):
    """Every transition of an application or designation: who, when, why (the committee's reasons too)."""

    __tablename__ = "co_designation_events"
    __owner_key__ = "designation_id"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(
        ForeignKey("co_designations.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class Evaluator(Base):
    """A 평가위원: a person with the evaluator role, registered with the organisation of its token."""

    __tablename__ = "co_evaluators"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the token subject
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[str | None] = mapped_column(String(64))
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConflictOfInterest(Base):
    """A conflict of interest an evaluator declared: never assigned to that company's applications."""

    __tablename__ = "co_conflicts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    evaluator_id: Mapped[str] = mapped_column(ForeignKey("co_evaluators.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Part, Base):
    """An evaluator on an application; ``judgements`` = {indicator: {"score", "reason"}} once submitted."""

    __tablename__ = "co_assignments"
    __owner_key__ = "designation_id"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(
        ForeignKey("co_designations.id", ondelete="CASCADE"), index=True
    )
    evaluator_id: Mapped[str] = mapped_column(ForeignKey("co_evaluators.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    judgements: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OverseasExpansion(Part, Base):
    """An overseas contract of a company: counts toward the plan's 200 global companies."""

    __tablename__ = "co_overseas"
    __owner_key__ = "company_id"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(ForeignKey("co_companies.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    partner: Mapped[str] = mapped_column(String(200))
    contract_krw: Mapped[int] = mapped_column(BigInteger)
    signed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegionalCentre(Base):
    """A 지역 특화 제조AI센터: the regions it serves and their main KSIC industries."""

    __tablename__ = "co_regional_centres"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    regions: Mapped[list[str]] = mapped_column(JSON)
    industries: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportCentre(Base):
    """A support centre by function (기술개발, 창업기업 육성, 인력양성, 해외진출)."""

    __tablename__ = "co_support_centres"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    function: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    region_code: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Programme(Base):
    __tablename__ = "co_programmes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    centre_id: Mapped[str] = mapped_column(
        ForeignKey("co_support_centres.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stages: Mapped[list[str]] = mapped_column(JSON)  # growth stages it serves
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    budget_krw: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeApplication(Base):
    __tablename__ = "co_programme_applications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    programme_id: Mapped[str] = mapped_column(ForeignKey("co_programmes.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("co_companies.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    support_krw: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TechLevelSurvey(Base):
    """The yearly survey of SMEs' technology level against leading countries (= 100); 74.9 in the plan."""

    __tablename__ = "co_tech_level_surveys"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
