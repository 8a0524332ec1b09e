"""Routes of /api/v1/companies."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.companies import repository, service
from services.companies.brn import problem
from services.companies.models import Company, Designation, Factory
from services.companies.schemas import (
    BrnCheck,
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    DecisionIn,
    DesignationIn,
    DesignationOut,
    FactoryIn,
    FactoryOut,
    FactoryPatch,
    TrackRecordOut,
)
from services.kit.clients import service_client
from services.kit.db import SessionDep
from services.kit.fields import IndustryCode, RegionCode, SubFieldCode
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import AdminOnly, Authenticated, VendorOnly, Writer
from services.kit.reference import GrowthStage
from services.kit.spec import Responses

router = APIRouter()

NOT_FOUND: Responses = {404: {"description": "no such company, factory or application"}}
FORBIDDEN: Responses = {403: {"description": "belongs to another organisation"}}


@router.post(
    "",
    status_code=201,
    summary="Register a company (admin; or a user registering its own organisation)",
    responses={409: {"description": "id or business registration number taken"}, **FORBIDDEN},
)
def create_company(body: CompanyIn, principal: Writer, session: SessionDep) -> CompanyOut:
    return service.company_out(service.create(session, principal, body))


@router.get("", summary="List companies (public)")
def list_companies(
    session: SessionDep,
    page: PageDep,
    kind: Literal["sme", "vendor"] | None = None,
    region: Annotated[RegionCode | None, Query()] = None,
    industry: Annotated[IndustryCode | None, Query()] = None,
    expertise: Annotated[SubFieldCode | None, Query(description="taxonomy sub-field")] = None,
    growth_stage: GrowthStage | None = None,
    designated: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[CompanyOut]:
    filters = repository.Filters(
        kind=kind,
        region=region,
        industry=industry,
        expertise=expertise,
        growth_stage=growth_stage.value if growth_stage else None,
        designated=designated,
        q=q,
    )
    return paginate(session, repository.filtered(filters), (Company.id,), page, service.company_out)


@router.get("/brn/{number}/check", summary="Check a 사업자등록번호 and its check digit (public)")
def check_brn(number: str) -> BrnCheck:
    digits, reason = problem(number)
    return BrnCheck(valid=reason is None, normalized=digits, reason=reason)


@router.get("/{company_id}", summary="One company (public)", responses=NOT_FOUND)
def get_company(company_id: str, session: SessionDep) -> CompanyOut:
    return service.company_out(repository.get_company(session, company_id))


@router.patch(
    "/{company_id}", summary="Change a company (itself or admin)", responses={**NOT_FOUND, **FORBIDDEN}
)
def update_company(company_id: str, body: CompanyPatch, principal: Writer, session: SessionDep) -> CompanyOut:
    return service.company_out(service.update(session, principal, company_id, body))


def _company_for_track_record(company_id: str, session: SessionDep) -> CompanyOut:
    return service.company_out(repository.get_company(session, company_id))


@router.get(
    "/{company_id}/track-record",
    summary="Track record computed from deployment records (public)",
    responses=NOT_FOUND,
)
async def track_record(
    request: Request, company: Annotated[CompanyOut, Depends(_company_for_track_record)]
) -> TrackRecordOut:
    figures = await service_client(request).get_json("deployments", f"/suppliers/{company.id}/track-record")
    return TrackRecordOut(
        **figures | {"company_id": company.id, "name": company.name, "designated": company.designated}
    )


@router.get(
    "/{company_id}/factories",
    summary="Factories of a company (the company or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def list_factories(
    company_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[FactoryOut]:
    service.require_owner(session, principal, company_id)
    return paginate(session, repository.factories_of(company_id), (Factory.id,), page, service.factory_out)


@router.post(
    "/{company_id}/factories",
    status_code=201,
    summary="Register a factory (the company or admin)",
    responses={**NOT_FOUND, **FORBIDDEN, 409: {"description": "factory id taken"}},
)
def add_factory(company_id: str, body: FactoryIn, principal: Writer, session: SessionDep) -> FactoryOut:
    return service.factory_out(service.add_factory(session, principal, company_id, body))


@router.get(
    "/{company_id}/factories/{factory_id}",
    summary="One factory with its equipment (the company, admin or the factory's gateway)",
    responses=NOT_FOUND,
)
def get_factory(
    company_id: str, factory_id: str, principal: Authenticated, session: SessionDep
) -> FactoryOut:
    return service.factory_out(service.visible_factory(session, principal, company_id, factory_id))


@router.patch(
    "/{company_id}/factories/{factory_id}",
    summary="Change a factory (the company or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def update_factory(
    company_id: str, factory_id: str, body: FactoryPatch, principal: Writer, session: SessionDep
) -> FactoryOut:
    return service.factory_out(service.update_factory(session, principal, company_id, factory_id, body))


@router.delete(
    "/{company_id}/factories/{factory_id}",
    status_code=204,
    summary="Delete a factory (the company or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def delete_factory(company_id: str, factory_id: str, principal: Writer, session: SessionDep) -> Response:
    service.delete_factory(session, principal, company_id, factory_id)
    return Response(status_code=204)


@router.post(
    "/{company_id}/designations",
    status_code=201,
    summary="Apply for specialist designation with a capability diagnosis (the vendor)",
    responses={**NOT_FOUND, **FORBIDDEN, 409: {"description": "not a vendor, or an application is pending"}},
)
def apply_for_designation(
    company_id: str, body: DesignationIn, principal: VendorOnly, session: SessionDep
) -> DesignationOut:
    return service.designation_out(service.apply(session, principal, company_id, body))


@router.get(
    "/{company_id}/designations",
    summary="Designation applications (the company or admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def list_designations(
    company_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[DesignationOut]:
    service.require_owner(session, principal, company_id)
    return paginate(
        session,
        repository.designations_of(company_id),
        (Designation.created_at, Designation.id),
        page,
        service.designation_out,
    )


@router.post(
    "/{company_id}/designations/{application_id}/decision",
    summary="Designate or reject an application (admin; a rejection needs a reason)",
    responses={**NOT_FOUND, 409: {"description": "already decided"}},
)
def decide_designation(
    company_id: str, application_id: str, body: DecisionIn, principal: AdminOnly, session: SessionDep
) -> DesignationOut:
    return service.designation_out(service.decide(session, principal, company_id, application_id, body))
