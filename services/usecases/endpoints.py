"""Routes of /api/v1/usecases."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.kit.cache import CachesDep, Key, caches, viewer_of
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    ValidationFailed,
)
from services.kit.etags import etag, named_version
from services.kit.facets import MEMO_S, generation
from services.kit.fields import IndustryCode, RegionCode
from services.kit.messages import Msg
from services.kit.pagination import CursorQuery, Page, PageDep, page_rows, positioned_rows
from services.kit.principal import MaybePrincipal, Principal
from services.kit.rendered import page_json, rendered_items, rendered_of, rendered_page
from services.kit.search_terms import SEARCHABLE
from services.usecases import repository, service
from services.usecases.auth import Author, CaseIfMatch
from services.usecases.models import UseCase
from services.usecases.references import check_references
from services.usecases.schemas import (
    CaseStatus,
    RegionCounts,
    SearchResults,
    Taxonomy,
    UseCaseFacets,
    UseCaseIn,
    UseCaseOut,
    UseCasePatch,
    UseCaseSort,
)
from services.usecases.taxonomy import ProblemType, Technique

router = APIRouter()

NOT_FOUND: Declared = (NotFound, "no such use case (or a draft of another organisation)")
FORBIDDEN: Declared = (Forbidden, "the case belongs to another organisation")
INVALID: Declared = (ValidationFailed, "invalid case, or a referenced record that does not exist")
UNREACHABLE: Declared = (ServiceUnavailable, "a service checking the references is unreachable")
STALE = "If-Match names an older version: someone changed the case"


@router.post(
    "",
    status_code=201,
    summary="Register an AI use case as a draft (sme, vendor, admin)",
)
@answers(INVALID, FORBIDDEN, UNREACHABLE)
async def create_usecase(
    request: Request, body: UseCaseIn, principal: Author, session: SessionDep
) -> UseCaseOut:
    await check_references(request, body)
    return await run_in_threadpool(lambda: service.to_out(service.create(session, principal, body)))


# async though it does no I/O: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request.
async def _filters(
    region: Annotated[RegionCode | None, Query(description="시·도 code")] = None,
    industry: Annotated[IndustryCode | None, Query(description="KSIC division")] = None,
    problem_type: ProblemType | None = None,
    technique: Technique | None = None,
    supplier: Annotated[str | None, Query(max_length=64, description="supplier company id")] = None,
    model_id: Annotated[str | None, Query(max_length=64, description="equipment model used")] = None,
    status: CaseStatus | None = None,
    owner_org_id: Annotated[str | None, Query(max_length=64)] = None,
    deployment_id: Annotated[
        str | None, Query(max_length=32, description="the linked deployment record")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=SEARCHABLE,
            description="words as `/search` takes them: cases holding at least half of them",
            examples=["용접 불량"],
        ),
    ] = None,
) -> repository.Filters:
    return repository.Filters(
        region=region,
        industry=industry,
        problem_type=problem_type.value if problem_type else None,
        technique=technique.value if technique else None,
        supplier=supplier,
        model_id=model_id,
        status=status,
        owner_org_id=owner_org_id,
        deployment_id=deployment_id,
        words=tuple(service.query_words(q)) if q is not None else None,
    )


FiltersDep = Annotated[repository.Filters, Depends(_filters)]


@router.get(
    "",
    summary="List and filter AI use cases (public: published; owners also see their drafts)",
    response_model=Page[UseCaseOut],
)
@answers()
def list_usecases(
    request: Request,
    session: SessionDep,
    page: PageDep,
    principal: MaybePrincipal,
    filters: FiltersDep,
    sort: Annotated[
        UseCaseSort | None,
        Query(
            description="`relevance` to `q` (as `/search` ranks), `newest` published first, largest `effect`"
            " first, or by Korean `title`; the cursor of a sorted list is a position. Without it: oldest "
            "first (keyset cursor)."
        ),
    ] = None,
) -> Response:
    stmt = repository.listed(repository.filtered(filters, principal))
    if sort is not None:
        weights = service.rarity(session, filters.words) if filters.words and sort == "relevance" else {}
        rows, cursor = positioned_rows(session, stmt, repository.order(sort, weights), page)
    else:
        rows, cursor = page_rows(session, stmt, (UseCase.created_at, UseCase.id), page)

    return rendered_page(rows, _case_key, rendered_of(caches(request), "usecases"), _builder(session), cursor)


def _case_key(case: UseCase | repository.Hit) -> Hashable:
    # any change of a case, its effects' and models' too, moves its updated_at (kit.versioning)
    return (case.id, case.updated_at)


def _builder(session: Session) -> Callable[[Sequence[UseCase | repository.Hit]], list[UseCaseOut]]:
    """The output of the cases a page shows and has not rendered yet, loaded in one query."""

    def build(missing: Sequence[UseCase | repository.Hit]) -> list[UseCaseOut]:
        full = repository.with_children(session, [c.id for c in missing])
        return [service.to_out(full[c.id]) for c in missing]

    return build


@router.get(
    "/facets",
    summary="Counts of use cases per region, industry, problem type, technique and supplier, under the "
    "list's filters and search; each facet ignores its own filter (public: published; owners also "
    "count their drafts)",
)
@answers()
def usecase_facets(session: SessionDep, principal: MaybePrincipal, filters: FiltersDep) -> UseCaseFacets:
    return UseCaseFacets.model_validate(repository.facets(session, filters, principal))


@router.get("/regions", summary="Published use cases per 시·도, all 17 listed (public)")
@answers()
def usecase_regions(session: SessionDep) -> RegionCounts:
    return service.region_counts(session)


@router.get("/taxonomy", summary="Problem types and techniques, Korean and English, with counts (public)")
@answers()
def usecase_taxonomy(session: SessionDep) -> Taxonomy:
    return service.taxonomy(session)


@router.get(
    "/search",
    summary="Full-text search in Korean and English, ranked (public: published; owners also see drafts)",
    response_model=SearchResults,
)
@answers((ValidationFailed, "the query holds no searchable word"))
def search_usecases(
    request: Request,
    caches: CachesDep,
    session: SessionDep,
    principal: MaybePrincipal,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, pattern=SEARCHABLE, examples=["용접 불량", "defect detection"]),
    ],
    limit: Annotated[int, Query(ge=1, le=service.MAX_SEARCH_PAGE)] = 20,
    cursor: CursorQuery = None,
) -> Response:
    # Ranking a common word weighs thousands of postings: an answer is kept until any case changes (every
    # change of a case moves its updated_at, kit.versioning), for at most facets.MEMO_S seconds.
    hits, next_cursor = caches.answers.memo(
        _search_key(principal, q, limit, cursor, generation(session, UseCase, UseCase.updated_at)),
        lambda: service.search(session, principal, q, limit, cursor),
        fresh_s=MEMO_S,
    )
    cases = rendered_items(hits, _case_key, rendered_of(caches, "usecases"), _builder(session))
    return page_json((_hit_json(hit, case) for hit, case in zip(hits, cases, strict=True)), next_cursor)


def _search_key(principal: Principal | None, q: str, limit: int, cursor: str | None, cases: Hashable) -> Key:
    """The one key of a kept search answer: who may see which drafts, and the generation of the cases."""
    return Key("usecases.search", viewer_of(principal), cases, (q, limit, cursor))


def _hit_json(hit: repository.Hit, case: bytes) -> bytes:
    """A ``SearchHit`` around its case's rendered JSON (the contract tests hold it to the schema)."""
    score, matched = orjson.dumps(round(hit.score, 3)), orjson.dumps(hit.matched)
    return b'{"case":' + case + b',"score":' + score + b',"matched":' + matched + b"}"


def _tagged(case: UseCase, response: Response) -> UseCaseOut:
    response.headers["ETag"] = etag(case.version)
    return service.to_out(case)


@router.get("/{case_id}", summary="One use case (public when published)")
@answers(NOT_FOUND)
def get_usecase(
    case_id: str, session: SessionDep, principal: MaybePrincipal, response: Response
) -> UseCaseOut:
    return _tagged(repository.get(session, case_id, principal), response)


@router.patch(
    "/{case_id}",
    summary="Change a use case (owner or admin)",
)
@answers(NOT_FOUND, FORBIDDEN, INVALID, UNREACHABLE, (PreconditionFailed, STALE))
async def update_usecase(
    request: Request,
    case_id: str,
    body: UseCasePatch,
    principal: Author,
    session: SessionDep,
    response: Response,
    if_match: CaseIfMatch = None,
) -> UseCaseOut:
    await check_references(request, body)
    unknown = Msg("If-Match {if_match!r} names no version of this use case", if_match=if_match)
    expected = named_version(if_match, unknown)
    return await run_in_threadpool(
        lambda: _tagged(service.update(session, principal, case_id, body, expected), response)
    )


@router.post(
    "/{case_id}/publish",
    summary="Publish a draft: visible to everyone (owner or admin)",
)
@answers(NOT_FOUND, FORBIDDEN, (Conflict, "already published"), INVALID)
def publish_usecase(case_id: str, principal: Author, session: SessionDep) -> UseCaseOut:
    return service.to_out(service.publish(session, principal, case_id))


@router.post(
    "/{case_id}/unpublish",
    summary="Take a published case back to draft (owner or admin)",
)
@answers(NOT_FOUND, FORBIDDEN, (Conflict, "not published"))
def unpublish_usecase(case_id: str, principal: Author, session: SessionDep) -> UseCaseOut:
    return service.to_out(service.unpublish(session, principal, case_id))


@router.delete(
    "/{case_id}",
    status_code=204,
    summary="Delete a use case (owner or admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def delete_usecase(case_id: str, principal: Author, session: SessionDep) -> Response:
    service.delete(session, principal, case_id)
    return Response(status_code=204)
