"""After-care (사후관리): the SME opens tickets during the obligation period from go-live; the lead supplier
answers within the service level of the ticket's severity. A ticket is *late* when its answer came after
``due_at``, or when it is still unanswered past it. Late tickets count against the supplier's track record,
whatever the state of the record (a supplier cannot hide them by keeping a record unpublished).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from services.deployments import access, repository
from services.deployments.aftercare.period import after_service_end, go_live
from services.deployments.changes import flush
from services.deployments.models import Ticket
from services.deployments.programmes import ANSWER_WITHIN, Severity
from services.deployments.schemas import TicketAnswerIn, TicketCounts, TicketIn, TicketOut
from services.kit.db import utcnow
from services.kit.errors import Conflict, Forbidden
from services.kit.messages import Msg
from services.kit.principal import Principal


def is_late(ticket: Ticket, now: datetime) -> bool:
    return (ticket.answered_at or now) > ticket.due_at


def counts(tickets: Iterable[Ticket], now: datetime | None = None) -> TicketCounts:
    now = now or utcnow()
    rows = list(tickets)
    return TicketCounts(
        open=sum(1 for t in rows if t.resolved_at is None),
        late=sum(1 for t in rows if is_late(t, now)),
        resolved=sum(1 for t in rows if t.resolved_at is not None),
    )


def ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        record_id=ticket.record_id,
        supplier_company_id=ticket.supplier_company_id,
        title=ticket.title,
        description=ticket.description,
        severity=ticket.severity,
        opened_at=ticket.opened_at,
        due_at=ticket.due_at,
        answer=ticket.answer,
        answered_at=ticket.answered_at,
        resolved_at=ticket.resolved_at,
        late=is_late(ticket, utcnow()),
    )


def open_ticket(session: Session, principal: Principal, record_id: str, body: TicketIn) -> Ticket:
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    if not principal.is_admin and access.side_of(principal, record) != "sme":
        raise Forbidden(Msg("only the SME of the record opens after-care tickets"))
    live, end = go_live(record), after_service_end(record)
    now = utcnow()
    if live is None or end is None:
        raise Conflict(
            Msg("after-care starts at go-live (the INSPECT stage's actual_end); the record has none yet")
        )
    if now.date() > end:
        raise Conflict(Msg("the after-care obligation ended on {end}", end=end.isoformat()))
    ticket = Ticket(
        record_id=record.id,
        supplier_company_id=record.suppliers[0].company_id,
        title=body.title,
        description=body.description,
        severity=body.severity,
        opened_by=principal.username or principal.subject,
        opened_at=now,
        due_at=now + ANSWER_WITHIN[Severity(body.severity)],
    )
    session.add(ticket)
    flush(session)  # moves the record's version (kit.versioning): a concurrent edit answers 412
    return ticket


def _ticket(session: Session, principal: Principal, record_id: str, ticket_id: str) -> Ticket:
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    if not access.sees_private(principal, record):
        raise Forbidden(Msg("after-care tickets are the parties' business"))
    return repository.ticket(session, record_id, ticket_id)


def answer(
    session: Session, principal: Principal, record_id: str, ticket_id: str, body: TicketAnswerIn
) -> Ticket:
    ticket = _ticket(session, principal, record_id, ticket_id)
    if not principal.acts_for(ticket.supplier_company_id):
        raise Forbidden(Msg("only the supplier answers the ticket"))
    if ticket.resolved_at is not None:
        raise Conflict(Msg("the ticket is resolved"))
    ticket.answer = body.answer
    ticket.answered_by = principal.username or principal.subject
    ticket.answered_at = (
        ticket.answered_at or utcnow()
    )  # the first answer is the one the service level counts
    flush(session)
    return ticket


def resolve(session: Session, principal: Principal, record_id: str, ticket_id: str) -> Ticket:
    ticket = _ticket(session, principal, record_id, ticket_id)
    record = repository.get(session, record_id)
    if not principal.is_admin and access.side_of(principal, record) != "sme":
        raise Forbidden(Msg("only the SME closes its ticket"))
    if ticket.resolved_at is not None:
        raise Conflict(Msg("the ticket is already resolved"))
    ticket.resolved_at = utcnow()
    flush(session)
    return ticket
