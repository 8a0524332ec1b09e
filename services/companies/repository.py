"""Every query of the companies service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, raiseload

from services.companies.dashboard_schemas import KeyCount, Overseas, Pipeline
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
from services.kit import reference as ref
from services.kit.db import utcnow
from services.kit.errors import NotFound
from services.kit.facets import FacetCount, counted, grouped, total, without
from services.kit.messages import Msg
from services.kit.search_terms import holding

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
    ids: tuple[str, ...] | None = None
    # Companies found by ``q`` besides those holding it: the suppliers of the use cases and records it finds.
    also: tuple[str, ...] = ()


def get_company(session: Session, company_id: str) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(Msg("company '{company_id}' does not exist", company_id=company_id))
    return company


def find_factory(session: Session, factory_id: str) -> Factory | None:
    return session.get(Factory, factory_id)


def get_factory(session: Session, company_id: str, factory_id: str) -> Factory:
    factory = session.get(Factory, factory_id)
    if factory is None or factory.company_id != company_id:
        raise NotFound(
            Msg(
                "factory '{factory_id}' of company '{company_id}' does not exist",
                factory_id=factory_id,
                company_id=company_id,
            )
        )
    return factory


def get_designation(session: Session, company_id: str, application_id: str) -> Designation:
    row = session.get(Designation, application_id)
    if row is None or row.company_id != company_id:
        raise NotFound(
            Msg("designation application '{application_id}' does not exist", application_id=application_id)
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
        held = holding(Company.search_text, f.q)
        stmt = stmt.where(or_(held, Company.id.in_(f.also)) if f.also else held)
    if f.ids is not None:
        stmt = stmt.where(Company.id.in_(f.ids))
    return stmt


@dataclass(frozen=True)
class Listed:
    """A company of a list page: what its rendered output depends on besides its own row's ``updated_at``
    (time moves a designation in or out of force; an overseas contract makes its growth stage computed)."""

    id: str
    updated_at: datetime
    designated_until: datetime | None
    overseas: int

    def key(self) -> Hashable:
        return (self.id, self.updated_at, self.designated_until, self.overseas)


def listed(stmt: Select[Company]) -> Select[Any]:
    """The list's statement as the columns a page needs of each company (its output is rendered): id,
    ``updated_at``, the end of the designation in force now (the earliest recorded, as ``in_force``) and
    the number of overseas contracts — one query, no objects built."""
    in_force = (
        select(Designation.valid_until)
        .where(Designation.company_id == Company.id, in_force_now())
        .order_by(Designation.created_at)
        .limit(1)
        .correlate(Company)
        .scalar_subquery()
    )
    overseas = (
        select(func.count())
        .where(OverseasExpansion.company_id == Company.id)
        .correlate(Company)
        .scalar_subquery()
    )
    return stmt.with_only_columns(
        Company.id,
        Company.updated_at,
        in_force.label("designated_until"),
        overseas.label("overseas"),
    )


def without_children(session: Session, ids: list[str]) -> dict[str, Company]:
    """The companies ``ids`` without their designations and overseas contracts (a listed company's output
    takes those from :func:`listed`)."""
    stmt = (
        select(Company)
        .where(Company.id.in_(ids))
        .options(raiseload(Company.designations), raiseload(Company.overseas))
    )
    return {c.id: c for c in session.scalars(stmt)}


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
        raise NotFound(Msg("evaluator '{evaluator_id}' is not registered", evaluator_id=evaluator_id))
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


def overseas_expansion(session: Session) -> Overseas:
    """Companies with an overseas contract and the contracts per country (counts only: the amounts are the
    companies' own figures)."""
    per_country = session.execute(
        select(OverseasExpansion.country, func.count()).group_by(OverseasExpansion.country)
    ).all()
    companies = session.scalar(select(func.count(func.distinct(OverseasExpansion.company_id))))
    return Overseas(
        companies=companies or 0,
        contracts=sum(n for _, n in per_country),
        by_country=[KeyCount(key=c, count=n) for c, n in sorted(per_country)],
    )


def _key_counts(keys: Iterable[str]) -> list[KeyCount]:
    return [KeyCount(key=k, count=n) for k, n in sorted(Counter(keys).items())]


def companies_in(session: Session, regions: list[str]) -> list[Company]:
    return list(session.scalars(select(Company).where(Company.region_code.in_(regions))))


# --- the list by facets and sorted pages (the portal's browse page) ---------------------------------------


def _by(session: Session, f: Filters, column: Any, own: str) -> list[FacetCount]:
    return grouped(
        session, filtered(without(f, own)).with_only_columns(column, func.count()).group_by(column)
    )


def _by_expertise(session: Session, f: Filters) -> list[FacetCount]:
    """One pass over the companies: a sum per sub-field of those listing it (the codes are a string)."""
    sums = [
        func.sum(case((Company.expertise_codes.contains(f",{s.code},"), 1), else_=0)) for s in ref.SUBFIELDS
    ]
    row = session.execute(filtered(without(f, "expertise")).with_only_columns(*sums)).one()
    counts = [FacetCount(key=s.code, count=int(n or 0)) for s, n in zip(ref.SUBFIELDS, row, strict=True)]
    return sorted((c for c in counts if c.count), key=lambda c: (-c.count, c.key))


def facets(session: Session, f: Filters) -> dict[str, Any]:
    """The total of the companies matching ``f`` and, per facet, the counts of its values."""
    designated = case(
        (Company.id.in_(select(Designation.company_id).where(in_force_now())), "true"), else_="false"
    )
    matching = total(session, filtered(f))
    columns = {
        "kind": Company.kind,
        "region": Company.region_code,
        "industry": Company.industry_code,
        "growth_stage": Company.growth_stage,
        "designated": designated,
    }
    return {
        "total": matching,
        **{own: counted(matching, f, (own,), partial(_by, session, f, c, own)) for own, c in columns.items()},
        "expertise": counted(matching, f, ("expertise",), partial(_by_expertise, session, f)),
    }


def order(sort: str) -> list[Any]:
    """``name``: by Korean name; ``capability``: highest level first, none last; ``newest``: latest first."""
    if sort == "capability":
        return [Company.capability_level.desc().nulls_last(), Company.id]
    if sort == "newest":
        return [Company.created_at.desc(), Company.id.desc()]
    return [Company.name["ko"].as_string(), Company.id]
