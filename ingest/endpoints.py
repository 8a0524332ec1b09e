"""Routes of /api/v1/ingest: batch upload from edge gateways, batch status, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from catalog import dead_letters as dead_letter_pages
from ingest import parsing, service
from ingest.models import Batch
from ingest.runtime import RUNTIME, IngestRuntime
from ingest.schemas import BatchReceipt, BatchStatus, DeadLetter
from services.kit import arrow
from services.kit.app_state import app_state
from services.kit.bodies import read_limited
from services.kit.cache import Key, caches, viewer_of
from services.kit.clients import bearer_token, service_client
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
    field_error,
)
from services.kit.messages import Msg
from services.kit.pagination import Page, PageDep, decode_cursor, encode_cursor, malformed_cursor, paginate
from services.kit.principal import Authenticated, Gateway, Principal
from services.kit.spec import Responses
from services.standards.published import version_document
from services.standards.schemas import DataItem, VersionOut
from services.standards.validation import Models

router = APIRouter()
BATCH_ID = r"^[A-Za-z0-9._:-]{1,128}$"

UPLOAD_RESPONSES: Responses = {
    200: {"description": "this batch id was accepted before; nothing written again", "model": BatchReceipt},
}
UPLOAD_ERRORS: tuple[Declared, ...] = (
    (BadRequest, "undecodable body, or (policy=reject) every violation as fields[].loc rows[i].field"),
    (Forbidden, "the token's factory is not X-Factory-Id, or the factory is another organisation's"),
    (PayloadTooLarge, "body or decompressed body above the limit"),
    (UnsupportedMediaType, "unsupported Content-Type or Content-Encoding"),
    (ValidationFailed, "X-Factory-Id is not a registered factory, or rows name unregistered equipment"),
    (ServiceUnavailable, "the bus, or the service of the factories or models, is unavailable; retry"),
)
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            parsing.JSON: {
                "schema": {
                    "type": "object",
                    "required": ["readings"],
                    "properties": {
                        "readings": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["equipment_id", "model_id", "model_version", "item_id", "ts"],
                                "properties": {
                                    "equipment_id": {"type": "string", "maxLength": 128},
                                    "model_id": {"type": "string", "maxLength": 128},
                                    "model_version": {"type": "string", "maxLength": 128},
                                    "item_id": {"type": "string", "maxLength": 128},
                                    "ts": {"type": "string", "format": "date-time"},
                                    "value": {"type": ["number", "string", "boolean", "null"]},
                                    "unit": {"type": ["string", "null"]},
                                    "quality": {
                                        "type": ["string", "null"],
                                        "enum": ["good", "uncertain", "bad", None],
                                    },
                                },
                            },
                        }
                    },
                },
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
                },
            },
            parsing.CSV: {
                "schema": {"type": "string"},
                "example": "equipment_id,model_id,model_version,item_id,ts,value,unit,quality\n"
                "eq-1-01,cnc-lathe,1.0.0,coolant_temp,2025-11-24T00:00:00Z,98.6,°F,good\n",
            },
            parsing.ARROW: {"schema": {"type": "string", "format": "binary"}},
            parsing.PARQUET: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _runtime(request: Request) -> IngestRuntime:
    return app_state(request).get(RUNTIME)


async def _models(request: Request, table: pa.Table) -> tuple[Models, list[str]]:
    """The data items of every model version the batch names, or why it cannot be used; and which of
    them are deprecated (still taking data, flagged in the receipt). The documents are those the analytics
    read too (services.standards.published: one cached fetch)."""
    pairs = table.select(["model_id", "model_version"]).group_by(["model_id", "model_version"]).aggregate([])
    out: dict[tuple[str, str], list[DataItem] | str] = {}
    deprecated: list[str] = []
    for model_id, version in zip(
        pairs["model_id"].to_pylist(), pairs["model_version"].to_pylist(), strict=True
    ):
        key = (model_id or "", version or "")
        doc = await version_document(request, *key)
        if doc is None:
            out[key] = f"equipment model {key[0]} {key[1]} is not a published data standard"
            continue
        found = VersionOut.model_validate(doc)
        # A deprecated version still takes data: gateways in the field move to the new one over time.
        out[key] = (
            found.items
            if found.status in ("published", "deprecated")
            else f"version {key[1]} of {key[0]} is {found.status}; only published ones take data"
        )
        if found.status == "deprecated":
            deprecated.append(f"{key[0]}@{key[1]}")
    return out, sorted(deprecated)


def _require_factory(principal: Principal, factory_id: str) -> None:
    if not principal.is_admin and principal.factory_id != factory_id:
        raise Forbidden(
            Msg(
                "this client uploads for factory '{own_factory_id}', not '{factory_id}'",
                own_factory_id=principal.factory_id,
                factory_id=factory_id,
            )
        )


def _factory_key(principal: Principal, factory_id: str) -> Key:
    """The one key of a factory document: read with the caller's token, so kept for the caller's viewer."""
    return Key("companies.factory", viewer_of(principal), None, (factory_id,))


async def _registered_factory(request: Request, principal: Principal, factory_id: str) -> dict[str, Any]:
    """The factory as the companies service registers it; it must belong to the caller's organisation.

    Kept for ``reference_cache_seconds`` (the upload path is hot) under :func:`_factory_key`; ownership is
    checked against each caller all the same. An unknown factory is not kept, so registering it takes effect
    at once.
    """
    cache = caches(request).reference
    key = _factory_key(principal, factory_id)
    factory: dict[str, Any] | None = cache.get(key)
    if factory is None:
        try:
            doc = await service_client(request).get_json(
                "companies", f"/factories/{factory_id}", token=bearer_token(request)
            )
        except NotFound:
            raise ValidationFailed(
                Msg(
                    "factory '{factory_id}' is not registered in the companies service", factory_id=factory_id
                ),
                fields=[field_error("header.x-factory-id", Msg("not a registered factory"))],
            ) from None
        factory = cache.put(key, doc, ttl_s=app_state(request).settings.reference_cache_seconds)
    if factory["company_id"] != principal.org_id:
        raise Forbidden(Msg("factory '{factory_id}' belongs to another organisation", factory_id=factory_id))
    return factory


def _require_known_equipment(factory: dict[str, Any], table: pa.Table) -> None:
    """Where the factory lists its equipment, every reading must come from one of them.

    Checked once per distinct equipment id of the batch (the column's dictionary): a batch of registered
    equipment costs nothing per row; the rows are read only to name the failing ones.
    """
    registry = {e["equipment_id"] for e in factory.get("equipment") or ()}
    if not registry:
        return
    column = arrow.as_dictionary(table["equipment_id"])
    unknown_ids = pc.invert(pc.is_in(column.dictionary, pa.array(sorted(registry))))
    if not pc.any(unknown_ids).as_py():
        return
    # null rows stay null here, and are not flagged: validation rejects a missing equipment_id
    unknown = pc.take(unknown_ids, column.indices)
    rows = pc.indices_nonzero(pc.fill_null(unknown, False)).to_pylist()
    if rows:  # none when the unknown ids are in the dictionary but on no row
        shown = rows[: service.MAX_LISTED_VIOLATIONS]
        raise ValidationFailed(
            Msg(
                "{count} readings name equipment that factory '{factory_id}' does not register",
                count=len(rows),
                factory_id=factory["id"],
            ),
            fields=[
                field_error(f"rows[{r}].equipment_id", Msg("not equipment of this factory")) for r in shown
            ],
        )


@router.post(
    "/batches",
    status_code=202,
    summary="Upload a batch of readings from an edge gateway (gateway)",
    response_model=BatchReceipt,
    responses=UPLOAD_RESPONSES,
    openapi_extra=_BODY_DOC,
)
@answers(*UPLOAD_ERRORS)
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
    factory = await _registered_factory(request, principal, x_factory_id)
    settings = app_state(request).settings
    kind = parsing.media_type(content_type)
    earlier = await run_in_threadpool(service.previous, session, x_factory_id, x_batch_id)
    if earlier is not None:
        return JSONResponse(service.receipt(earlier, duplicate=True).model_dump(), status_code=200)
    body = await read_limited(request, settings.upload.max_bytes)
    raw = await run_in_threadpool(
        parsing.decompress, body, content_encoding, settings.upload.max_decompressed_bytes
    )
    table = await run_in_threadpool(parsing.parse, kind, raw)
    _require_known_equipment(factory, table)
    models, deprecated = await _models(request, table)
    outcome = await run_in_threadpool(
        service.check, table, models, policy, settings.upload.future_tolerance_seconds
    )
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
    answer = service.receipt(batch, duplicate).model_copy(update={"deprecated_versions": deprecated})
    return JSONResponse(answer.model_dump(), status_code=200 if duplicate else 202)


@router.get(
    "/batches",
    summary="Batches a factory uploaded, newest first (its gateway, organisation, admin)",
)
@answers()
def list_batches(
    principal: Authenticated,
    session: SessionDep,
    page: PageDep,
    factory_id: Annotated[str, Query(max_length=64)],
) -> Page[BatchStatus]:
    keys = (Batch.received_at, Batch.batch_id)
    return paginate(
        session, service.batches_of(factory_id, principal), keys, page, service.status, descending=True
    )


@router.get(
    "/batches/{batch_id}",
    summary="Status of an uploaded batch (its gateway, its organisation, admin)",
)
@answers((NotFound, "unknown batch"))
def batch_status(
    batch_id: str,
    principal: Authenticated,
    session: SessionDep,
    factory_id: Annotated[str, Query(max_length=64)],
) -> BatchStatus:
    batch = service.previous(session, factory_id, batch_id)
    if batch is None or not (principal.acts_for(batch.org_id) or principal.factory_id == factory_id):
        raise NotFound(
            Msg(
                "batch '{batch_id}' of factory '{factory_id}' does not exist",
                batch_id=batch_id,
                factory_id=factory_id,
            )
        )
    return service.status(batch)


@router.get(
    "/dead-letters",
    summary="Rejected readings of a factory with the reason (its gateway, organisation, admin)",
)
@answers((Forbidden, "another organisation's"))
async def dead_letters(
    request: Request,
    principal: Authenticated,
    page: PageDep,
    factory_id: Annotated[str, Query(max_length=64)],
    batch_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[DeadLetter]:
    after = None
    if page.cursor:
        batch, row, field, rejected_at = decode_cursor(page.cursor, 4)
        try:
            after = dead_letter_pages.After(batch, int(row), field, datetime.fromisoformat(rejected_at))
        except (TypeError, ValueError):
            raise malformed_cursor() from None
    engine = await run_in_threadpool(_runtime(request).query_engine)
    rows, last = await run_in_threadpool(
        dead_letter_pages.page, engine, factory_id, batch_id, page.limit, after
    )
    if principal.factory_id != factory_id and not all(principal.acts_for(r["org_id"]) for r in rows):
        raise Forbidden(Msg("these dead letters belong to another organisation"))
    return Page[DeadLetter](
        items=[DeadLetter(**r) for r in rows],
        next_cursor=encode_cursor([last.batch_id, last.row, last.field, last.rejected_at]) if last else None,
    )
