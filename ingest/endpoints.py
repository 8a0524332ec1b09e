"""Routes of /api/v1/ingest: batch upload from edge gateways, batch status, dead letters."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import pyarrow as pa
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pyiceberg.expressions import And, BooleanExpression, EqualTo

from ingest import parsing, service
from ingest.runtime import IngestRuntime
from ingest.schemas import BatchReceipt, BatchStatus, DeadLetter
from services.kit.clients import service_client
from services.kit.db import SessionDep
from services.kit.errors import Forbidden, NotFound, PayloadTooLarge
from services.kit.pagination import Page, PageDep, decode_offset, encode_cursor
from services.kit.principal import Authenticated, Gateway, Principal
from services.kit.spec import Responses

router = APIRouter()
MODEL_CACHE_S = 60.0
BATCH_ID = r"^[A-Za-z0-9._:-]{1,128}$"

UPLOAD_RESPONSES: Responses = {
    200: {"description": "this batch id was accepted before; nothing written again", "model": BatchReceipt},
    400: {
        "description": "undecodable body, or (policy=reject) every violation as fields[].loc rows[i].field"
    },
    403: {"description": "the token's factory is not X-Factory-Id"},
    413: {"description": "body or decompressed body above the limit"},
    415: {"description": "unsupported Content-Type or Content-Encoding"},
    503: {"description": "bus unavailable; retry after Retry-After seconds"},
}
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            parsing.JSON: {
                "example": {
                    "readings": [
                        {
                            "equipment_id": "eq-1-01",
                            "model_id": "cnc-lathe",
                            "model_version": "1.0.0",
                            "item_id": "spindle_speed",
                            "ts": "2025-11-24T09:00:00+09:00",
                            "value": 1200.5,
                            "unit": "rpm",
                            "quality": "good",
                        }
                    ]
                }
            },
            parsing.CSV: {
                "example": "equipment_id,model_id,model_version,item_id,ts,value,unit,quality\n"
                "eq-1-01,cnc-lathe,1.0.0,coolant_temp,2025-11-24T00:00:00Z,98.6,°F,good\n"
            },
            parsing.ARROW: {"schema": {"type": "string", "format": "binary"}},
            parsing.PARQUET: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _runtime(request: Request) -> IngestRuntime:
    runtime: IngestRuntime = request.app.state.ingest
    return runtime


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"body of {declared} bytes exceeds the limit of {limit} bytes",
            detail_ko=f"본문이 한도({limit} bytes)를 넘습니다",
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"body exceeds the limit of {limit} bytes", detail_ko=f"본문이 한도({limit} bytes)를 넘습니다"
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _models(request: Request, table: pa.Table) -> dict[tuple[str, str], dict[str, Any] | str]:
    """The version document of every model version the batch names, or why it cannot be used."""
    cache: dict[tuple[str, str], tuple[float, dict[str, Any] | str]] = _runtime(request).model_cache
    pairs = table.select(["model_id", "model_version"]).group_by(["model_id", "model_version"]).aggregate([])
    out: dict[tuple[str, str], dict[str, Any] | str] = {}
    for model_id, version in zip(
        pairs["model_id"].to_pylist(), pairs["model_version"].to_pylist(), strict=True
    ):
        key = (model_id or "", version or "")
        hit = cache.get(key)
        if hit is None or hit[0] < time.monotonic():
            try:
                doc: dict[str, Any] | str = await service_client(request).get_json(
                    "standards", f"/{key[0]}/versions/{key[1]}"
                )
            except NotFound:
                doc = f"equipment model {key[0]} {key[1]} is not a published data standard"
            if isinstance(doc, dict) and doc.get("status") != "published":
                doc = (
                    f"version {key[1]} of {key[0]} is {doc.get('status')}; only published versions take data"
                )
            hit = (time.monotonic() + MODEL_CACHE_S, doc)
            cache[key] = hit
        out[key] = hit[1]
    return out


def _require_factory(principal: Principal, factory_id: str) -> None:
    if not principal.is_admin and principal.factory_id != factory_id:
        raise Forbidden(
            f"this client uploads for factory '{principal.factory_id}', not '{factory_id}'",
            detail_ko="등록된 공장의 데이터만 올릴 수 있습니다",
        )


@router.post(
    "/batches",
    status_code=202,
    summary="Upload a batch of readings from an edge gateway (gateway)",
    response_model=BatchReceipt,
    responses=UPLOAD_RESPONSES,
    openapi_extra=_BODY_DOC,
)
async def upload_batch(
    request: Request,
    principal: Gateway,
    session: SessionDep,
    x_batch_id: Annotated[str, Header(pattern=BATCH_ID, description="idempotency key of the batch")],
    x_factory_id: Annotated[str, Header(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")],
    content_type: Annotated[str | None, Header()] = None,
    content_encoding: Annotated[str | None, Header()] = None,
    policy: Annotated[
        Literal["reject", "partial"], Query(description="reject the whole batch, or keep valid rows")
    ] = "reject",
) -> Any:
    _require_factory(principal, x_factory_id)
    settings = request.app.state.settings
    kind = parsing.media_type(content_type)
    earlier = await run_in_threadpool(service.previous, session, x_factory_id, x_batch_id)
    if earlier is not None:
        return JSONResponse(service.receipt(earlier, duplicate=True).model_dump(), status_code=200)
    body = await _read_body(request, settings.upload_max_bytes)
    raw = await run_in_threadpool(parsing.decompress, body, content_encoding, settings.upload_max_bytes * 4)
    table = await run_in_threadpool(parsing.parse, kind, raw)
    models = await _models(request, table)
    outcome = await run_in_threadpool(service.check, table, models, policy, settings.future_tolerance_seconds)
    org_id = principal.org_id or ""
    chunks = await run_in_threadpool(
        service.publish,
        _runtime(request),
        outcome,
        table,
        factory_id=x_factory_id,
        org_id=org_id,
        batch_id=x_batch_id,
    )
    batch, duplicate = await run_in_threadpool(
        lambda: service.record(
            session,
            factory_id=x_factory_id,
            batch_id=x_batch_id,
            org_id=org_id,
            policy=policy,
            outcome=outcome,
            chunks=chunks,
        )
    )
    return JSONResponse(service.receipt(batch, duplicate).model_dump(), status_code=200 if duplicate else 202)


@router.get(
    "/batches/{batch_id}",
    summary="Status of an uploaded batch (its gateway, its organisation, admin)",
    responses={404: {"description": "unknown batch"}},
)
def batch_status(
    batch_id: str,
    principal: Authenticated,
    session: SessionDep,
    factory_id: Annotated[str, Query(max_length=64)],
) -> BatchStatus:
    batch = service.previous(session, factory_id, batch_id)
    if batch is None or not (principal.acts_for(batch.org_id) or principal.factory_id == factory_id):
        raise NotFound(f"batch '{batch_id}' of factory '{factory_id}' does not exist")
    return BatchStatus(
        **service.receipt(batch, duplicate=False).model_dump(),
        policy=batch.policy,
        chunks=batch.chunks,
        received_at=batch.received_at,
    )


@router.get(
    "/dead-letters",
    summary="Rejected readings of a factory with the reason (its gateway, organisation, admin)",
)
def dead_letters(
    request: Request,
    principal: Authenticated,
    page: PageDep,
    factory_id: Annotated[str, Query(max_length=64)],
    batch_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[DeadLetter]:
    condition: BooleanExpression = EqualTo(term="factory_id", value=factory_id)
    if batch_id:
        condition = And(condition, EqualTo(term="batch_id", value=batch_id))
    rows = _runtime(request).lake.dead_letters().scan(row_filter=condition).to_arrow()
    if (
        rows.num_rows
        and principal.factory_id != factory_id
        and not all(principal.acts_for(org) for org in set(rows["org_id"].to_pylist()))
    ):
        raise Forbidden("these dead letters belong to another organisation")
    ordered = rows.sort_by(
        [("batch_id", "ascending"), ("row", "ascending"), ("field", "ascending")]
    ).to_pylist()
    start = decode_offset(page.cursor)
    chunk = ordered[start : start + page.limit]
    more = start + page.limit < len(ordered)
    return Page[DeadLetter](
        items=[DeadLetter(**r) for r in chunk],
        next_cursor=encode_cursor([start + page.limit]) if more else None,
    )
