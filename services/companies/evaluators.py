"""Evaluators (평가위원): self-registration with the token's organisation, and declared conflicts of interest.

A declared conflict bars the evaluator from that company's applications: new assignments are refused
(designation.assign) and an assignment still waiting for its judgements is withdrawn at once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.companies import repository
from services.companies.models import ConflictOfInterest, DesignationEvent, Evaluator
from services.companies.schemas import ConflictIn, EvaluatorIn, EvaluatorOut
from services.kit.db import utcnow
from services.kit.principal import Principal


def register(session: Session, principal: Principal, body: EvaluatorIn) -> Evaluator:
    evaluator = session.get(Evaluator, principal.subject) or Evaluator(id=principal.subject)
    evaluator.name, evaluator.org_id, evaluator.expertise = body.name, principal.org_id, list(body.expertise)
    session.add(evaluator)
    session.flush()
    return evaluator


def declare_conflict(session: Session, principal: Principal, body: ConflictIn) -> Evaluator:
    evaluator = repository.get_evaluator(session, principal.subject)
    company = repository.get_company(session, body.company_id)
    session.add(ConflictOfInterest(evaluator_id=evaluator.id, company_id=company.id, reason=body.reason))
    for row in company.designations:
        pending = [a for a in row.assignments if a.evaluator_id == evaluator.id and a.submitted_at is None]
        for assignment in pending:
            row.assignments.remove(assignment)
            row.events.append(
                DesignationEvent(
                    action="unassigned",
                    at=utcnow(),
                    actor=evaluator.id,
                    reason="conflict of interest declared",
                )
            )
    session.flush()
    return evaluator


def to_out(session: Session, evaluator: Evaluator) -> EvaluatorOut:
    return EvaluatorOut(
        id=evaluator.id,
        name=evaluator.name,
        org_id=evaluator.org_id,
        expertise=evaluator.expertise,
        conflicts=repository.conflicts_of(session, evaluator.id),
    )
