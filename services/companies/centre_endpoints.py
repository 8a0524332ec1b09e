"""Routes of overseas expansion, regional AI centres, support centres and their programmes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.companies import centres, platform, repository
from services.companies.auth import CentreStaff
from services.companies.centre_schemas import (
    Function,
    OverseasIn,
    OverseasOut,
    ProgrammeApplicationIn,
    ProgrammeApplicationOut,
    ProgrammeDecisionIn,
    ProgrammeIn,
    ProgrammeOut,
    RegionalCentreIn,
    RegionalCentreOut,
    RegionalDashboard,
    SupportCentreIn,
    SupportCentreOut,
    from_row,
)
from services.companies.models import (
    OverseasExpansion,
    Programme,
    ProgrammeApplication,
    RegionalCentre,
    SupportCentre,
)
from services.companies.service import require_owner
from services.kit.clients import bearer_token, service_client
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep, utcnow
from services.kit.errors import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, field_error
from services.kit.fields import AwareIsoDateTime
from services.kit.messages import Msg
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import AdminOnly, AgencyOnly, Authenticated, Role, Writer

# Fixed paths: mounted before /{company_id}.
static = APIRouter()
router = APIRouter()

NOT_FOUND: Declared = (NotFound, "no such company, centre, programme or application")
FORBIDDEN: Declared = (Forbidden, "another organisation, or a region outside your scope")
TAKEN: Declared = (Conflict, "id taken, region served by another centre, or not open")


def _programme_out(session: SessionDep) -> Callable[[Programme], ProgrammeOut]:
    def convert(row: Programme) -> ProgrammeOut:
        centre = session.get(SupportCentre, row.centre_id)
        return from_row(ProgrammeOut, row, function=centre.function if centre else "")

    return convert


@router.post(
    "/{company_id}/overseas",
    status_code=201,
    summary="Record an overseas contract; counts toward the 200 global companies (the company or admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def add_overseas(company_id: str, body: OverseasIn, principal: Writer, session: SessionDep) -> OverseasOut:
    row = centres.add_overseas(session, principal, company_id, body)
    return from_row(OverseasOut, row)


@router.get(
    "/{company_id}/overseas",
    summary="Overseas contracts of a company (the company or admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def list_overseas(
    company_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[OverseasOut]:
    require_owner(session, principal, company_id)
    return paginate(
        session,
        repository.overseas_of(company_id),
        (OverseasExpansion.id,),
        page,
        lambda r: from_row(OverseasOut, r),
    )


@static.post("/regional-centres", status_code=201, summary="Open a regional AI centre (admin)")
@answers(TAKEN)
def create_regional_centre(
    body: RegionalCentreIn, principal: AdminOnly, session: SessionDep
) -> RegionalCentreOut:
    return from_row(RegionalCentreOut, centres.create_regional_centre(session, body))


@static.get(
    "/regional-centres", summary="Regional AI centres with their regions and main industries (public)"
)
@answers()
def list_regional_centres(session: SessionDep, page: PageDep) -> Page[RegionalCentreOut]:
    return paginate(
        session,
        repository.regional_centres(),
        (RegionalCentre.id,),
        page,
        lambda r: from_row(RegionalCentreOut, r),
    )


@static.get("/regional-centres/mine", summary="The centres of the regions I am scoped to (agency)")
@answers()
def my_regional_centres(principal: AgencyOnly, session: SessionDep) -> list[RegionalCentreOut]:
    return [from_row(RegionalCentreOut, c) for c in centres.centres_of(session, principal)]


@static.get("/regional-centres/{centre_id}", summary="One regional AI centre (public)")
@answers(NOT_FOUND)
def get_regional_centre(centre_id: str, session: SessionDep) -> RegionalCentreOut:
    return from_row(RegionalCentreOut, centres.regional_centre(session, centre_id))


def _staffed(centre: CentreStaff, session: SessionDep) -> tuple[RegionalCentre, dict[str, int]]:
    return centre, centres.local_counts(session, centre)


# The longest telemetry period a dashboard reads: the lake scan grows with it.
MAX_PERIOD = timedelta(days=3 * 366)
Since = Annotated[
    AwareIsoDateTime | None,
    Query(alias="from", description="start of the telemetry period; default a year before `to`"),
]
Until = Annotated[
    AwareIsoDateTime | None, Query(description="end of the telemetry period; default the next whole hour")
]


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    # By default up to the next whole hour (no reading is later than now): the views of one hour ask the
    # analytics service the same question, whose answer it keeps per data version (catalog.lake_answers).
    end = end or utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = start or end - timedelta(days=365)
    checks = [
        ("query.to", Msg("must be after `from`"), end <= start),
        ("query.from", Msg("at most three years before `to`"), end - start > MAX_PERIOD),
        ("query.from", Msg("from 2000 on"), start.year < 2000),
        ("query.to", Msg("before 2100"), end.year >= 2100),
    ]
    failed = [field_error(loc, msg) for loc, msg, bad in checks if bad]
    if failed:
        raise BadRequest(Msg("the telemetry period is inconsistent"), fields=failed)
    return start, end


@static.get(
    "/regional-centres/{centre_id}/dashboard",
    summary="The region's SMEs, deployments, cases, data uploaded and main-industry benchmarks (its staff, "
    "admin)",
)
@answers(
    NOT_FOUND,
    FORBIDDEN,
    (BadRequest, "`to` not after `from`, or a period over three years"),
    (ServiceUnavailable, "a service the figures come from is unreachable"),
)
async def regional_dashboard(
    request: Request,
    principal: AgencyOnly,
    staffed: Annotated[tuple[RegionalCentre, dict[str, int]], Depends(_staffed)],
    start: Since = None,
    to: Until = None,
) -> RegionalDashboard:
    """Telemetry figures (uploads, KPI benchmarks of the main industries) cover the centre's regions the
    caller is scoped to; the benchmarks come with the analytics service's disclosure control."""
    centre, counts = staffed
    period = _period(start, to)
    client = service_client(request)
    regions = [code for code in centre.regions if principal.covers_region(code)]
    try:
        telemetry = await platform.region_telemetry(client, bearer_token(request), regions, *period)
    except (ServiceUnavailable, NotFound):  # the lake is down, or no analytics service is deployed
        telemetry = None
    figures = centres.Figures(
        by_region=await client.get_json("deployments", "/aggregates", params={"by": "region"}),
        by_industry=await client.get_json("deployments", "/aggregates", params={"by": "industry"}),
        usecase_regions=await client.get_json("usecases", "/regions"),
        telemetry=telemetry,
        regions=regions,
    )
    return centres.regional_dashboard(centre, counts, figures, *period)


@static.post("/support-centres", status_code=201, summary="Open a support centre by function (admin)")
@answers(TAKEN)
def create_support_centre(
    body: SupportCentreIn, principal: AdminOnly, session: SessionDep
) -> SupportCentreOut:
    return from_row(SupportCentreOut, centres.create_support_centre(session, body))


@static.get(
    "/support-centres", summary="Support centres: 기술개발, 창업기업 육성, 인력양성, 해외진출 (public)"
)
@answers()
def list_support_centres(
    session: SessionDep, page: PageDep, function: Function | None = None
) -> Page[SupportCentreOut]:
    return paginate(
        session,
        repository.support_centres(function),
        (SupportCentre.id,),
        page,
        lambda r: from_row(SupportCentreOut, r),
    )


@static.post(
    "/support-centres/{centre_id}/programmes",
    status_code=201,
    summary="Add a programme a support centre runs (admin)",
)
@answers(NOT_FOUND, TAKEN)
def create_programme(
    centre_id: str, body: ProgrammeIn, principal: AdminOnly, session: SessionDep
) -> ProgrammeOut:
    return _programme_out(session)(centres.create_programme(session, centre_id, body))


@static.get("/programmes", summary="Support programmes (public)")
@answers()
def list_programmes(
    session: SessionDep,
    page: PageDep,
    centre_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ProgrammeOut]:
    return paginate(session, repository.programmes(centre_id), (Programme.id,), page, _programme_out(session))


@static.post(
    "/programmes/{programme_id}/applications",
    status_code=201,
    summary="Apply to a programme for one's company: open, and serving its growth stage (sme, vendor)",
)
@answers(NOT_FOUND, FORBIDDEN, TAKEN)
def apply_to_programme(
    programme_id: str, body: ProgrammeApplicationIn, principal: Writer, session: SessionDep
) -> ProgrammeApplicationOut:
    return from_row(
        ProgrammeApplicationOut, centres.apply_to_programme(session, principal, programme_id, body)
    )


@static.get(
    "/programmes/{programme_id}/applications",
    summary="Applications to a programme (admin, agency: all; a company: its own)",
)
@answers(NOT_FOUND)
def list_programme_applications(
    programme_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[ProgrammeApplicationOut]:
    centres.programme(session, programme_id)
    staff = principal.has_any(Role.AGENCY)
    return paginate(
        session,
        repository.programme_applications(programme_id, None if staff else principal.org_id or ""),
        (ProgrammeApplication.id,),
        page,
        lambda r: from_row(ProgrammeApplicationOut, r),
    )


@static.post(
    "/programme-applications/{application_id}/decision",
    summary="Select (with the support granted) or reject an application (admin)",
)
@answers(NOT_FOUND, (Conflict, "already decided"))
def decide_programme_application(
    application_id: str, body: ProgrammeDecisionIn, principal: AdminOnly, session: SessionDep
) -> ProgrammeApplicationOut:
    return from_row(
        ProgrammeApplicationOut, centres.decide_programme_application(session, application_id, body)
    )
