"""Every query of the companies service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.companies.models import Company, Designation, Factory
from services.kit.db import utcnow
from services.kit.errors import NotFound


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
        active = select(Designation.company_id).where(
            Designation.status == "designated", Designation.valid_until > utcnow()
        )
        stmt = stmt.where(Company.id.in_(active) if f.designated else Company.id.not_in(active))
    if f.q:
        stmt = stmt.where(Company.search_text.contains(f.q.strip().lower(), autoescape=True))
    return stmt


def factories_of(company_id: str) -> Select[Factory]:
    return select(Factory).where(Factory.company_id == company_id)


def designations_of(company_id: str) -> Select[Designation]:
    return select(Designation).where(Designation.company_id == company_id)
