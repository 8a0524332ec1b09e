"""Every query of the companies service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, String, and_, cast, select
from sqlalchemy.orm import Session

from services.companies.dashboard_schemas import KeyCount, Pipeline
from services.companies.models import (
    Assignment,
    Company,
    ConflictOfInterest,
    Designation,
    Evaluator,
    Factory,
    OverseasExpansion,
    Programme,
    ProgrammeApplication,
    RegionalCentre,
    SupportCentre,
    TechLevelSurvey,
)
from services.kit.db import utcnow
from services.kit.errors import NotFound

# Applications still waiting for a step (see designation.py).
OPEN_STATUSES = ("submitted", "returned", "in_review", "evaluated")


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    region: str | None = None
    industry: str | None = None
    expertise: str | None = None
    growth_stage: str | None = None
    designated: bool | None = None
    q: str | None = None


def get_company(session: Session, company_id: str) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(
            f"company '{company_id}' does not exist", detail_ko=f"기업 '{company_id}'을(를) 찾을 수 없습니다"
        )
    return company


def find_factory(session: Session, factory_id: str) -> Factory | None:
    return session.get(Factory, factory_id)


def get_factory(session: Session, company_id: str, factory_id: str) -> Factory:
    factory = session.get(Factory, factory_id)
    if factory is None or factory.company_id != company_id:
        raise NotFound(
            f"factory '{factory_id}' of company '{company_id}' does not exist",
            detail_ko="공장을 찾을 수 없습니다",
        )
    return factory


def get_designation(session: Session, company_id: str, application_id: str) -> Designation:
    row = session.get(Designation, application_id)
    if row is None or row.company_id != company_id:
        raise NotFound(
            f"designation application '{application_id}' does not exist",
            detail_ko="지정 신청을 찾을 수 없습니다",
        )
    return row


def brn_taken(session: Session, brn: str) -> bool:
    return session.scalar(select(Company.id).where(Company.business_registration_number == brn)) is not None


def filtered(f: Filters) -> Select[Company]:
    stmt = select(Company)
    for column, value in (
        (Company.kind, f.kind),
        (Company.region_code, f.region),
        (Company.industry_code, f.industry),
        (Company.growth_stage, f.growth_stage),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.expertise:
        stmt = stmt.where(Company.expertise_codes.contains(f",{f.expertise},", autoescape=True))
    if f.designated is not None:
        active = select(Designation.company_id).where(in_force_now())
        stmt = stmt.where(Company.id.in_(active) if f.designated else Company.id.not_in(active))
    if f.q:
        stmt = stmt.where(Company.search_text.contains(f.q.strip().lower(), autoescape=True))
    return stmt


def factories_of(company_id: str) -> Select[Factory]:
    return select(Factory).where(Factory.company_id == company_id)


def designations_of(company_id: str) -> Select[Designation]:
    return select(Designation).where(Designation.company_id == company_id)


def in_force_now() -> ColumnElement[bool]:
    """Designations in force now: designated (neither suspended nor ended) and not yet expired."""
    now = utcnow()
    return and_(
        Designation.status == "designated", Designation.valid_from <= now, Designation.valid_until > now
    )


@dataclass(frozen=True)
class RegistryFilters:
    region: str | None = None
    field: str | None = None
    growth_stage: str | None = None


def registry(f: RegistryFilters) -> Select[Designation]:
    stmt = select(Designation).join(Company, Company.id == Designation.company_id).where(in_force_now())
    if f.region:
        stmt = stmt.where(Company.region_code == f.region)
    if f.growth_stage:
        stmt = stmt.where(Company.growth_stage == f.growth_stage)
    if f.field:
        # Designated fields are few and JSON lists; one LIKE on the text form works on every database.
        stmt = stmt.where(cast(Designation.fields, String).contains(f'"{f.field}"', autoescape=True))
    return stmt


def open_applications(statuses: tuple[str, ...]) -> Select[Designation]:
    return select(Designation).where(Designation.status.in_(statuses), Designation.due_at.is_not(None))


def in_force_designations(session: Session) -> list[Designation]:
    return list(session.scalars(select(Designation).where(in_force_now())))


def get_evaluator(session: Session, evaluator_id: str) -> Evaluator:
    evaluator = session.get(Evaluator, evaluator_id)
    if evaluator is None:
        raise NotFound(
            f"evaluator '{evaluator_id}' is not registered", detail_ko="등록되지 않은 평가위원입니다"
        )
    return evaluator


def has_conflict(session: Session, evaluator_id: str, company_id: str) -> bool:
    return (
        session.scalar(
            select(ConflictOfInterest.id).where(
                ConflictOfInterest.evaluator_id == evaluator_id, ConflictOfInterest.company_id == company_id
            )
        )
        is not None
    )


def conflicts_of(session: Session, evaluator_id: str) -> list[str]:
    stmt = select(ConflictOfInterest.company_id).where(ConflictOfInterest.evaluator_id == evaluator_id)
    return sorted(set(session.scalars(stmt)))


def evaluators() -> Select[Evaluator]:
    return select(Evaluator)


def assigned_to(evaluator_id: str) -> Select[Designation]:
    return select(Designation).where(
        Designation.id.in_(select(Assignment.designation_id).where(Assignment.evaluator_id == evaluator_id))
    )


def overseas_of(company_id: str) -> Select[OverseasExpansion]:
    return select(OverseasExpansion).where(OverseasExpansion.company_id == company_id)


def regional_centres() -> Select[RegionalCentre]:
    return select(RegionalCentre)


def support_centres(function: str | None) -> Select[SupportCentre]:
    stmt = select(SupportCentre)
    return stmt.where(SupportCentre.function == function) if function else stmt


def programmes(centre_id: str | None) -> Select[Programme]:
    stmt = select(Programme)
    return stmt.where(Programme.centre_id == centre_id) if centre_id else stmt


def programme_applications(programme_id: str, company_id: str | None = None) -> Select[ProgrammeApplication]:
    """A programme's applications; only one company's when ``company_id`` is given."""
    stmt = select(ProgrammeApplication).where(ProgrammeApplication.programme_id == programme_id)
    return stmt.where(ProgrammeApplication.company_id == company_id) if company_id is not None else stmt


def surveys(session: Session) -> list[TechLevelSurvey]:
    return list(session.scalars(select(TechLevelSurvey).order_by(TechLevelSurvey.year)))


def pipeline(session: Session) -> Pipeline:
    """Applications under way and programme support: what admins and agencies see on the dashboard."""
    open_ = list(session.scalars(select(Designation).where(Designation.status.in_(OPEN_STATUSES))))
    now = utcnow()
    programmes = list(session.scalars(select(ProgrammeApplication)))
    return Pipeline(
        applications_by_status=_key_counts(d.status for d in open_),
        overdue=sum(1 for d in open_ if d.due_at is not None and d.due_at < now),
        programme_support_krw=sum(p.support_krw or 0 for p in programmes),
        programme_applications_by_status=_key_counts(p.status for p in programmes),
    )


def _key_counts(keys: Iterable[str]) -> list[KeyCount]:
    return [KeyCount(key=k, count=n) for k, n in sorted(Counter(keys).items())]


def companies_in(session: Session, regions: list[str]) -> list[Company]:
    return list(session.scalars(select(Company).where(Company.region_code.in_(regions))))
