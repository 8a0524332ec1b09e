"""Overseas expansion, regional AI centres (지역 특화 제조AI센터) and support centres with programmes.

A region belongs to at most one regional centre. Centre staff are ``agency`` principals whose ``regions``
claim names the centre's regions; they see the centre's dashboard and (in the deployments service) verify
the records of those regions. Figures of other services come from their public aggregate APIs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.companies import repository
from services.companies.centre_schemas import (
    CountBy,
    OverseasIn,
    ProgrammeApplicationIn,
    ProgrammeDecisionIn,
    ProgrammeIn,
    RegionalCentreIn,
    RegionalCentreOut,
    RegionalDashboard,
    SupportCentreIn,
    from_row,
)
from services.companies.models import (
    OverseasExpansion,
    Programme,
    ProgrammeApplication,
    RegionalCentre,
    SupportCentre,
)
from services.companies.service import grow
from services.kit.db import utcnow
from services.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from services.kit.principal import Principal


def _taken(session: Session, model: type[Any], key: str, what: str) -> None:
    if session.get(model, key) is not None:
        raise Conflict(f"{what} '{key}' already exists", detail_ko="이미 등록된 항목입니다")


def _get(session: Session, model: type[Any], key: str, what: str, what_ko: str) -> Any:
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"{what} '{key}' does not exist", detail_ko=f"{what_ko}을(를) 찾을 수 없습니다")
    return row


def add_overseas(
    session: Session, principal: Principal, company_id: str, body: OverseasIn
) -> OverseasExpansion:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    if body.country == "KR":
        raise ValidationFailed(
            "an overseas contract is with a partner abroad",
            detail_ko="해외 계약만 등록할 수 있습니다",
            fields=[field_error("body.country", "must not be KR")],
        )
    row = OverseasExpansion(company_id=company.id, **body.model_dump())
    company.overseas.append(row)
    grow(company)
    session.flush()
    return row


def create_regional_centre(session: Session, body: RegionalCentreIn) -> RegionalCentre:
    _taken(session, RegionalCentre, body.id, "regional centre")
    for centre in session.scalars(repository.regional_centres()):
        shared = sorted(set(centre.regions) & set(body.regions))
        if shared:
            raise Conflict(
                f"regions {', '.join(shared)} already belong to centre '{centre.id}'",
                detail_ko="이미 다른 센터가 담당하는 지역입니다",
                fields=[field_error("body.regions", f"served by {centre.id}")],
            )
    row = RegionalCentre(**body.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row


def regional_centre(session: Session, centre_id: str) -> RegionalCentre:
    row: RegionalCentre = _get(session, RegionalCentre, centre_id, "regional centre", "지역센터")
    return row


def staffed_centre(session: Session, principal: Principal, centre_id: str) -> RegionalCentre:
    """The centre, for admins and for agency staff scoped to one of its regions."""
    centre = regional_centre(session, centre_id)
    if not any(principal.covers_region(code) for code in centre.regions):
        raise Forbidden(
            "you are not staff of this centre's regions (token claim 'regions')",
            detail_ko="담당 지역의 센터만 볼 수 있습니다",
        )
    return centre


def centres_of(session: Session, principal: Principal) -> list[RegionalCentre]:
    every = session.scalars(repository.regional_centres().order_by(RegionalCentre.id))
    return [c for c in every if any(principal.covers_region(code) for code in c.regions)]


def local_counts(session: Session, centre: RegionalCentre) -> dict[str, int]:
    designated = {d.company_id for d in repository.in_force_designations(session)}
    companies = repository.companies_in(session, centre.regions)
    return {
        "smes": sum(1 for c in companies if c.kind == "sme"),
        "vendors": sum(1 for c in companies if c.kind == "vendor"),
        "designated": sum(1 for c in companies if c.id in designated),
    }


def regional_dashboard(
    centre: RegionalCentre,
    counts: dict[str, int],
    by_region: dict[str, Any],
    by_industry: dict[str, Any],
    usecase_regions: dict[str, Any],
) -> RegionalDashboard:
    mine = set(centre.regions)
    region_groups = [g for g in by_region["groups"] if g["key"] in mine]
    return RegionalDashboard(
        centre=from_row(RegionalCentreOut, centre),
        smes=counts["smes"],
        vendors=counts["vendors"],
        designated=counts["designated"],
        deployments=[CountBy(key=g["key"], count=g["count"]) for g in region_groups],
        median_kpi_improvement_pct={g["key"]: g["median_kpi_improvement_pct"] for g in region_groups},
        usecases=[
            CountBy(key=i["code"], count=i["count"]) for i in usecase_regions["items"] if i["code"] in mine
        ],
        industry_benchmarks={
            g["key"]: g["median_kpi_improvement_pct"]
            for g in by_industry["groups"]
            if g["key"] in centre.industries
        },
        omitted={
            "data_uploaded": "the lake offers no per-region upload aggregate yet",
            "industry_benchmarks_by_region": "deployment aggregates are by region or by industry, not both",
        },
    )


def create_support_centre(session: Session, body: SupportCentreIn) -> SupportCentre:
    _taken(session, SupportCentre, body.id, "support centre")
    row = SupportCentre(**body.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row


def create_programme(session: Session, centre_id: str, body: ProgrammeIn) -> Programme:
    centre = _get(session, SupportCentre, centre_id, "support centre", "지원센터")
    _taken(session, Programme, body.id, "programme")
    if body.closes_on < body.opens_on:
        raise ValidationFailed(
            "a programme closes after it opens",
            detail_ko="마감일이 시작일보다 빠릅니다",
            fields=[field_error("body.closes_on", "before opens_on")],
        )
    row = Programme(centre_id=centre.id, **body.model_dump())
    session.add(row)
    session.flush()
    return row


def programme(session: Session, programme_id: str) -> Programme:
    row: Programme = _get(session, Programme, programme_id, "programme", "지원사업")
    return row


def apply_to_programme(
    session: Session, principal: Principal, programme_id: str, body: ProgrammeApplicationIn
) -> ProgrammeApplication:
    prog = programme(session, programme_id)
    company = repository.get_company(session, body.company_id)
    principal.require_org(company.id)
    today = utcnow().date()
    if not prog.opens_on <= today <= prog.closes_on:
        raise Conflict("the programme is not open for applications", detail_ko="신청 기간이 아닙니다")
    if company.growth_stage not in prog.stages:
        raise Conflict(
            f"the programme serves {', '.join(prog.stages)} companies; this one is {company.growth_stage}",
            detail_ko="지원 대상 성장단계가 아닙니다",
        )
    if session.scalars(repository.programme_applications(prog.id, company.id)).first() is not None:
        raise Conflict("the company already applied to this programme", detail_ko="이미 신청했습니다")
    row = ProgrammeApplication(programme_id=prog.id, company_id=company.id, plan=body.plan, status="applied")
    session.add(row)
    session.flush()
    return row


def decide_programme_application(
    session: Session, application_id: str, body: ProgrammeDecisionIn
) -> ProgrammeApplication:
    row: ProgrammeApplication = _get(session, ProgrammeApplication, application_id, "application", "신청")
    if row.status != "applied":
        raise Conflict(f"already {row.status}", detail_ko="이미 결정된 신청입니다")
    if body.decision == "selected" and body.support_krw is None:
        raise ValidationFailed(
            "a selection grants an amount",
            detail_ko="지원 금액을 입력하세요",
            fields=[field_error("body.support_krw", "required when selected")],
        )
    row.status, row.reason, row.decided_at = body.decision, body.reason, utcnow()
    row.support_krw = body.support_krw if body.decision == "selected" else None
    session.flush()
    return row
