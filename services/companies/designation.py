"""The designation workflow (전문기업 지정) and the question "was this company designated on that day?".

Application states, each transition by one role, each recorded as an event with its reason::

    submitted --completeness (admin)--> in_review | returned --resubmit (company)--> submitted
    in_review --assign >= 2 evaluators (admin), every one submits (evaluator)--> evaluated
    evaluated --decision (admin, reasons)--> designated (3 years) | rejected
    designated --suspend (admin)--> suspended --reinstate (admin)--> designated
    designated | suspended --revoke (admin)--> revoked;  the company may add an appeal note to either
    designated --a renewal application is designated--> renewed (ended; the renewal takes over)

``due_at`` is the deadline of the step the application waits for (the admin queue sorts by it). A renewal
is a fresh application with a fresh diagnosis; when designated, the designation it renews ends at that
moment (``ended_at``) and the new one runs 3 years from then, so at most one designation is in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.companies import diagnosis, repository
from services.companies.designation_status import KST, standing_at
from services.companies.models import Assignment, Designation, DesignationEvent, Evaluator
from services.companies.schemas import (
    ActionIn,
    AppealIn,
    AssignIn,
    AssignmentOut,
    CompletenessIn,
    DecisionIn,
    DesignationIn,
    DesignationOut,
    EvaluationIn,
    EventOut,
    QueueItem,
    RecordedDesignationIn,
    RegistryEntry,
)
from services.kit.db import utcnow
from services.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from services.kit.messages import Alternatives, Msg
from services.kit.principal import Principal

DESIGNATION_THRESHOLD = 70.0
DESIGNATION_YEARS = 3
MIN_EVALUATORS = 2
# Working deadlines of each waiting step (admin queue).
DAYS_TO_CHECK = 7
DAYS_TO_ASSIGN = 7
DAYS_TO_EVALUATE = 14
DAYS_TO_DECIDE = 14


def _event(row: Designation, action: str, principal: Principal | None, reason: str | None = None) -> None:
    actor = (principal.username or principal.subject) if principal else None
    row.events.append(DesignationEvent(action=action, at=utcnow(), actor=actor, reason=reason))


def _refuse(row: Designation, *allowed: str) -> None:
    if row.status not in allowed:
        raise Conflict(
            Msg(
                "the application is '{status}'; this step needs {allowed}",
                status=row.status,
                allowed=Alternatives(allowed),
            )
        )


def _missing_evidence(declared: dict[str, float], evidence: list[dict[str, Any]]) -> list[str]:
    backed = {e["indicator"] for e in evidence}
    return [code for code, value in declared.items() if value > 0 and code not in backed]


def apply(
    session: Session, principal: Principal, company_id: str, body: DesignationIn, figures: dict[str, Any]
) -> Designation:
    company = repository.get_company(session, company_id)
    principal.require_org(company.id)
    if company.kind != "vendor":
        raise Conflict(Msg("only vendors (supply companies) apply for specialist designation"))
    if any(d.status in repository.OPEN_STATUSES for d in company.designations):
        raise Conflict(Msg("an application is already under way"))
    now = utcnow()
    current = next(
        (d for d in company.designations if standing_at(d, now) in ("designated", "suspended")), None
    )
    row = Designation(
        company_id=company.id,
        fields=list(body.fields),
        scores={},
        total_score=0.0,
        status="submitted",
        model_version=diagnosis.CURRENT_VERSION,
        platform=figures,
        platform_read_at=utcnow(),
        renewal_of=current.id if current else None,
        due_at=utcnow() + timedelta(days=DAYS_TO_CHECK),
    )
    _set_declaration(row, body)
    company.designations.append(row)
    _event(row, "submitted", principal)
    session.flush()
    return row


def _set_declaration(row: Designation, body: DesignationIn) -> None:
    row.fields = list(body.fields)
    row.declared = dict(body.declared)
    row.evidence = [e.model_dump(mode="json") for e in body.evidence]
    row.total_score = score(row)["total"]


def resubmit(
    session: Session, principal: Principal, company_id: str, application_id: str, body: DesignationIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    principal.require_org(row.company_id)
    _refuse(row, "returned")
    _set_declaration(row, body)
    row.status, row.due_at = "submitted", utcnow() + timedelta(days=DAYS_TO_CHECK)
    _event(row, "resubmitted", principal)
    session.flush()
    return row


def check_completeness(
    session: Session, principal: Principal, company_id: str, application_id: str, body: CompletenessIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    _refuse(row, "submitted")
    if body.complete:
        missing = _missing_evidence(row.declared, row.evidence)
        if missing:
            raise Conflict(
                Msg("declared values without evidence documents: {missing}", missing=", ".join(missing))
            )
        row.status, row.due_at = "in_review", utcnow() + timedelta(days=DAYS_TO_ASSIGN)
        _event(row, "complete", principal, body.note)
    else:
        if not body.note:
            raise ValidationFailed(
                Msg("say what is missing when returning an application"),
                fields=[field_error("body.note", Msg("required when complete is false"))],
            )
        row.status, row.due_at = "returned", None
        _event(row, "returned", principal, body.note)
    session.flush()
    return row


def assign(
    session: Session, principal: Principal, company_id: str, application_id: str, body: AssignIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    _refuse(row, "in_review")
    evaluator = repository.get_evaluator(session, body.evaluator_id)
    refusal = _assignment_refusal(session, evaluator, row)
    if refusal:
        raise Conflict(refusal, fields=[field_error("body.evaluator_id", refusal)])
    due = utcnow() + timedelta(days=DAYS_TO_EVALUATE)
    row.assignments.append(Assignment(evaluator_id=evaluator.id, due_at=due))
    row.due_at = min(a.due_at for a in row.assignments if a.submitted_at is None)
    _event(row, "assigned", principal)
    session.flush()
    return row


def _assignment_refusal(session: Session, evaluator: Evaluator, row: Designation) -> Msg | None:
    if evaluator.org_id is not None and evaluator.org_id == row.company_id:
        return Msg("an evaluator may not evaluate its own organisation")
    if repository.has_conflict(session, evaluator.id, row.company_id):
        return Msg("the evaluator declared a conflict of interest with this company")
    if any(a.evaluator_id == evaluator.id for a in row.assignments):
        return Msg("the evaluator is already assigned")
    return None


def evaluate(
    session: Session, principal: Principal, company_id: str, application_id: str, body: EvaluationIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    assignment = next((a for a in row.assignments if a.evaluator_id == principal.subject), None)
    if assignment is None:
        raise Forbidden(Msg("you are not assigned to this application"))
    _refuse(row, "in_review")
    wanted = set(diagnosis.of_source("evaluator", row.model_version or diagnosis.CURRENT_VERSION))
    missing = sorted(wanted - set(body.judgements))
    if missing or set(body.judgements) - wanted:
        raise ValidationFailed(
            Msg("judge exactly the evaluator indicators: {wanted}", wanted=", ".join(sorted(wanted))),
            fields=[field_error(f"body.judgements.{code}", Msg("required")) for code in missing]
            or [field_error("body.judgements", Msg("unknown indicator"))],
        )
    assignment.judgements = {k: v.model_dump() for k, v in body.judgements.items()}
    assignment.submitted_at = utcnow()
    _event(row, "evaluated", principal)
    pending = [a.due_at for a in row.assignments if a.submitted_at is None]
    if len(row.assignments) >= MIN_EVALUATORS and not pending:
        row.status, row.due_at = "evaluated", utcnow() + timedelta(days=DAYS_TO_DECIDE)
    elif pending:
        row.due_at = min(pending)
    row.total_score = score(row)["total"]
    session.flush()
    return row


def decide(
    session: Session, principal: Principal, company_id: str, application_id: str, body: DecisionIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    _refuse(row, "evaluated")
    if body.decision == "designated" and row.total_score < DESIGNATION_THRESHOLD and not body.override_reason:
        raise ValidationFailed(
            Msg(
                "score {total_score} is below {designation_threshold:g}; override_reason is required",
                total_score=row.total_score,
                designation_threshold=DESIGNATION_THRESHOLD,
            ),
            fields=[field_error("body.override_reason", Msg("required below the threshold"))],
        )
    now = utcnow()
    row.status, row.reason, row.override_reason = body.decision, body.reason, body.override_reason
    row.decided_at, row.decided_by, row.due_at = now, principal.username or principal.subject, None
    if body.decision == "designated":
        row.valid_from, row.valid_until = now, now + timedelta(days=365 * DESIGNATION_YEARS)
        if row.renewal_of:
            previous = repository.get_designation(session, company_id, row.renewal_of)
            if previous.ended_at is None and previous.status in ("designated", "suspended"):
                previous.status, previous.ended_at = "renewed", now
                _event(previous, "renewed", principal, f"renewed by application {row.id}")
    _event(row, body.decision, principal, body.reason)
    session.flush()
    return row


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), KST)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the period ends on 1 March
        return day.replace(year=day.year + years, month=3, day=1)


def _period_end(row: Designation) -> datetime | None:
    ends = [t for t in (row.valid_until, row.ended_at) if t is not None]
    return min(ends) if ends else None


def record(
    session: Session, principal: Principal, company_id: str, body: RecordedDesignationIn
) -> Designation:
    """Record a designation decided before the platform existed (admin): the committee's decision date,
    reasons, score and decision document, audited as an event like the workflow's own decisions. Its period
    may not overlap another designation of the company; one that starts the day the previous one ends
    renews it, as a renewal decided through the workflow does."""
    company = repository.get_company(session, company_id)
    if company.kind != "vendor":
        raise Conflict(Msg("only vendors (supply companies) are designated specialist companies"))
    today = utcnow().astimezone(KST).date()
    valid_from = body.valid_from or body.decided_on
    valid_until = body.valid_until or _years_later(valid_from, DESIGNATION_YEARS)
    problems = [
        ("body.decided_on", Msg("in the future"), body.decided_on > today),
        (
            "body.valid_from",
            Msg("in the future: record only designations already decided"),
            valid_from > today,
        ),
        ("body.valid_from", Msg("before the decision date"), valid_from < body.decided_on),
        ("body.valid_until", Msg("must be after valid_from"), valid_until <= valid_from),
    ]
    failed = [field_error(loc, msg) for loc, msg, bad in problems if bad]
    if failed:
        raise ValidationFailed(Msg("the decision and period dates are inconsistent"), fields=failed)
    start, end = _start_of(valid_from), _start_of(valid_until)
    for other in company.designations:
        other_end = _period_end(other)
        if other.valid_from is None or (other_end is not None and other_end <= start):
            continue
        if other.valid_from < end:
            raise Conflict(
                Msg("the period overlaps designation {other_id}", other_id=other.id),
                fields=[
                    field_error("body.valid_from", Msg("overlaps designation {other_id}", other_id=other.id))
                ],
            )
    if end > utcnow() and any(d.status in repository.OPEN_STATUSES for d in company.designations):
        raise Conflict(
            Msg("an application is under way; a designation still in force cannot be recorded beside it")
        )
    previous = next(
        (
            d
            for d in company.designations
            if d.status == "designated" and d.ended_at is None and d.valid_until == start
        ),
        None,
    )
    actor = principal.username or principal.subject
    row = Designation(
        company_id=company.id,
        fields=list(body.fields),
        scores={},
        total_score=body.total_score,
        status="designated",
        reason=body.reason,
        document_ref=body.document_ref,
        decided_by=actor,
        decided_at=_start_of(body.decided_on),
        valid_from=start,
        valid_until=end,
        renewal_of=previous.id if previous else None,
    )
    company.designations.append(row)
    if previous is not None:
        previous.status, previous.ended_at = "renewed", start
        _event(previous, "renewed", principal, f"renewed by recorded designation {body.document_ref}")
    _event(row, "recorded", principal, f"{body.reason} ({body.document_ref})")
    session.flush()
    return row


def change_standing(
    session: Session,
    principal: Principal,
    company_id: str,
    application_id: str,
    action: str,
    body: ActionIn,
) -> Designation:
    """Suspend, reinstate or revoke a designation (admin), always with a reason."""
    row = repository.get_designation(session, company_id, application_id)
    allowed = {"suspend": ("designated",), "reinstate": ("suspended",), "revoke": ("designated", "suspended")}
    _refuse(row, *allowed[action])
    if row.valid_until is not None and row.valid_until <= utcnow():
        raise Conflict(Msg("the designation has expired"))
    row.status = {"suspend": "suspended", "reinstate": "designated", "revoke": "revoked"}[action]
    if action == "revoke":
        row.ended_at = utcnow()
    past = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}[action]
    _event(row, past, principal, body.reason)
    session.flush()
    return row


def appeal(
    session: Session, principal: Principal, company_id: str, application_id: str, body: AppealIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    principal.require_org(row.company_id)
    _refuse(row, "suspended", "revoked", "rejected")
    row.appeal_note = body.note
    _event(row, "appealed", principal, body.note)
    session.flush()
    return row


# --- read models -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What the caller may see of an application: evaluator ids only for admins."""

    admin: bool


def score(row: Designation) -> dict[str, Any]:
    judgements = [a.judgements for a in row.assignments if a.judgements]
    return diagnosis.breakdown(
        row.model_version or diagnosis.CURRENT_VERSION,
        platform=row.platform,
        declared=row.declared,
        evidence=row.evidence,
        judgements=judgements,
    )


def public_status(row: Designation) -> str:
    if row.status == "designated" and row.valid_until is not None and row.valid_until <= utcnow():
        return "expired"
    return row.status


def to_out(row: Designation, viewer: Viewer) -> DesignationOut:
    return DesignationOut(
        id=row.id,
        company_id=row.company_id,
        fields=row.fields,
        status=public_status(row),
        model_version=row.model_version,
        declared=row.declared,
        evidence=row.evidence,
        platform=row.platform,
        platform_read_at=row.platform_read_at,
        diagnosis=score(row) if row.model_version else None,
        total_score=row.total_score,
        assignments=[
            AssignmentOut(
                evaluator_id=a.evaluator_id if viewer.admin else None,
                assigned_at=a.assigned_at,
                due_at=a.due_at,
                submitted_at=a.submitted_at,
            )
            for a in row.assignments
        ],
        events=[EventOut(action=e.action, at=e.at, reason=e.reason) for e in row.events],
        renewal_of=row.renewal_of,
        reason=row.reason,
        override_reason=row.override_reason,
        appeal_note=row.appeal_note,
        document_ref=row.document_ref,
        due_at=row.due_at,
        decided_at=row.decided_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        ended_at=row.ended_at,
        created_at=row.created_at,
    )


def require_reader(
    session: Session, principal: Principal, company_id: str, application_id: str
) -> Designation:
    """The company, admins and the application's evaluators read it; others learn nothing."""
    row = repository.get_designation(session, company_id, application_id)
    if principal.acts_for(row.company_id) or any(
        a.evaluator_id == principal.subject for a in row.assignments
    ):
        return row
    raise NotFound(
        Msg("designation application '{application_id}' does not exist", application_id=application_id)
    )


def queue_item(row: Designation) -> QueueItem:
    now = utcnow()
    waiting = {
        "submitted": "completeness check",
        "in_review": "evaluator assignment" if len(row.assignments) < MIN_EVALUATORS else "evaluations",
        "evaluated": "committee decision",
    }.get(row.status, "company")
    return QueueItem(
        designation_id=row.id,
        company_id=row.company_id,
        status=row.status,
        waiting_for=waiting,
        evaluators_assigned=len(row.assignments),
        evaluations_submitted=sum(1 for a in row.assignments if a.submitted_at),
        due_at=row.due_at,
        overdue=row.due_at is not None and row.due_at < now,
        total_score=row.total_score,
        created_at=row.created_at,
    )


def registry_entry(row: Designation) -> RegistryEntry:
    company = row.company
    return RegistryEntry(
        company_id=company.id,
        name=company.name,
        region_code=company.region_code,
        growth_stage=company.growth_stage,
        fields=row.fields,
        designation_id=row.id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        renewal=row.renewal_of is not None,
    )
