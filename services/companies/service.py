"""Rules of the company registry, factories and specialist designation. Flushes, never commits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from services.companies import repository
from services.companies.models import Company, Designation, Factory
from services.companies.schemas import (
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    DecisionIn,
    DesignationIn,
    DesignationOut,
    Diagnosis,
    FactoryIn,
    FactoryOut,
    FactoryPatch,
)
from services.kit.db import utcnow
from services.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from services.kit.principal import Principal, Role

DESIGNATION_THRESHOLD = 70.0
DESIGNATION_YEARS = 3
# Capability diagnosis weights: technology, track record, organisation, finance.
WEIGHTS = {"technology": 0.4, "track_record": 0.3, "organisation": 0.15, "finance": 0.15}


def _index(company: Company) -> None:
    company.search_text = " ".join(
        filter(None, (company.id, company.name.get("ko"), company.name.get("en"), company.representative))
    ).lower()
    company.expertise_codes = "," + ",".join(company.expertise) + ","


def create(session: Session, principal: Principal, body: CompanyIn) -> Company:
    if not principal.is_admin:
        if body.id != principal.org_id:
            raise Forbidden(
                "you may register only your own organisation (id = your org_id)",
                detail_ko="자신의 기관만 등록할 수 있습니다",
            )
        if not principal.has_any(Role(body.kind)):
            raise Forbidden(f"a '{body.kind}' company is registered by a user with role {body.kind}")
    if session.get(Company, body.id) is not None:
        raise Conflict(f"company '{body.id}' already exists", detail_ko="이미 등록된 기업입니다")
    if repository.brn_taken(session, body.business_registration_number):
        raise Conflict(
            "this business registration number is already registered",
            detail_ko="이미 등록된 사업자등록번호입니다",
            fields=[field_error("body.business_registration_number", "already registered")],
        )
    company = Company(**body.model_dump(mode="json"))
    _index(company)
    session.add(company)
    session.flush()
    return company


def update(session: Session, principal: Principal, company_id: str, body: CompanyPatch) -> Company:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    for key, value in body.model_dump(exclude_unset=True, mode="json").items():
        setattr(company, key, value)
    _index(company)
    session.flush()
    return company


def _active_designation(company: Company) -> Designation | None:
    now = utcnow()
    active = [
        d
        for d in company.designations
        if d.status == "designated" and d.valid_until is not None and d.valid_until > now
    ]
    return max(active, key=lambda d: d.valid_until or now, default=None)


def company_out(company: Company) -> CompanyOut:
    active = _active_designation(company)
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
        expertise=company.expertise,
        capability_level=company.capability_level,
        designated=active is not None,
        designated_until=active.valid_until if active else None,
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
        raise NotFound(f"factory '{factory_id}' of company '{company_id}' does not exist")
    return factory


def add_factory(session: Session, principal: Principal, company_id: str, body: FactoryIn) -> Factory:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    if session.get(Factory, body.id) is not None:
        raise Conflict(f"factory '{body.id}' already exists", detail_ko="이미 등록된 공장입니다")
    factory = Factory(company_id=company.id, **body.model_dump(mode="json"))
    session.add(factory)
    session.flush()
    return factory


def update_factory(
    session: Session, principal: Principal, company_id: str, factory_id: str, body: FactoryPatch
) -> Factory:
    factory = repository.get_factory(session, company_id, factory_id)
    principal.require_org(factory.company_id)
    for key, value in body.model_dump(exclude_unset=True, mode="json").items():
        setattr(factory, key, value)
    session.flush()
    return factory


def delete_factory(session: Session, principal: Principal, company_id: str, factory_id: str) -> None:
    factory = repository.get_factory(session, company_id, factory_id)
    principal.require_org(factory.company_id)
    session.delete(factory)
    session.flush()


def factory_out(factory: Factory) -> FactoryOut:
    return FactoryOut.model_validate(factory, from_attributes=True)


def apply(session: Session, principal: Principal, company_id: str, body: DesignationIn) -> Designation:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    if company.kind != "vendor":
        raise Conflict(
            "only vendors (supply companies) apply for specialist designation",
            detail_ko="전문기업 지정은 공급기업만 신청할 수 있습니다",
        )
    if any(d.status == "submitted" for d in company.designations):
        raise Conflict(
            "an application is already waiting for a decision", detail_ko="심사 중인 신청이 있습니다"
        )
    scores = body.diagnosis.model_dump()
    row = Designation(
        company_id=company.id,
        fields=list(body.fields),
        scores=scores,
        status="submitted",
        total_score=round(sum(scores[k] * w for k, w in WEIGHTS.items()), 2),
    )
    company.designations.append(row)
    session.flush()
    return row


def decide(
    session: Session, principal: Principal, company_id: str, application_id: str, body: DecisionIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    if row.status != "submitted":
        raise Conflict(f"application already decided ({row.status})", detail_ko="이미 결정된 신청입니다")
    if body.decision == "rejected" and not body.reason:
        raise ValidationFailed(
            "a rejection needs a reason",
            detail_ko="반려 사유를 입력하세요",
            fields=[field_error("body.reason", "required when decision is 'rejected'")],
        )
    if body.decision == "designated" and row.total_score < DESIGNATION_THRESHOLD and not body.override_reason:
        raise ValidationFailed(
            f"score {row.total_score} is below {DESIGNATION_THRESHOLD:g}; override_reason is required",
            detail_ko="역량진단 점수가 기준 미달입니다",
            fields=[field_error("body.override_reason", "required below the threshold")],
        )
    now = utcnow()
    row.status, row.reason, row.override_reason = body.decision, body.reason, body.override_reason
    row.decided_at, row.decided_by = now, principal.username or principal.subject
    if body.decision == "designated":
        row.valid_until = now + timedelta(days=365 * DESIGNATION_YEARS)
    session.flush()
    return row


def designation_out(row: Designation) -> DesignationOut:
    return DesignationOut(
        id=row.id,
        company_id=row.company_id,
        fields=row.fields,
        diagnosis=Diagnosis(**row.scores),
        total_score=row.total_score,
        status=row.status,
        reason=row.reason,
        override_reason=row.override_reason,
        decided_at=row.decided_at,
        valid_until=row.valid_until,
        created_at=row.created_at,
    )


def require_owner(session: Session, principal: Principal, company_id: str) -> Company:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    return company
