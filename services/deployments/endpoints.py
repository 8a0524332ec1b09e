"""Routes of /api/v1/deployments.

Endpoints that ask another service (companies, identity, analytics) are ``async``: they ask first, then run
the database work in the threadpool; writes name the version they change through ``If-Match``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.deployments import (
    access,
    aftercare,
    documents,
    evidence,
    figures,
    lifecycle,
    repository,
    service,
)
from services.deployments.auth import IfMatch, PartyOrAgency, etag, expected_version
from services.deployments.models import DeploymentRecord, HistoryEntry, Ticket
from services.deployments.parties import check_parties, factory_errors, raise_if
from services.deployments.programmes import PROGRAMMES
from services.deployments.schemas import (
    Aggregates,
    DeploymentFacets,
    DeploymentIn,
    DeploymentOut,
    DeploymentPatch,
    DeploymentSort,
    FactorySite,
    HistoryOut,
    KpiMeasureIn,
    KpiPut,
    KpiSource,
    ProcessOut,
    ProgrammeOut,
    RecordStatus,
    RerunOut,
    StageName,
    TicketAnswerIn,
    TicketIn,
    TicketOut,
    TrackRecord,
    TransitionIn,
)
from services.deployments.storage import document_store
from services.kit import reference as ref
from services.kit.bodies import merged
from services.kit.clients import bearer_token, service_client
from services.kit.db import SessionDep, utcnow
from services.kit.errors import NotFound
from services.kit.facets import generation, memo_of
from services.kit.fields import IndustryCode, RegionCode, SubFieldCode
from services.kit.messages import Msg
from services.kit.pagination import Page, PageDep, page_rows, paginate, positioned_rows
from services.kit.principal import (
    AgencyOnly,
    Authenticated,
    MaybePrincipal,
    Principal,
    SmeOnly,
    VendorOnly,
    Writer,
)
from services.kit.rendered import rendered_items, rendered_of, rendered_page
from services.kit.spec import Responses

router = APIRouter()
T = TypeVar("T")

NOT_FOUND: Responses = {404: {"description": "no such deployment record (or not visible to the caller)"}}
FORBIDDEN: Responses = {403: {"description": "the caller has no part in this record or step"}}
CONFLICT: Responses = {409: {"description": "not possible in the record's state (see detail and fields)"}}
STALE: Responses = {412: {"description": "If-Match names an older version: someone changed the record"}}
INVALID: Responses = {422: {"description": "invalid record; fields[].loc names each problem"}}
WRITE: Responses = {**NOT_FOUND, **FORBIDDEN, **CONFLICT, **STALE, **INVALID}
ETAG_HEADER: dict[str, Any] = {"ETag": {"description": "the record's version", "schema": {"type": "string"}}}


def _party_of_record(record_id: str, principal: Writer, session: SessionDep) -> Principal:
    """A party of the record: checked before a body is read, so others learn nothing from its errors."""
    access.require_party(principal, repository.get(session, record_id))
    return principal


async def _db(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(func, *args, **kwargs)


async def _private_for(request: Request, principal: Principal | None, record: DeploymentRecord) -> bool:
    """The parties, the region's agency and admins; others while the SME's ``deployments`` consent holds."""
    if access.sees_private(principal, record):
        return True
    if principal is None or principal.org_id is None:
        return False
    params = {
        "owner_org_id": record.sme_company_id,
        "grantee_org_id": principal.org_id,
        "scope": "deployments",
    }
    if record.factory_id:
        params["factory_id"] = record.factory_id
    try:
        answer = await service_client(request).get_json(
            "identity", "/consents/check", params=params, token=bearer_token(request)
        )
    except (NotFound, httpx.HTTPStatusError):  # no consent registry here, or it refuses: no consent
        return False
    return isinstance(answer, dict) and answer.get("granted") is True


class _PublishedMemo:
    """The memo of the published figures (facets, aggregates) at this request's generation of the records:
    every change of a record touches its updated_at (service.finish_change), its children's changes too."""

    def __init__(self, request: Request, session: Session) -> None:
        self._memo = memo_of(request.app.state, "deployments")
        self._now = generation(session, DeploymentRecord, DeploymentRecord.updated_at)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        return self._memo.get(key, self._now, compute)


def _out(record: DeploymentRecord, private: bool, response: Response | None = None) -> DeploymentOut:
    out = service.to_out(record, private=private, tickets=aftercare.counts(record.tickets))
    if response is not None:
        response.headers["ETag"] = etag(record.version)
    return out


def _written(record: DeploymentRecord, response: Response) -> DeploymentOut:
    return _out(record, True, response)


# --- catalogue -----------------------------------------------------------------------------------------


@router.get("/programmes", summary="Support programmes (지원사업): caps, shares, sub-fields, stages (public)")
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
def list_processes() -> list[ProcessOut]:
    return [
        ProcessOut(
            code=process,
            target_months=ref.PROCESS_TARGET_MONTHS[process],
            stages=[StageName(code=c, name={"ko": ko, "en": en}) for c, ko, en in stages],
        )
        for process, stages in ref.PROCESS_STAGES.items()
    ]


# --- records -------------------------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    summary="Draft a deployment record (the SME, or a vendor among its suppliers; admin)",
    responses={**FORBIDDEN, **INVALID},
    response_model=DeploymentOut,
)
async def create_deployment(
    request: Request, response: Response, body: DeploymentIn, principal: Writer, session: SessionDep
) -> DeploymentOut:
    if not principal.is_admin:  # who may draft it, before asking other services about it
        service.drafting_side(principal, body)
    facts = await check_parties(request, principal, body)

    def run() -> DeploymentOut:
        return _written(service.create(session, principal, body, facts), response)

    return await _db(run)


def _filters(
    region: Annotated[RegionCode | None, Query(description="시·도 code")] = None,
    industry: Annotated[IndustryCode | None, Query(description="KSIC division")] = None,
    subfield: Annotated[SubFieldCode | None, Query(description="taxonomy sub-field of a solution")] = None,
    level_before: ref.SystemLevel | None = None,
    level_after: ref.SystemLevel | None = None,
    supplier: Annotated[str | None, Query(max_length=64, description="supplier company id")] = None,
    year: Annotated[int | None, Query(ge=2014, le=2100)] = None,
    sme_company_id: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=100, description="words of the title or SME name")] = None,
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
    stmt = repository.page_columns(repository.public(filters), now)
    if sort is not None:
        rows, cursor = positioned_rows(session, stmt, repository.public_order(sort), page)
    else:
        rows, cursor = page_rows(session, stmt, (DeploymentRecord.created_at, DeploymentRecord.id), page)
    listed = [repository.public_listed(r) for r in rows]
    return _rendered(request, session, listed, cursor)


def _rendered(
    request: Request, session: Session, rows: list[repository.Listed], cursor: str | None
) -> Response:
    """A page of records as JSON: each record's output is built once per version (and what else it depends
    on: the caller's view of it, its after-care counts) and kept (services.kit.rendered)."""
    return rendered_page(
        rows, repository.Listed.key, rendered_of(request.app.state, "deployments"), _builder(session), cursor
    )


def _builder(session: Session) -> Callable[[list[repository.Listed]], list[DeploymentOut]]:
    """The output of the records not rendered yet, with their children loaded in one query per kind."""

    def build(missing: list[repository.Listed]) -> list[DeploymentOut]:
        full = repository.with_children(
            session, [r.id for r in missing], documents=any(r.private for r in missing)
        )
        return [service.to_out(full[r.id], private=r.private, tickets=r.tickets) for r in missing]

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
        rendered_of(request.app.state, "deployments"),
        _builder(session),
    )
    return Response(body, media_type="application/json", headers={"ETag": etag(row.version)})


@router.get(
    "/facets",
    summary="Counts of published records per region, industry, sub-field, level, supplier, KPI evidence "
    "and year, under the list's filters; each facet ignores its own filter (public)",
)
def deployment_facets(request: Request, session: SessionDep, filters: FiltersDep) -> DeploymentFacets:
    memo = _PublishedMemo(request, session)
    counts = memo.get(("facets", filters), lambda: repository.facets(session, filters))
    return DeploymentFacets.model_validate(counts)


@router.get(
    "/workspace",
    summary="Records in any state the caller takes part in (as SME, supplier, or agency of the region)",
    response_model=Page[DeploymentOut],
)
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
    return _rendered(request, session, listed, cursor)


@router.get(
    "/aggregates",
    summary="Counts, median KPI improvement and support amounts (groups of enough records) of published "
    "records by region, sub-field, industry or year (public)",
)
def aggregate_deployments(
    request: Request,
    session: SessionDep,
    by: Literal["region", "subfield", "industry", "year"] = "region",
    region: Annotated[RegionCode | None, Query(description="only the records of this 시·도")] = None,
) -> Aggregates:
    size = request.app.state.settings.min_group_size
    return _PublishedMemo(request, session).get(
        ("aggregates", by, region, size), lambda: figures.aggregates(session, by, size, region)
    )


@router.get(
    "/suppliers/{company_id}/track-record",
    summary="A supplier's track record: published records, KPI outcomes, after-care tickets (public)",
)
def supplier_track_record(company_id: str, session: SessionDep) -> TrackRecord:
    return figures.track_record(session, company_id)


@router.get(
    "/{record_id}",
    summary="One deployment record (public when published; private fields: parties, agency, admin, consent)",
    responses={**NOT_FOUND, 200: {"headers": ETAG_HEADER}},
    response_model=DeploymentOut,
)
async def get_deployment(
    request: Request, response: Response, record_id: str, principal: MaybePrincipal, session: SessionDep
) -> DeploymentOut | Response:
    if principal is None and (published := await _db(_published, request, session, record_id)) is not None:
        return published
    record = await _db(repository.get, session, record_id)
    access.require_readable(principal, record)
    private = await _private_for(request, principal, record)
    return await _db(_out, record, private, response)


@router.patch(
    "/{record_id}",
    summary="Change a record (its parties; a published record becomes a new revision in draft)",
    responses=WRITE,
)
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
    current = await _db(service.current_input, session, principal, record_id)
    data = merged(DeploymentIn, current, body, "record")
    facts = await check_parties(request, principal, data)

    def run() -> DeploymentOut:
        record = service.update(session, principal, record_id, data, facts, expected)
        return _written(record, response)

    return await _db(run)


@router.delete(
    "/{record_id}",
    status_code=204,
    summary="Delete a record (its parties while never published; admin always)",
    responses={**NOT_FOUND, **FORBIDDEN, **STALE},
)
def delete_deployment(
    request: Request, record_id: str, principal: Writer, session: SessionDep, if_match: IfMatch = None
) -> Response:
    keys = service.delete(session, principal, record_id, expected_version(if_match))
    session.commit()  # the rows go first: a document whose row is gone is never served again
    store = document_store(request.app)
    for key in keys:
        store.delete(key)
    return Response(status_code=204)


# --- lifecycle -----------------------------------------------------------------------------------------


def _transition(
    session: Session,
    principal: Principal,
    record_id: str,
    action: lifecycle.Action,
    body: TransitionIn | None,
    if_match: str | None,
    response: Response,
    *,
    factory_checked: bool = False,
) -> DeploymentOut:
    record = lifecycle.transition(
        session,
        principal,
        record_id,
        action,
        body.comment if body else None,
        expected_version(if_match),
        factory_checked=factory_checked,
    )
    return _out(record, access.sees_private(principal, record), response)


@router.post(
    "/{record_id}/submit", summary="Submit a draft for the other party's confirmation", responses=WRITE
)
def submit_deployment(
    record_id: str,
    response: Response,
    principal: Writer,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "submit", body, if_match, response)


@router.post(
    "/{record_id}/confirm",
    summary="Confirm the other party's record (the SME also vouches for its factory)",
    responses=WRITE,
)
async def confirm_deployment(
    request: Request,
    record_id: str,
    response: Response,
    principal: Writer,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = await _db(repository.get, session, record_id)
    access.require_readable(principal, record)
    checked = False
    if not record.factory_checked and record.factory_id and principal.acts_for(record.sme_company_id):
        site = FactorySite(
            factory_id=record.factory_id,
            name=record.factory_name,
            region_code=record.region_code,
            industry_code=record.industry_code,
        )
        raise_if(await factory_errors(request, record.sme_company_id, site, prefix="record"))
        checked = True
    return await _db(
        _transition,
        session,
        principal,
        record_id,
        "confirm",
        body,
        if_match,
        response,
        factory_checked=checked,
    )


@router.post(
    "/{record_id}/verify",
    summary="Verify a confirmed record (agency reviewer of its region; required stages need evidence)",
    responses=WRITE,
)
def verify_deployment(
    record_id: str,
    response: Response,
    principal: AgencyOnly,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "verify", body, if_match, response)


@router.post(
    "/{record_id}/publish",
    summary="Publish a verified record: public, counted in aggregates and track records (agency, admin)",
    responses=WRITE,
)
def publish_deployment(
    record_id: str,
    response: Response,
    principal: AgencyOnly,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "publish", body, if_match, response)


@router.post(
    "/{record_id}/return",
    summary="Send a record under review back to draft, with a comment (either party, the region's agency)",
    responses=WRITE,
)
def return_deployment(
    record_id: str,
    response: Response,
    body: TransitionIn,
    principal: PartyOrAgency,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "return", body, if_match, response)


@router.get(
    "/{record_id}/history",
    summary="Every change of a record: who, when, which fields, which revision (whoever may read it)",
    responses=NOT_FOUND,
)
def record_history(
    record_id: str, principal: MaybePrincipal, session: SessionDep, page: PageDep
) -> Page[HistoryOut]:
    access.require_readable(principal, repository.get(session, record_id))
    return paginate(
        session,
        repository.history(record_id),
        (HistoryEntry.id,),
        page,
        lambda h: HistoryOut.model_validate(h, from_attributes=True),
    )


@router.get(
    "/{record_id}/revisions/{revision}",
    summary="A revision of a record as it was published (public, also while a newer revision is drafted; "
    "private fields for those who may see them)",
    responses=NOT_FOUND,
)
async def get_revision(
    request: Request, record_id: str, revision: int, principal: MaybePrincipal, session: SessionDep
) -> DeploymentOut:
    record = await _db(repository.get, session, record_id)
    entry = await _db(repository.published_snapshot, session, record_id, revision)
    if entry is None or entry.snapshot is None:
        raise NotFound(Msg("revision {revision} was never published", revision=revision))
    published = DeploymentOut.model_validate(entry.snapshot)
    if await _private_for(request, principal, record):
        return published
    hidden = dict.fromkeys(("support_amount_krw", "company_share_krw", "contract", "documents"))
    return published.model_copy(
        update={
            **hidden,
            "private_visible": False,
            "factory": published.factory.model_copy(update={"address": None}),
            "stages": [s.model_copy(update={"document_ids": []}) for s in published.stages],
        }
    )


@router.post(
    "/{record_id}/stages/{code}/approve",
    summary="Approve a finished stage (the SME, the region's agency, admin)",
    responses=WRITE,
)
def approve_stage(
    record_id: str,
    code: Annotated[str, Path(max_length=16, description="a stage code of the record's process")],
    response: Response,
    principal: PartyOrAgency,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = lifecycle.approve_stage(session, principal, record_id, code, expected_version(if_match))
    return _out(record, access.sees_private(principal, record), response)


# --- KPIs ----------------------------------------------------------------------------------------------


@router.put(
    "/{record_id}/kpis/{kind}",
    summary="Set one self-reported KPI (the parties)",
    responses=WRITE,
)
def put_kpi(
    record_id: str,
    kind: ref.KpiKind,
    body: KpiPut,
    response: Response,
    principal: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = service.put_kpi(session, principal, record_id, kind, body, expected_version(if_match))
    return _written(record, response)


@router.post(
    "/{record_id}/kpis/{kind}/measure",
    summary="Measure a KPI from the factory's telemetry and store it with its evidence (the parties)",
    responses={**WRITE, 503: {"description": "the analytics service is unreachable"}},
)
async def measure_kpi(
    request: Request,
    record_id: str,
    kind: ref.KpiKind,
    body: KpiMeasureIn,
    response: Response,
    principal: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    expected = expected_version(if_match)
    factory_id = await _db(evidence.measurable_factory, session, principal, record_id, expected)
    metric = evidence.metric_for(kind, body.metric)
    baseline, after = body.baseline.model_dump(mode="json"), body.after.model_dump(mode="json")
    answer = await evidence.measure(request, factory_id, metric, baseline, after, None)

    def run() -> DeploymentOut:
        record = evidence.store(
            session, principal, record_id, kind, body, metric, factory_id, answer, expected
        )
        return _written(record, response)

    return await _db(run)


@router.post(
    "/{record_id}/kpis/{kind}/rerun",
    summary="Re-run a telemetry KPI on its stored lake snapshot and say whether it gives the same figures",
    responses={**NOT_FOUND, **FORBIDDEN, 503: {"description": "the analytics service is unreachable"}},
)
async def rerun_kpi(
    request: Request, record_id: str, kind: ref.KpiKind, principal: Authenticated, session: SessionDep
) -> RerunOut:
    stored = await _db(evidence.stored_evidence, session, principal, record_id, kind)
    answer = await evidence.measure(
        request,
        stored.factory_id,
        stored.metric,
        stored.baseline_period.model_dump(mode="json"),
        stored.after_period.model_dump(mode="json"),
        stored.snapshot_id,
    )
    return evidence.compare(stored, answer)


@router.post(
    "/{record_id}/kpis/{kind}/verify",
    summary="Mark a KPI verified (agency reviewer of the record's region)",
    responses=WRITE,
)
def verify_kpi(
    record_id: str,
    kind: ref.KpiKind,
    response: Response,
    principal: AgencyOnly,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = evidence.verify_kpi(session, principal, record_id, kind, expected_version(if_match))
    return _out(record, True, response)


# --- documents -----------------------------------------------------------------------------------------


@router.post(
    "/{record_id}/documents",
    status_code=201,
    summary="Upload an evidence document, optionally of one stage (PDF, PNG, JPEG, OOXML/HWPX; the parties)",
    responses={
        **WRITE,
        413: {"description": "larger than the document limit"},
        415: {"description": "not an accepted type, or content and extension disagree"},
    },
)
async def upload_document(
    request: Request,
    record_id: str,
    response: Response,
    principal: Annotated[Principal, Depends(_party_of_record)],
    session: SessionDep,
    file: Annotated[UploadFile, File(description="the document")],
    stage_code: Annotated[str | None, Form(max_length=16, description="the stage it proves")] = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    limit = request.app.state.settings.documents.max_bytes
    data = await file.read(limit + 1)
    expected = expected_version(if_match)
    store = document_store(request.app)

    def run() -> DeploymentOut:
        name = file.filename or ""
        document = documents.add(session, principal, record_id, name, data, stage_code, limit, expected)
        store.put(document.storage_key, data, document.content_type)
        return _written(repository.get(session, record_id), response)

    return await _db(run)


@router.get(
    "/{record_id}/documents/{document_id}",
    summary="Download an evidence document (parties, the region's agency, admin; others with consent)",
    responses={**NOT_FOUND, **FORBIDDEN, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
async def download_document(
    request: Request, record_id: str, document_id: str, principal: MaybePrincipal, session: SessionDep
) -> Response:
    record = await _db(repository.get, session, record_id)
    access.require_readable(principal, record)
    document = next((d for d in record.documents if d.id == document_id), None)
    if document is None:
        raise NotFound(Msg("document '{document_id}' does not exist", document_id=document_id))
    if not await _private_for(request, principal, record):
        raise access.private_refusal()
    data = await _db(document_store(request.app).get, document.storage_key)
    return Response(
        data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- after-care ----------------------------------------------------------------------------------------


@router.get(
    "/{record_id}/tickets",
    summary="After-care tickets of a record (parties, the region's agency, admin)",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def list_tickets(
    record_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[TicketOut]:
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    if not access.sees_private(principal, record):
        raise access.private_refusal()
    return paginate(
        session,
        repository.tickets_of_record(session, record_id),
        (Ticket.opened_at, Ticket.id),
        page,
        aftercare.ticket_out,
    )


@router.post(
    "/{record_id}/tickets",
    status_code=201,
    summary="Open an after-care ticket during the obligation period (the record's SME)",
    responses={**NOT_FOUND, **FORBIDDEN, **CONFLICT, **INVALID},
)
def open_ticket(record_id: str, body: TicketIn, principal: SmeOnly, session: SessionDep) -> TicketOut:
    return aftercare.ticket_out(aftercare.open_ticket(session, principal, record_id, body))


@router.post(
    "/{record_id}/tickets/{ticket_id}/answer",
    summary="Answer an after-care ticket (the supplier; the service level runs to due_at)",
    responses={**NOT_FOUND, **FORBIDDEN, **CONFLICT},
)
def answer_ticket(
    record_id: str, ticket_id: str, body: TicketAnswerIn, principal: VendorOnly, session: SessionDep
) -> TicketOut:
    return aftercare.ticket_out(aftercare.answer(session, principal, record_id, ticket_id, body))


@router.post(
    "/{record_id}/tickets/{ticket_id}/resolve",
    summary="Close an after-care ticket as resolved (the record's SME)",
    responses={**NOT_FOUND, **FORBIDDEN, **CONFLICT},
)
def resolve_ticket(record_id: str, ticket_id: str, principal: SmeOnly, session: SessionDep) -> TicketOut:
    return aftercare.ticket_out(aftercare.resolve(session, principal, record_id, ticket_id))
