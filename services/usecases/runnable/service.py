"""Attaching a model to a case (the owner's) and reading it (whoever may see the case). Never commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.kit.db import utcnow
from services.kit.errors import NotFound
from services.kit.messages import Msg
from services.kit.principal import Principal
from services.usecases import repository
from services.usecases.models import CaseModel, UseCase
from services.usecases.runnable.schemas import CaseModelOut
from services.usecases.runnable.signature import Signature


def owned(session: Session, principal: Principal, case_id: str) -> UseCase:
    case = repository.get(session, case_id, principal)
    principal.require_org(case.owner_org_id)
    return case


def attach(
    session: Session, principal: Principal, case_id: str, signature: Signature, digest: str, size: int
) -> CaseModelOut:
    """The case's model is now the file of ``digest`` (already stored) with ``signature``."""
    case = owned(session, principal, case_id)
    if case.runnable is None:
        case.runnable = CaseModel(case_id=case.id)
    row = case.runnable
    row.sha256, row.size_bytes = digest, size
    row.signature = signature.model_dump(mode="json")
    row.uploaded_by, row.uploaded_at = principal.subject, utcnow()
    session.flush()
    return to_out(row)


def get(session: Session, principal: Principal | None, case_id: str) -> CaseModelOut:
    case = repository.get(session, case_id, principal)
    if case.runnable is None:
        raise NotFound(Msg("use case '{case_id}' carries no model", case_id=case_id))
    return to_out(case.runnable)


def to_out(row: CaseModel) -> CaseModelOut:
    return CaseModelOut(
        case_id=row.case_id,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        signature=Signature.model_validate(row.signature),
        uploaded_at=row.uploaded_at,
    )
