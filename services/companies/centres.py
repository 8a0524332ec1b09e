"""Overseas expansion, regional AI centres (지역 특화 제조AI센터) and support centres with programmes.

A region belongs to at most one regional centre. Centre staff are ``agency`` principals whose ``regions``
claim names the centre's regions; they see the centre's dashboard and (in the deployments service) verify
the records of those regions. Figures of other services come from their public aggregate APIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.companies import repository
from services.companies.centre_schemas import (
    CountBy,
    Disclosure,
    OverseasIn,
    ProgrammeApplicationIn,
    ProgrammeDecisionIn,
    ProgrammeIn,
    RegionalCentreIn,
    RegionalCentreOut,
    RegionalDashboard,
    SupportCentreIn,
    TelemetryBenchmark,
    UploadMonth,
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
from services.kit.messages import Msg
from services.kit.principal import Principal


def _taken(session: Session, model: type[Any], key: str, what: Msg) -> None:
    if session.get(model, key) is not None:
        raise Conflict(Msg("{what} '{key}' already exists", what=what, key=key))


def _get(session: Session, model: type[Any], key: str, what: Msg) -> Any:
    row = session.get(model, key)
    if row is None:
        raise NotFound(Msg("{what} '{key}' does not exist", what=what, key=key))
    return row


def add_overseas(
    session: Session, principal: Principal, company_id: str, body: OverseasIn
) -> OverseasExpansion:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    if body.country == "KR":
        raise ValidationFailed(
            Msg("an overseas contract is with a partner abroad"),
            fields=[field_error("body.country", Msg("must not be KR"))],
        )
    row = OverseasExpansion(company_id=company.id, **body.model_dump())
    company.overseas.append(row)
    grow(company)
    session.flush()
    return row


def create_regional_centre(session: Session, body: RegionalCentreIn) -> RegionalCentre:
    _taken(session, RegionalCentre, body.id, Msg("regional centre"))
    for centre in session.scalars(repository.regional_centres()):
        shared = sorted(set(centre.regions) & set(body.regions))
        if shared:
            raise Conflict(
                Msg(
                    "regions {shared} already belong to centre '{centre_id}'",
                    shared=", ".join(shared),
                    centre_id=centre.id,
                ),
                fields=[field_error("body.regions", Msg("served by {centre_id}", centre_id=centre.id))],
            )
    row = RegionalCentre(**body.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row


def regional_centre(session: Session, centre_id: str) -> RegionalCentre:
    row: RegionalCentre = _get(session, RegionalCentre, centre_id, Msg("regional centre"))
    return row


def staffed_centre(session: Session, principal: Principal, centre_id: str) -> RegionalCentre:
    """The centre, for admins and for agency staff scoped to one of its regions."""
    centre = regional_centre(session, centre_id)
    if not any(principal.covers_region(code) for code in centre.regions):
        raise Forbidden(Msg("you are not staff of this centre's regions (token claim 'regions')"))
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


@dataclass(frozen=True)
class Figures:
    """What a regional dashboard shows from the other services' APIs."""

    by_region: dict[str, Any]  # deployments aggregates
    by_industry: dict[str, Any]
    usecase_regions: dict[str, Any]
    telemetry: dict[str, Any] | None  # platform.region_telemetry; None: the lake did not answer
    regions: list[str]  # the centre's regions the caller covers (telemetry is read for these)


def _telemetry_benchmarks(
    centre: RegionalCentre, figures: Figures
) -> tuple[list[TelemetryBenchmark], dict[str, list[str]]]:
    assert figures.telemetry is not None
    shown: list[TelemetryBenchmark] = []
    withheld: dict[str, list[str]] = {}
    for kpi, answer in figures.telemetry["benchmarks"].items():
        groups = {
            (g["key"]["region"], g["key"]["industry"]): g
            for g in answer["items"]
            if g["key"]["region"] in figures.regions and g["key"]["industry"] in centre.industries
        }
        for (region, industry), g in sorted(groups.items()):
            stats = {k: g[k] for k in ("factories", "mean", "p25", "median", "p75")}
            shown.append(
                TelemetryBenchmark(kpi=kpi, unit=answer["unit"], region=region, industry=industry, **stats)
            )
        withheld[kpi] = [
            f"{region}/{industry}"
            for region in figures.regions
            for industry in centre.industries
            if (region, industry) not in groups
        ]
    return shown, withheld


def regional_dashboard(
    centre: RegionalCentre, counts: dict[str, int], figures: Figures, start: datetime, end: datetime
) -> RegionalDashboard:
    mine = set(centre.regions)
    region_groups = [g for g in figures.by_region["groups"] if g["key"] in mine]
    omitted = {
        "deployment_improvements_by_region_and_industry": "deployment aggregates are by region or by "
        "industry, not both; telemetry_benchmarks are by both",
    }
    uploads: list[UploadMonth] = []
    benchmarks: list[TelemetryBenchmark] = []
    withheld: dict[str, list[str]] = {}
    disclosure = None
    if figures.telemetry is None:
        omitted["telemetry"] = "the analytics service (lake) did not answer; uploads and benchmarks left out"
    else:
        uploads = [UploadMonth(**u) for u in figures.telemetry["uploads"]]
        benchmarks, withheld = _telemetry_benchmarks(centre, figures)
        # Every KPI's answer carries the same rule (one setting of the analytics service).
        rule = next(iter(figures.telemetry["benchmarks"].values()), None)
        disclosure = Disclosure.model_validate(rule) if rule else None
    return RegionalDashboard(
        centre=from_row(RegionalCentreOut, centre),
        period_start=start,
        period_end=end,
        smes=counts["smes"],
        vendors=counts["vendors"],
        designated=counts["designated"],
        deployments=[CountBy(key=g["key"], count=g["count"]) for g in region_groups],
        median_kpi_improvement_pct={g["key"]: g["median_kpi_improvement_pct"] for g in region_groups},
        usecases=[
            CountBy(key=i["code"], count=i["count"])
            for i in figures.usecase_regions["items"]
            if i["code"] in mine
        ],
        industry_benchmarks={
            g["key"]: g["median_kpi_improvement_pct"]
            for g in figures.by_industry["groups"]
            if g["key"] in centre.industries
        },
        uploads=uploads,
        telemetry_benchmarks=benchmarks,
        telemetry_benchmarks_withheld=withheld,
        disclosure=disclosure,
        omitted=omitted,
    )


def create_support_centre(session: Session, body: SupportCentreIn) -> SupportCentre:
    _taken(session, SupportCentre, body.id, Msg("support centre"))
    row = SupportCentre(**body.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row


def create_programme(session: Session, centre_id: str, body: ProgrammeIn) -> Programme:
    centre = _get(session, SupportCentre, centre_id, Msg("support centre"))
    _taken(session, Programme, body.id, Msg("programme"))
    if body.closes_on < body.opens_on:
        raise ValidationFailed(
            Msg("a programme closes after it opens"),
            fields=[field_error("body.closes_on", Msg("before opens_on"))],
        )
    row = Programme(centre_id=centre.id, **body.model_dump())
    session.add(row)
    session.flush()
    return row


def programme(session: Session, programme_id: str) -> Programme:
    row: Programme = _get(session, Programme, programme_id, Msg("programme"))
    return row


def apply_to_programme(
    session: Session, principal: Principal, programme_id: str, body: ProgrammeApplicationIn
) -> ProgrammeApplication:
    prog = programme(session, programme_id)
    company = repository.get_company(session, body.company_id)
    principal.require_org(company.id)
    today = utcnow().date()
    if not prog.opens_on <= today <= prog.closes_on:
        raise Conflict(Msg("the programme is not open for applications"))
    if company.growth_stage not in prog.stages:
        raise Conflict(
            Msg(
                "the programme serves {stages} companies; this one is {growth_stage}",
                stages=", ".join(prog.stages),
                growth_stage=company.growth_stage,
            )
        )
    if session.scalars(repository.programme_applications(prog.id, company.id)).first() is not None:
        raise Conflict(Msg("the company already applied to this programme"))
    row = ProgrammeApplication(programme_id=prog.id, company_id=company.id, plan=body.plan, status="applied")
    session.add(row)
    session.flush()
    return row


def decide_programme_application(
    session: Session, application_id: str, body: ProgrammeDecisionIn
) -> ProgrammeApplication:
    row: ProgrammeApplication = _get(session, ProgrammeApplication, application_id, Msg("application"))
    if row.status != "applied":
        raise Conflict(Msg("already {status}", status=row.status))
    if body.decision == "selected" and body.support_krw is None:
        raise ValidationFailed(
            Msg("a selection grants an amount"),
            fields=[field_error("body.support_krw", Msg("required when selected"))],
        )
    row.status, row.reason, row.decided_at = body.decision, body.reason, utcnow()
    row.support_krw = body.support_krw if body.decision == "selected" else None
    session.flush()
    return row
