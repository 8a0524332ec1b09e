"""Routes of the ministry dashboard (/dashboard/...) and the technology-level survey figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from services.companies import dashboard, platform, repository
from services.companies.centre_schemas import from_row
from services.companies.dashboard_schemas import Overseas, Pipeline, SurveyIn, SurveyOut, Targets
from services.companies.models import Company, Designation, TechLevelSurvey
from services.kit.clients import service_client
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import ServiceUnavailable
from services.kit.principal import AdminOnly, MaybePrincipal, Role

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@dataclass(frozen=True)
class Local:
    designated: list[tuple[Designation, Company]]
    surveys: list[TechLevelSurvey]
    overseas: Overseas
    pipeline: Pipeline | None


UNREACHABLE: Declared = (ServiceUnavailable, "the standards or deployments service is unreachable")


def _local(session: SessionDep, principal: MaybePrincipal) -> Local:
    staff = principal is not None and principal.has_any(Role.AGENCY)
    return Local(
        designated=[(d, d.company) for d in repository.in_force_designations(session)],
        surveys=repository.surveys(session),
        overseas=repository.overseas_expansion(session),
        pipeline=repository.pipeline(session) if staff else None,
    )


async def _targets(request: Request, local: Local) -> Targets:
    client = service_client(request)
    models = await platform.all_items(client, "standards", "", {"status": "published"})
    records = await platform.all_items(client, "deployments", "")
    aggregates = {
        by: await client.get_json("deployments", "/aggregates", params={"by": by})
        for by in ("region", "subfield")
    }
    return dashboard.targets(
        local.designated, models, local.surveys, records, aggregates, local.overseas, local.pipeline
    )


@router.get(
    "/targets",
    summary="Progress toward the plan's targets by region and sub-field (public; pipeline for admin, agency)",
)
@answers(UNREACHABLE)
async def targets(request: Request, local: Annotated[Local, Depends(_local)]) -> Targets:
    return await _targets(request, local)


@router.get(
    "/targets.csv",
    summary="The same figures as CSV: section, key, metric, value (public)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per figure"}},
)
@answers(UNREACHABLE)
async def targets_csv(request: Request, local: Annotated[Local, Depends(_local)]) -> Response:
    body = dashboard.to_csv(await _targets(request, local))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="smartmfg-targets.csv"'},
    )


@router.put(
    "/tech-level-surveys/{year}",
    summary="Record the year's SME technology-level survey figure (admin)",
)
@answers()
def record_survey(
    year: Annotated[int, Path(ge=2000, le=2100)], body: SurveyIn, principal: AdminOnly, session: SessionDep
) -> SurveyOut:
    row = session.get(TechLevelSurvey, year) or TechLevelSurvey(year=year)
    row.level, row.source = body.level, body.source
    session.add(row)
    session.flush()
    return from_row(SurveyOut, row)


@router.get("/tech-level-surveys", summary="Recorded technology-level survey figures by year (public)")
@answers()
def list_surveys(session: SessionDep) -> list[SurveyOut]:
    return [from_row(SurveyOut, s) for s in repository.surveys(session)]
