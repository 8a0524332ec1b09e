"""Routes of /api/v1/deployments."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.deployments import repository, service
from services.deployments.models import DeploymentRecord
from services.deployments.schemas import (
    Aggregates,
    DeploymentIn,
    DeploymentOut,
    DeploymentPatch,
    KpiPut,
    TrackRecord,
)
from services.kit.db import SessionDep
from services.kit.fields import IndustryCode, RegionCode, SubFieldCode
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import Writer
from services.kit.reference import KpiKind, SystemLevel
from services.kit.spec import Responses

router = APIRouter()

NOT_FOUND: Responses = {404: {"description": "no such deployment record"}}
FORBIDDEN: Responses = {403: {"description": "the record belongs to another organisation"}}


@router.post(
    "",
    status_code=201,
    summary="Register a deployment record (sme, vendor, admin)",
    responses={422: {"description": "invalid record"}, **FORBIDDEN},
)
def create_deployment(body: DeploymentIn, principal: Writer, session: SessionDep) -> DeploymentOut:
    return service.to_out(service.create(session, principal, body))


@router.get("", summary="List and filter deployment records (public)")
def list_deployments(
    session: SessionDep,
    page: PageDep,
    region: Annotated[RegionCode | None, Query(description="시·도 code")] = None,
    industry: Annotated[IndustryCode | None, Query(description="KSIC division")] = None,
    subfield: Annotated[SubFieldCode | None, Query(description="taxonomy sub-field of a solution")] = None,
    level_before: SystemLevel | None = None,
    level_after: SystemLevel | None = None,
    supplier: Annotated[str | None, Query(max_length=64, description="supplier company id")] = None,
    year: Annotated[int | None, Query(ge=2014, le=2100)] = None,
    sme_company_id: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=100, description="words of the title or SME name")] = None,
) -> Page[DeploymentOut]:
    filters = repository.Filters(
        region=region,
        industry=industry,
        subfield=subfield,
        level_before=level_before.value if level_before else None,
        level_after=level_after.value if level_after else None,
        supplier=supplier,
        year=year,
        sme_company_id=sme_company_id,
        q=q,
    )
    return paginate(
        session,
        repository.filtered(filters),
        (DeploymentRecord.created_at, DeploymentRecord.id),
        page,
        service.to_out,
    )


@router.get(
    "/aggregates", summary="Counts and median KPI improvement by region, sub-field, industry or year (public)"
)
def aggregate_deployments(
    session: SessionDep, by: Literal["region", "subfield", "industry", "year"] = "region"
) -> Aggregates:
    return service.aggregates(session, by)


@router.get(
    "/suppliers/{company_id}/track-record",
    summary="A supplier's track record computed from its deployment records (public)",
)
def supplier_track_record(company_id: str, session: SessionDep) -> TrackRecord:
    return service.track_record(session, company_id)


@router.get("/{record_id}", summary="One deployment record (public)", responses=NOT_FOUND)
def get_deployment(record_id: str, session: SessionDep) -> DeploymentOut:
    return service.to_out(repository.get(session, record_id))


@router.patch(
    "/{record_id}",
    summary="Change a deployment record (owner or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def update_deployment(
    record_id: str, body: DeploymentPatch, principal: Writer, session: SessionDep
) -> DeploymentOut:
    return service.to_out(service.update(session, principal, record_id, body))


@router.put(
    "/{record_id}/kpis/{kind}",
    summary="Set one KPI, e.g. computed from telemetry (owner or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def put_kpi(
    record_id: str, kind: KpiKind, body: KpiPut, principal: Writer, session: SessionDep
) -> DeploymentOut:
    return service.to_out(service.put_kpi(session, principal, record_id, kind, body))


@router.delete(
    "/{record_id}",
    status_code=204,
    summary="Delete a deployment record (owner or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def delete_deployment(record_id: str, principal: Writer, session: SessionDep) -> Response:
    service.delete(session, principal, record_id)
    return Response(status_code=204)
