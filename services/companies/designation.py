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
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.companies import diagnosis, repository
from services.companies.designation_status import standing_at
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
    RegistryEntry,
)
from services.kit.db import utcnow
from services.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
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
            f"the application is '{row.status}'; this step needs {' or '.join(allowed)}",
            detail_ko=f"현재 상태({row.status})에서는 할 수 없는 처리입니다",
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
        raise Conflict(
            "only vendors (supply companies) apply for specialist designation",
            detail_ko="전문기업 지정은 공급기업만 신청할 수 있습니다",
        )
    if any(d.status in repository.OPEN_STATUSES for d in company.designations):
        raise Conflict("an application is already under way", detail_ko="진행 중인 지정 신청이 있습니다")
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
                f"declared values without evidence documents: {', '.join(missing)}",
                detail_ko="증빙서류가 없는 신고 항목이 있습니다: " + ", ".join(missing),
            )
        row.status, row.due_at = "in_review", utcnow() + timedelta(days=DAYS_TO_ASSIGN)
        _event(row, "complete", principal, body.note)
    else:
        if not body.note:
            raise ValidationFailed(
                "say what is missing when returning an application",
                detail_ko="보완 요청 사유를 입력하세요",
                fields=[field_error("body.note", "required when complete is false")],
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
        en, ko = refusal
        raise Conflict(en, detail_ko=ko, fields=[field_error("body.evaluator_id", en)])
    due = utcnow() + timedelta(days=DAYS_TO_EVALUATE)
    row.assignments.append(Assignment(evaluator_id=evaluator.id, due_at=due))
    row.due_at = min(a.due_at for a in row.assignments if a.submitted_at is None)
    _event(row, "assigned", principal)
    session.flush()
    return row


def _assignment_refusal(session: Session, evaluator: Evaluator, row: Designation) -> tuple[str, str] | None:
    if evaluator.org_id is not None and evaluator.org_id == row.company_id:
        return "an evaluator may not evaluate its own organisation", "소속 기관의 신청은 평가할 수 없습니다"
    if repository.has_conflict(session, evaluator.id, row.company_id):
        return (
            "the evaluator declared a conflict of interest with this company",
            "이해충돌을 신고한 평가위원입니다",
        )
    if any(a.evaluator_id == evaluator.id for a in row.assignments):
        return "the evaluator is already assigned", "이미 배정된 평가위원입니다"
    return None


def evaluate(
    session: Session, principal: Principal, company_id: str, application_id: str, body: EvaluationIn
) -> Designation:
    row = repository.get_designation(session, company_id, application_id)
    assignment = next((a for a in row.assignments if a.evaluator_id == principal.subject), None)
    if assignment is None:
        raise Forbidden(
            "you are not assigned to this application", detail_ko="배정된 평가위원만 평가할 수 있습니다"
        )
    _refuse(row, "in_review")
    wanted = set(diagnosis.of_source("evaluator", row.model_version or diagnosis.CURRENT_VERSION))
    missing = sorted(wanted - set(body.judgements))
    if missing or set(body.judgements) - wanted:
        raise ValidationFailed(
            f"judge exactly the evaluator indicators: {', '.join(sorted(wanted))}",
            detail_ko="평가위원 지표를 모두, 그리고 그것만 평가하세요",
            fields=[field_error(f"body.judgements.{code}", "required") for code in missing]
            or [field_error("body.judgements", "unknown indicator")],
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
            f"score {row.total_score} is below {DESIGNATION_THRESHOLD:g}; override_reason is required",
            detail_ko="역량진단 점수가 기준 미달입니다",
            fields=[field_error("body.override_reason", "required below the threshold")],
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
        raise Conflict("the designation has expired", detail_ko="지정 기간이 만료되었습니다")
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
    raise NotFound(f"designation application '{application_id}' does not exist")


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
