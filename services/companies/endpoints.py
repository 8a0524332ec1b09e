"""Routes of /api/v1/companies."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from services.companies import (
    adoption_endpoints,
    centre_endpoints,
    dashboard_endpoints,
    designation_endpoints,
    factory_consents,
    repository,
    service,
)
from services.companies.brn import problem
from services.companies.designation_status import DesignationStatus, status_on
from services.companies.models import Company, Factory
from services.companies.schemas import (
    BrnCheck,
    CompanyFacets,
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    CompanySort,
    FactoryIn,
    FactoryOut,
    FactoryPatch,
    TrackRecordOut,
)
from services.kit.cache import caches
from services.kit.clients import service_client
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import Conflict, Forbidden, NotFound, ServiceUnavailable
from services.kit.fields import IndustryCode, IsoDate, RegionCode, SubFieldCode
from services.kit.pagination import Page, PageDep, page_rows, paginate, positioned_rows
from services.kit.principal import Authenticated, Writer
from services.kit.reference import GrowthStage
from services.kit.rendered import rendered_of, rendered_page
from services.kit.search_terms import SEARCHABLE

router = APIRouter()
# Fixed paths first: /{company_id} would otherwise take "registry" or "evaluators" for a company id.
router.include_router(designation_endpoints.static)
router.include_router(centre_endpoints.static)
router.include_router(dashboard_endpoints.router)
router.include_router(adoption_endpoints.router)

NOT_FOUND: Declared = (NotFound, "no such company, factory or application")
FORBIDDEN: Declared = (Forbidden, "belongs to another organisation")


@router.post(
    "",
    status_code=201,
    summary="Register a company (admin; or a user registering its own organisation)",
)
@answers((Conflict, "id or business registration number taken"), FORBIDDEN)
def create_company(body: CompanyIn, principal: Writer, session: SessionDep) -> CompanyOut:
    return service.company_out(service.create(session, principal, body))


# async though it does no I/O: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request.
async def _filters(
    kind: Literal["sme", "vendor"] | None = None,
    region: Annotated[RegionCode | None, Query()] = None,
    industry: Annotated[IndustryCode | None, Query()] = None,
    expertise: Annotated[SubFieldCode | None, Query(description="taxonomy sub-field")] = None,
    growth_stage: GrowthStage | None = None,
    designated: bool | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SEARCHABLE,
            description="words of the name, representative, region, industry or fields of expertise: "
            "companies holding every one of them (stems, synonyms and Korean bigrams as in "
            "docs/search.md), and the companies of `also`",
            examples=["컨트롤텍"],
        ),
    ] = None,
    ids: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(
            max_length=200,
            description="only these companies (repeat the parameter, up to 200): names for a page of records",
            examples=[["org-vendor-3", "org-vendor-9"]],
        ),
    ] = None,
    also: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(
            max_length=200,
            description="with `q`: these companies are found too, whether or not they hold its words (the "
            "portal passes the suppliers of the use cases and records `q` finds, so `용접` finds the "
            "companies that supply welding solutions); ignored without `q`",
            examples=[["org-vendor-3"]],
        ),
    ] = None,
) -> repository.Filters:
    return repository.Filters(
        kind=kind,
        region=region,
        industry=industry,
        expertise=expertise,
        growth_stage=growth_stage.value if growth_stage else None,
        designated=designated,
        q=q,
        ids=tuple(ids) if ids is not None else None,
        also=tuple(also or ()),
    )


FiltersDep = Annotated[repository.Filters, Depends(_filters)]


@router.get("", summary="List companies (public)", response_model=Page[CompanyOut])
@answers()
def list_companies(
    request: Request,
    session: SessionDep,
    page: PageDep,
    filters: FiltersDep,
    sort: Annotated[
        CompanySort | None,
        Query(
            description="by Korean `name`, highest `capability` level first, or `newest` first; the cursor "
            "of a sorted list is a position. Without it: by id (keyset cursor)."
        ),
    ] = None,
) -> Response:
    stmt = repository.listed(repository.filtered(filters))
    if sort is not None:
        rows, cursor = positioned_rows(session, stmt, repository.order(sort), page)
    else:
        rows, cursor = page_rows(session, stmt, (Company.id,), page)
    listed = [repository.Listed(r.id, r.updated_at, r.designated_until, r.overseas) for r in rows]

    def build(missing: list[repository.Listed]) -> list[CompanyOut]:
        found = repository.without_children(session, [c.id for c in missing])
        return [service.listed_out(found[c.id], c.designated_until, c.overseas) for c in missing]

    rendered = rendered_of(caches(request), "companies")
    return rendered_page(listed, repository.Listed.key, rendered, build, cursor)


@router.get(
    "/facets",
    summary="Counts of companies per kind, region, industry, sub-field of expertise, growth stage and "
    "designation, under the list's filters; each facet ignores its own filter (public)",
)
@answers()
def company_facets(session: SessionDep, filters: FiltersDep) -> CompanyFacets:
    return CompanyFacets.model_validate(repository.facets(session, filters))


@router.get("/brn/{number}/check", summary="Check a 사업자등록번호 and its check digit (public)")
@answers()
def check_brn(number: str) -> BrnCheck:
    digits, reason = problem(number)
    return BrnCheck(valid=reason is None, normalized=digits, reason=str(reason) if reason else None)


@router.get("/{company_id}", summary="One company (public)")
@answers(NOT_FOUND)
def get_company(company_id: str, session: SessionDep) -> CompanyOut:
    return service.company_out(repository.get_company(session, company_id))


@router.patch("/{company_id}", summary="Change a company (itself or admin)")
@answers(NOT_FOUND, FORBIDDEN)
def update_company(company_id: str, body: CompanyPatch, principal: Writer, session: SessionDep) -> CompanyOut:
    return service.company_out(service.update(session, principal, company_id, body))


@router.get(
    "/{company_id}/designation-status",
    summary="Was the company a designated specialist company on a day (KST)? Decides 8 or 12 stages (public)",
)
@answers(NOT_FOUND)
def designation_status(
    company_id: str, session: SessionDep, on: Annotated[IsoDate, Query(description="e.g. a contract date")]
) -> DesignationStatus:
    return status_on(repository.get_company(session, company_id), on)


def _company_for_track_record(company_id: str, session: SessionDep) -> CompanyOut:
    return service.company_out(repository.get_company(session, company_id))


@router.get(
    "/{company_id}/track-record",
    summary="Track record computed from deployment records (public)",
)
@answers(NOT_FOUND, (ServiceUnavailable, "the deployments service is unreachable"))
async def track_record(
    request: Request, company: Annotated[CompanyOut, Depends(_company_for_track_record)]
) -> TrackRecordOut:
    figures = await service_client(request).get_json("deployments", f"/suppliers/{company.id}/track-record")
    return TrackRecordOut(
        **figures | {"company_id": company.id, "name": company.name, "designated": company.designated}
    )


@router.get(
    "/factories/{factory_id}",
    summary="One factory by its id, with its company and equipment (the company, admin or its gateway)",
)
@answers(NOT_FOUND)
def get_factory_by_id(factory_id: str, principal: Authenticated, session: SessionDep) -> FactoryOut:
    return service.factory_out(service.visible_factory_by_id(session, principal, factory_id))


@router.get(
    "/{company_id}/factories",
    summary="Factories of a company (the company, admin, or a supplier its deployments consent covers)",
)
@answers(NOT_FOUND, FORBIDDEN)
async def list_factories(
    request: Request, company_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[FactoryOut]:
    await run_in_threadpool(repository.get_company, session, company_id)
    sight = await factory_consents.covered(request, principal, company_id)
    if not sight:
        principal.require_org(company_id)
    query = repository.factories_of(company_id)
    if not sight.every:
        query = query.where(Factory.id.in_(sorted(sight.ids)))
    return await run_in_threadpool(paginate, session, query, (Factory.id,), page, service.factory_out)


@router.post(
    "/{company_id}/factories",
    status_code=201,
    summary="Register a factory (the company or admin)",
)
@answers(NOT_FOUND, FORBIDDEN, (Conflict, "factory id taken"))
def add_factory(company_id: str, body: FactoryIn, principal: Writer, session: SessionDep) -> FactoryOut:
    return service.factory_out(service.add_factory(session, principal, company_id, body))


@router.get(
    "/{company_id}/factories/{factory_id}",
    summary="One factory with its equipment (the company, admin or the factory's gateway)",
)
@answers(NOT_FOUND)
def get_factory(
    company_id: str, factory_id: str, principal: Authenticated, session: SessionDep
) -> FactoryOut:
    return service.factory_out(service.visible_factory(session, principal, company_id, factory_id))


@router.patch(
    "/{company_id}/factories/{factory_id}",
    summary="Change a factory (the company or admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def update_factory(
    company_id: str, factory_id: str, body: FactoryPatch, principal: Writer, session: SessionDep
) -> FactoryOut:
    return service.factory_out(service.update_factory(session, principal, company_id, factory_id, body))


@router.delete(
    "/{company_id}/factories/{factory_id}",
    status_code=204,
    summary="Delete a factory (the company or admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def delete_factory(company_id: str, factory_id: str, principal: Writer, session: SessionDep) -> Response:
    service.delete_factory(session, principal, company_id, factory_id)
    return Response(status_code=204)


router.include_router(designation_endpoints.router)
router.include_router(centre_endpoints.router)
