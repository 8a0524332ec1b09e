"""Routes of after-care tickets: list, open (the SME), answer (the supplier), resolve (the SME)."""

from __future__ import annotations

from fastapi import APIRouter

from services.deployments import access, repository
from services.deployments.aftercare import service as aftercare
from services.deployments.models import Ticket
from services.deployments.routing import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
)
from services.deployments.schemas import (
    TicketAnswerIn,
    TicketIn,
    TicketOut,
)
from services.kit.contract import answers
from services.kit.db import SessionDep
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import (
    Authenticated,
    SmeOnly,
    VendorOnly,
)

router = APIRouter()


@router.get(
    "/{record_id}/tickets",
    summary="After-care tickets of a record (parties, the region's agency, admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
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
)
@answers(NOT_FOUND, FORBIDDEN, CONFLICT, INVALID)
def open_ticket(record_id: str, body: TicketIn, principal: SmeOnly, session: SessionDep) -> TicketOut:
    return aftercare.ticket_out(aftercare.open_ticket(session, principal, record_id, body))


@router.post(
    "/{record_id}/tickets/{ticket_id}/answer",
    summary="Answer an after-care ticket (the supplier; the service level runs to due_at)",
)
@answers(NOT_FOUND, FORBIDDEN, CONFLICT)
def answer_ticket(
    record_id: str, ticket_id: str, body: TicketAnswerIn, principal: VendorOnly, session: SessionDep
) -> TicketOut:
    return aftercare.ticket_out(aftercare.answer(session, principal, record_id, ticket_id, body))


@router.post(
    "/{record_id}/tickets/{ticket_id}/resolve",
    summary="Close an after-care ticket as resolved (the record's SME)",
)
@answers(NOT_FOUND, FORBIDDEN, CONFLICT)
def resolve_ticket(record_id: str, ticket_id: str, principal: SmeOnly, session: SessionDep) -> TicketOut:
    return aftercare.ticket_out(aftercare.resolve(session, principal, record_id, ticket_id))
