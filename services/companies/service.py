"""Rules of the company registry, factories and specialist designation. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.companies import adoption, growth, repository
from services.companies.designation_status import in_force
from services.companies.models import Company, Factory
from services.companies.schemas import (
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    FactoryIn,
    FactoryOut,
    FactoryPatch,
)
from services.companies.search import search_text
from services.kit.db import utcnow
from services.kit.errors import Conflict, Forbidden, NotFound, field_error
from services.kit.messages import Msg
from services.kit.principal import Principal, Role


def grow(company: Company) -> None:
    if growth.computable(company.revenue_krw, len(company.overseas)):
        company.growth_stage = growth.stage(
            founded_year=company.founded_year,
            revenue_krw=company.revenue_krw,
            export_krw=company.export_krw,
            overseas_contracts=len(company.overseas),
            this_year=utcnow().year,
        ).value


def _index(company: Company) -> None:
    company.search_text = search_text(
        company_id=company.id,
        name=company.name,
        representative=company.representative,
        region_code=company.region_code,
        industry_code=company.industry_code,
        expertise=company.expertise,
    )
    company.expertise_codes = "," + ",".join(company.expertise) + ","


def create(session: Session, principal: Principal, body: CompanyIn) -> Company:
    if not principal.is_admin:
        if body.id != principal.org_id:
            raise Forbidden(Msg("you may register only your own organisation (id = your org_id)"))
        if not principal.has_any(Role(body.kind)):
            raise Forbidden(
                Msg("a '{kind}' company is registered by a user with role {kind}", kind=body.kind)
            )
    if session.get(Company, body.id) is not None:
        raise Conflict(Msg("company '{id}' already exists", id=body.id))
    if repository.brn_taken(session, body.business_registration_number):
        raise Conflict(
            Msg("this business registration number is already registered"),
            fields=[field_error("body.business_registration_number", Msg("already registered"))],
        )
    company = Company(**body.model_dump(mode="json"), overseas=[])
    _index(company)
    grow(company)
    session.add(company)
    session.flush()
    return company


def update(session: Session, principal: Principal, company_id: str, body: CompanyPatch) -> Company:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    for key, value in body.model_dump(exclude_unset=True, mode="json").items():
        setattr(company, key, value)
    _index(company)
    grow(company)
    session.flush()
    return company


def company_out(company: Company) -> CompanyOut:
    active = in_force(company, utcnow())
    return listed_out(company, active.valid_until if active else None, len(company.overseas))


def listed_out(company: Company, designated_until: datetime | None, overseas: int) -> CompanyOut:
    """A company's output given the end of its designation in force (None: not designated) and its number
    of overseas contracts: what a list page reads in SQL (``repository.listed``)."""
    return CompanyOut(
        id=company.id,
        kind=company.kind,
        name=company.name,
        business_registration_number=company.business_registration_number,
        representative=company.representative,
        region_code=company.region_code,
        industry_code=company.industry_code,
        address=company.address,
        founded_year=company.founded_year,
        employees=company.employees,
        growth_stage=company.growth_stage,
        growth_stage_basis="computed" if growth.computable(company.revenue_krw, overseas) else "declared",
        expertise=company.expertise,
        capability_level=company.capability_level,
        designated=designated_until is not None,
        designated_until=designated_until,
        created_at=company.created_at,
    )


def _may_read_factory(principal: Principal, factory: Factory) -> bool:
    if principal.acts_for(factory.company_id):
        return True
    return Role.GATEWAY in principal.roles and principal.factory_id == factory.id


def visible_factory(session: Session, principal: Principal, company_id: str, factory_id: str) -> Factory:
    factory = repository.get_factory(session, company_id, factory_id)
    if not _may_read_factory(principal, factory):
        # A factory is tenant data: others learn nothing, not even that it exists.
        raise NotFound(
            Msg(
                "factory '{factory_id}' of company '{company_id}' does not exist",
                factory_id=factory_id,
                company_id=company_id,
            )
        )
    return factory


def visible_factory_by_id(session: Session, principal: Principal, factory_id: str) -> Factory:
    factory = repository.find_factory(session, factory_id)
    if factory is None or not _may_read_factory(principal, factory):
        raise NotFound(Msg("factory '{factory_id}' does not exist", factory_id=factory_id))
    return factory


def add_factory(session: Session, principal: Principal, company_id: str, body: FactoryIn) -> Factory:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    if session.get(Factory, body.id) is not None:
        raise Conflict(Msg("factory '{id}' already exists", id=body.id))
    factory = Factory(company_id=company.id, **body.model_dump(mode="json"))
    session.add(factory)
    session.flush()
    adoption.sync(session, factory)
    return factory


def update_factory(
    session: Session, principal: Principal, company_id: str, factory_id: str, body: FactoryPatch
) -> Factory:
    factory = repository.get_factory(session, company_id, factory_id)
    principal.require_org(factory.company_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for key, value in changes.items():
        setattr(factory, key, value)
    session.flush()
    if "equipment" in changes:
        adoption.sync(session, factory)
    return factory


def delete_factory(session: Session, principal: Principal, company_id: str, factory_id: str) -> None:
    factory = repository.get_factory(session, company_id, factory_id)
    principal.require_org(factory.company_id)
    session.delete(factory)
    session.flush()


def factory_out(factory: Factory) -> FactoryOut:
    return FactoryOut.model_validate(factory, from_attributes=True)


def require_owner(session: Session, principal: Principal, company_id: str) -> Company:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    return company
