"""Routes of /api/v1/usecases/{case_id}/model: a case's runnable ONNX model and its signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from services.kit.app_state import app_state
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
    fields_of,
)
from services.kit.messages import Msg
from services.kit.objects import ObjectStore
from services.kit.principal import MaybePrincipal
from services.standards.published import version_document
from services.usecases.auth import Author
from services.usecases.runnable import checks, service, store
from services.usecases.runnable.runner import limits_of
from services.usecases.runnable.schemas import CaseModelOut
from services.usecases.runnable.signature import Signature

router = APIRouter()

NOT_FOUND: Declared = (NotFound, "no such use case, or it carries no model")
FORBIDDEN: Declared = (Forbidden, "the case belongs to another organisation")


def model_store(request: Request) -> ObjectStore:
    return store.models_of(app_state(request))


@router.put(
    "/{case_id}/model",
    summary="Attach an ONNX model with its input signature to a case (owner or admin); checked, dry-run, "
    "stored by SHA-256",
)
@answers(
    NOT_FOUND,
    FORBIDDEN,
    (PayloadTooLarge, "larger than ai.model_max_bytes"),
    (
        ValidationFailed,
        "not ONNX, refused by the checker, a signature that does not match the graph or the "
        "standard, or a failed dry run",
    ),
    (ServiceUnavailable, "the standards service is unreachable"),
)
async def put_model(
    request: Request,
    case_id: str,
    principal: Author,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="the ONNX model (protobuf; never pickle)")],
    signature: Annotated[
        str, Form(max_length=20_000, description="the input signature as JSON (see docs/ai-cases.md)")
    ],
) -> CaseModelOut:
    await run_in_threadpool(service.owned, session, principal, case_id)  # others learn nothing from checks
    limit = app_state(request).settings.ai.model_max_bytes
    data = await file.read(limit + 1)
    checks.check_size(len(data), limit)
    try:
        parsed = Signature.model_validate_json(signature)
    except ValidationError as exc:
        raise ValidationFailed(
            Msg("invalid signature"), fields=fields_of(exc.errors(), ("body", "signature"))
        ) from None
    await run_in_threadpool(checks.check_graph, data, parsed)
    document = await version_document(request, parsed.model_id, parsed.model_version)
    ranges = checks.check_standard(parsed, document)
    await run_in_threadpool(checks.dry_run, data, parsed, ranges, limits_of(app_state(request).settings))
    digest = await run_in_threadpool(store.save, model_store(request), data)
    return await run_in_threadpool(service.attach, session, principal, case_id, parsed, digest, len(data))


@router.get(
    "/{case_id}/model",
    summary="A case's model: its SHA-256 and input signature (public when the case is published)",
)
@answers(NOT_FOUND)
def get_model(case_id: str, session: SessionDep, principal: MaybePrincipal) -> CaseModelOut:
    return service.get(session, principal, case_id)
