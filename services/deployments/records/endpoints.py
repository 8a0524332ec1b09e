"""Routes of the records themselves: the programme and process catalogues, drafting, listing (public list,
facets, aggregates, a supplier's track record, the caller's workspace), reading, changing and deleting.

Facets under region and industry alone come from the tallies kept with the records (services.deployments
.tallies); the other published figures (facets under more filters or a search, aggregates) are kept per
generation of the records (``_PublishedMemo``); the pages of records are kept as rendered JSON per record
version (services.kit.rendered).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from services.deployments import access, repository
from services.deployments.aftercare import service as aftercare
from services.deployments.auth import IfMatch, etag, expected_version
from services.deployments.models import DeploymentRecord
from services.deployments.output import to_out
from services.deployments.parties import check_parties
from services.deployments.programmes import PROGRAMMES
from services.deployments.records import figures, service
from services.deployments.routing import (
    CONSENTS,
    ETAG_HEADER,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    PARTIES,
    STALE,
    WRITE,
    in_thread,
    out,
    private_for,
    written,
)
from services.deployments.schemas import (
    Aggregates,
    DeploymentFacets,
    DeploymentIn,
    DeploymentOut,
    DeploymentPatch,
    DeploymentSort,
    FacetName,
    KpiSource,
    ProcessOut,
    ProgrammeOut,
    RecordStatus,
    StageName,
    TrackRecord,
    WorkspacePage,
)
from services.deployments.storage import document_store
from services.kit import reference as ref
from services.kit.app_state import app_state
from services.kit.bodies import merged
from services.kit.cache import PUBLIC, Key, caches
from services.kit.contract import answers
from services.kit.db import SessionDep, utcnow
from services.kit.facets import MEMO_S, generation
from services.kit.fields import IndustryCode, RegionCode, SubFieldCode
from services.kit.pagination import Page, PageDep, page_rows, positioned_rows
from services.kit.principal import (
    Authenticated,
    MaybePrincipal,
    Writer,
)
from services.kit.rendered import rendered_items, rendered_of, rendered_page
from services.kit.search_terms import SEARCHABLE

router = APIRouter()


class _PublishedMemo:
    """The published figures (facets, aggregates) kept at this request's generation of the records: any
    change of a record or of its parts moves its updated_at (kit.versioning). They count published records
    only: one answer for every viewer, the public's."""

    def __init__(self, request: Request, session: Session) -> None:
        self._answers = caches(request).answers
        self._now = generation(session, DeploymentRecord, DeploymentRecord.updated_at)

    def get(self, asked: tuple[Hashable, ...], compute: Callable[[], Any]) -> Any:
        key = Key("deployments.published", PUBLIC, self._now, asked)
        return self._answers.memo(key, compute, fresh_s=MEMO_S)


@router.get("/programmes", summary="Support programmes (지원사업): caps, shares, sub-fields, stages (public)")
@answers()
def list_programmes() -> list[ProgrammeOut]:
    return [
        ProgrammeOut(
            code=p.code,
            name={"ko": p.ko, "en": p.en},
            cap_krw=p.cap_krw,
            government_share_pct=p.government_share_pct,
            company_share_pct=p.company_share_pct,
            subfields=list(p.subfields),
            required_stages=list(p.required_stages),
            after_care_months=p.after_care_months,
            after_care_months_designated=p.after_care_months_designated,
        )
        for p in PROGRAMMES
    ]


@router.get(
    "/processes",
    summary="The standard (12 stages, 23 months) and simplified (8 stages, 14 months) processes (public)",
)
@answers()
def list_processes() -> list[ProcessOut]:
    return [
        ProcessOut(
            code=process,
            target_months=ref.PROCESS_TARGET_MONTHS[process],
            stages=[StageName(code=c, name={"ko": ko, "en": en}) for c, ko, en in stages],
        )
        for process, stages in ref.PROCESS_STAGES.items()
    ]


@router.post(
    "",
    status_code=201,
    summary="Draft a deployment record (the SME, or a vendor among its suppliers; admin)",
    response_model=DeploymentOut,
)
@answers(FORBIDDEN, INVALID, PARTIES)
async def create_deployment(
    request: Request, response: Response, body: DeploymentIn, principal: Writer, session: SessionDep
) -> DeploymentOut:
    if not principal.is_admin:  # who may draft it, before asking other services about it
        service.drafting_side(principal, body)
    facts = await check_parties(request, principal, body)

    def run() -> DeploymentOut:
        return written(service.create(session, principal, body, facts), response)

    return await in_thread(run)


# async though it does no I/O: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request.
async def _filters(
    region: Annotated[RegionCode | None, Query(description="시·도 code")] = None,
    industry: Annotated[IndustryCode | None, Query(description="KSIC division")] = None,
    subfield: Annotated[SubFieldCode | None, Query(description="taxonomy sub-field of a solution")] = None,
    level_before: ref.SystemLevel | None = None,
    level_after: ref.SystemLevel | None = None,
    supplier: Annotated[str | None, Query(max_length=64, description="supplier company id")] = None,
    year: Annotated[int | None, Query(ge=2014, le=2100)] = None,
    sme_company_id: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SEARCHABLE,
            description="words of the title, SME, suppliers, solutions, KPIs, region or industry: records "
            "holding at least half of them (stems, synonyms and Korean bigrams as in docs/deployments.md)",
            examples=["용접 불량"],
        ),
    ] = None,
    programme: Annotated[str | None, Query(max_length=16, description="support programme code")] = None,
    process: ref.ProjectProcess | None = None,
    evidence: Annotated[KpiSource | None, Query(description="records with a KPI of this source")] = None,
) -> repository.Filters:
    return repository.Filters(
        region=region,
        industry=industry,
        subfield=subfield,
        level_before=level_before.value if level_before else None,
        level_after=level_after.value if level_after else None,
        supplier=supplier,
        year=year,
        sme_company_id=sme_company_id,
        q=q,
        programme=programme,
        process=process.value if process else None,
        evidence=evidence,
    )


FiltersDep = Annotated[repository.Filters, Depends(_filters)]


@router.get(
    "",
    summary="List and filter published deployment records (public; private fields hidden)",
    response_model=Page[DeploymentOut],
)
@answers()
def list_deployments(
    request: Request,
    session: SessionDep,
    page: PageDep,
    filters: FiltersDep,
    sort: Annotated[
        DeploymentSort | None,
        Query(
            description="`newest` first, or largest mean KPI `effect` first; the cursor of a sorted list is "
            "a position. Without it: oldest first (keyset cursor)."
        ),
    ] = None,
) -> Response:
    now = utcnow()
    stmt = repository.page_columns(repository.found(session, filters), now)
    if sort is not None:
        rows, cursor = positioned_rows(session, stmt, repository.public_order(sort), page)
    else:
        rows, cursor = page_rows(session, stmt, (DeploymentRecord.created_at, DeploymentRecord.id), page)
    listed = [repository.public_listed(r) for r in rows]
    return _rendered(request, session, listed, cursor)


def _rendered(
    request: Request, session: Session, rows: list[repository.Listed], cursor: str | None, **beside: Any
) -> Response:
    """A page of records as JSON: each record's output is built once per version (and what else it depends
    on: the caller's view of it, its after-care counts) and kept (services.kit.rendered)."""
    kept = rendered_of(caches(request), "deployments")
    return rendered_page(rows, repository.Listed.key, kept, _builder(session), cursor, **beside)


def _builder(session: Session) -> Callable[[list[repository.Listed]], list[DeploymentOut]]:
    """The output of the records not rendered yet, with their children loaded in one query per kind."""

    def build(missing: list[repository.Listed]) -> list[DeploymentOut]:
        full = repository.with_children(
            session, [r.id for r in missing], documents=any(r.private for r in missing)
        )
        return [to_out(full[r.id], private=r.private, tickets=r.tickets) for r in missing]

    return build


def _published(request: Request, session: Session, record_id: str) -> Response | None:
    """A published record as anyone signed out sees it, from the rendered JSON the public list shares;
    None when it is not published (the full path answers: a party's draft, or 404)."""
    stmt = repository.public(repository.Filters()).where(DeploymentRecord.id == record_id)
    row = session.execute(repository.page_columns(stmt, utcnow())).first()
    if row is None:
        return None
    (body,) = rendered_items(
        [repository.public_listed(row)],
        repository.Listed.key,
        rendered_of(caches(request), "deployments"),
        _builder(session),
    )
    return Response(body, media_type="application/json", headers={"ETag": etag(row.version)})


@router.get(
    "/facets",
    summary="Counts of published records per region, industry, sub-field, level, supplier, KPI evidence "
    "and year, under the list's filters; each facet ignores its own filter (public)",
)
@answers()
def deployment_facets(
    request: Request,
    session: SessionDep,
    filters: FiltersDep,
    only: Annotated[
        list[FacetName] | None,
        Query(
            description="count only these facets (repeat the parameter); the others answer empty lists. "
            "Omitted: every facet.",
            examples=[["supplier"]],
        ),
    ] = None,
) -> DeploymentFacets:
    asked = frozenset(only) if only else None
    counts = repository.kept_facets(session, filters, asked)
    if counts is None:  # counted over the matching records: kept per generation of the records
        memo = _PublishedMemo(request, session)
        counts = memo.get(("facets", filters, asked), lambda: repository.facets(session, filters, asked))
    return DeploymentFacets.model_validate(counts)


@router.get(
    "/workspace",
    summary="Records in any state the caller takes part in (as SME, supplier, or agency of the region)",
    response_model=WorkspacePage,
)
@answers()
def list_workspace(
    request: Request,
    principal: Authenticated,
    session: SessionDep,
    page: PageDep,
    status: RecordStatus | None = None,
    region: Annotated[RegionCode | None, Query(description="시·도 code")] = None,
    sme_company_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    filters = repository.Filters(status=status, region=region, sme_company_id=sme_company_id)
    stmt = repository.listed(repository.workspace(principal, filters))
    rows, cursor = page_rows(session, stmt, (DeploymentRecord.updated_at, DeploymentRecord.id), page)
    now = utcnow()
    listed = [
        repository.Listed(
            r.id, r.version, access.sees_private(principal, r), aftercare.counts(r.tickets, now)
        )
        for r in rows
    ]
    review_days = app_state(request).settings.deployments.review_within_days
    return _rendered(request, session, listed, cursor, review_within_days=review_days)


@router.get(
    "/aggregates",
    summary="Counts, median KPI improvement and support amounts (groups of enough records) of published "
    "records by region, sub-field, industry or year (public)",
)
@answers()
def aggregate_deployments(
    request: Request,
    session: SessionDep,
    by: Literal["region", "subfield", "industry", "year"] = "region",
    region: Annotated[RegionCode | None, Query(description="only the records of this 시·도")] = None,
) -> Aggregates:
    size = app_state(request).settings.min_group_size
    return _PublishedMemo(request, session).get(
        ("aggregates", by, region, size), lambda: figures.aggregates(session, by, size, region)
    )


@router.get(
    "/suppliers/{company_id}/track-record",
    summary="A supplier's track record: published records, KPI outcomes, after-care tickets (public)",
)
@answers()
def supplier_track_record(company_id: str, session: SessionDep) -> TrackRecord:
    return figures.track_record(session, company_id)


@router.get(
    "/{record_id}",
    summary="One deployment record (public when published; private fields: parties, agency, admin, consent)",
    responses={200: {"headers": ETAG_HEADER}},
    response_model=DeploymentOut,
)
@answers(NOT_FOUND, CONSENTS)
async def get_deployment(
    request: Request, response: Response, record_id: str, principal: MaybePrincipal, session: SessionDep
) -> DeploymentOut | Response:
    if (
        principal is None
        and (published := await in_thread(_published, request, session, record_id)) is not None
    ):
        return published
    record = await in_thread(repository.get, session, record_id)
    access.require_readable(principal, record)
    private = await private_for(request, principal, record)
    return await in_thread(out, record, private, response)


@router.patch(
    "/{record_id}",
    summary="Change a record (its parties; a published record becomes a new revision in draft)",
)
@answers(*WRITE, PARTIES)
async def update_deployment(
    request: Request,
    response: Response,
    record_id: str,
    body: DeploymentPatch,
    principal: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    expected = expected_version(if_match)
    current = await in_thread(service.current_input, session, principal, record_id)
    data = merged(DeploymentIn, current, body, "record")
    facts = await check_parties(request, principal, data)

    def run() -> DeploymentOut:
        record = service.update(session, principal, record_id, data, facts, expected)
        return written(record, response)

    return await in_thread(run)


@router.delete(
    "/{record_id}",
    status_code=204,
    summary="Delete a record (its parties while never published; admin always)",
)
@answers(NOT_FOUND, FORBIDDEN, STALE)
def delete_deployment(
    request: Request, record_id: str, principal: Writer, session: SessionDep, if_match: IfMatch = None
) -> Response:
    keys = service.delete(session, principal, record_id, expected_version(if_match))
    session.commit()  # the rows go first: a document whose row is gone is never served again
    store = document_store(request.app)
    for key in keys:
        store.delete(key)
    return Response(status_code=204)
