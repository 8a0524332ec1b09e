"""Routes of a record's evidence documents: upload (the parties), download (who may see private fields) and
removal from a draft (the uploading organisation)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from services.deployments import access, repository
from services.deployments.auth import IfMatch, expected_version
from services.deployments.documents import service as documents
from services.deployments.routing import (
    CONSENTS,
    FORBIDDEN,
    NOT_FOUND,
    STALE,
    WRITE,
    in_thread,
    private_for,
    written,
)
from services.deployments.schemas import (
    DeploymentOut,
)
from services.deployments.storage import document_store
from services.kit.app_state import app_state
from services.kit.contract import answers
from services.kit.db import SessionDep
from services.kit.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType
from services.kit.messages import Msg
from services.kit.principal import (
    MaybePrincipal,
    Principal,
    Writer,
)

router = APIRouter()


def _party_of_record(record_id: str, principal: Writer, session: SessionDep) -> Principal:
    """A party of the record: checked before a body is read, so others learn nothing from its errors."""
    access.require_party(principal, repository.get(session, record_id))
    return principal


@router.post(
    "/{record_id}/documents",
    status_code=201,
    summary="Upload an evidence document, optionally of one stage (PDF, PNG, JPEG, OOXML/HWPX; the parties)",
)
@answers(
    *WRITE,
    (PayloadTooLarge, "larger than the document limit"),
    (UnsupportedMediaType, "not an accepted type, or content and extension disagree"),
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
    limit = app_state(request).settings.documents.max_bytes
    data = await file.read(limit + 1)
    expected = expected_version(if_match)
    store = document_store(request.app)

    def run() -> DeploymentOut:
        name = file.filename or ""
        document = documents.add(session, principal, record_id, name, data, stage_code, limit, expected)
        store.put(document.storage_key, data, document.content_type)
        return written(repository.get(session, record_id), response)

    return await in_thread(run)


@router.get(
    "/{record_id}/documents/{document_id}",
    summary="Download an evidence document (parties, the region's agency, admin; others with consent)",
    responses={200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
@answers(NOT_FOUND, FORBIDDEN, CONSENTS)
async def download_document(
    request: Request, record_id: str, document_id: str, principal: MaybePrincipal, session: SessionDep
) -> Response:
    record = await in_thread(repository.get, session, record_id)
    access.require_readable(principal, record)
    document = next((d for d in record.documents if d.id == document_id), None)
    if document is None:
        raise NotFound(Msg("document '{document_id}' does not exist", document_id=document_id))
    if not await private_for(request, principal, record):
        raise access.private_refusal()
    data = await in_thread(document_store(request.app).get, document.storage_key)
    return Response(
        data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete(
    "/{record_id}/documents/{document_id}",
    summary="Remove an evidence document from a draft (the organisation that uploaded it; admin)",
)
@answers(
    NOT_FOUND,
    (Forbidden, "not a party, or the document was uploaded by another organisation"),
    (Conflict, "the record is not a draft, or a published revision lists the document"),
    STALE,
)
def delete_document(
    request: Request,
    record_id: str,
    document_id: str,
    response: Response,
    principal: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    key = documents.remove(session, principal, record_id, document_id, expected_version(if_match))
    answer = written(repository.get(session, record_id), response)
    session.commit()  # the row goes first: a document whose row is gone is never served again
    document_store(request.app).delete(key)
    return answer
