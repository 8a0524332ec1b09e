"""The lifecycle of a record: who may move it from which state to which.

    draft ──submit──▶ submitted ──confirm──▶ confirmed ──verify──▶ verified ──publish──▶ published
      ▲                   │                      │                     │
      └──────return (with a comment) ────────────┴─────────────────────┘

- submit: the side that drafted it (SME or vendor); the programme's required stages must be done.
- confirm: the *other* side (the SME confirms a vendor's claims, a supplier an SME's); an SME confirming a
  vendor's draft also vouches for the factory (checked with its token before this runs), or names its own
  on a record the vendor filed without one (``records.service.name_factory``, a history step before this).
- verify, publish: an agency reviewer of the record's region; required stages need evidence documents,
  and the factory must have been checked against the registry.
- return: either party, or the agency of the region, with a comment.
Admins may do everything. Only ``published`` records are public and count in aggregates and track records.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from services.deployments import access, repository
from services.deployments.changes import check_version, finish_change
from services.deployments.models import DeploymentRecord
from services.deployments.output import to_out
from services.deployments.programmes import PROGRAMME_BY_CODE
from services.kit.db import utcnow
from services.kit.errors import Conflict, FieldError, Forbidden, Problems, ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.principal import Principal

Action = Literal["submit", "confirm", "verify", "publish", "return"]

SOURCE: dict[str, tuple[str, ...]] = {
    "submit": ("draft",),
    "confirm": ("submitted",),
    "verify": ("confirmed",),
    "publish": ("verified",),
    "return": ("submitted", "confirmed", "verified"),
}
TARGET = {"submit": "submitted", "confirm": "confirmed", "verify": "verified", "publish": "published"}


def _refuse(action: str, who: Msg) -> Forbidden:
    return Forbidden(Msg("{action}: only {who} may do this", action=action, who=who))


def _check_actor(principal: Principal, record: DeploymentRecord, action: Action) -> None:
    if principal.is_admin:
        return
    side = access.side_of(principal, record)
    other = "vendor" if record.drafted_by == "sme" else "sme"
    if action == "submit" and side != record.drafted_by:
        raise _refuse(action, Msg("the drafting party ({party})", party=record.drafted_by))
    if action == "confirm" and side != other:
        raise _refuse(action, Msg("the other party ({party})", party=other))
    if action in ("verify", "publish") and not access.reviews(principal, record):
        raise _refuse(action, Msg("an agency reviewer of the record's region"))
    if action == "return" and side is None and not access.reviews(principal, record):
        raise _refuse(action, Msg("a party of the record or its region's agency"))


def _required_stage_problems(record: DeploymentRecord, need_documents: bool) -> list[FieldError]:
    programme = PROGRAMME_BY_CODE.get(record.programme_code or "")
    if programme is None:
        return [field_error("record.programme_code", Msg("the record names no support programme"))]
    with_documents = {d.stage_code for d in record.documents}
    problems = []
    for i, stage in enumerate(record.stages):
        if stage["code"] not in programme.required_stages:
            continue
        if not stage.get("actual_end"):
            problems.append(
                field_error(f"record.stages[{i}].actual_end", Msg("{code} is not done", code=stage["code"]))
            )
        elif need_documents and stage["code"] not in with_documents:
            problems.append(
                field_error(
                    f"record.stages[{i}].document_ids",
                    Msg("{code} has no evidence document", code=stage["code"]),
                )
            )
    return problems


def _preconditions(record: DeploymentRecord, action: Action) -> None:
    problems = []
    if action == "submit":
        problems = _required_stage_problems(record, need_documents=False)
    elif action == "verify":
        problems = _required_stage_problems(record, need_documents=True)
        if not record.factory_checked:
            problems.append(
                field_error(
                    "record.factory.factory_id", Msg("not checked against the SME's registered factories")
                )
            )
    if problems:
        raise Conflict(
            Msg("cannot {action} yet: {problems}", action=action, problems=Problems(problems)),
            fields=problems,
        )


def transition(
    session: Session,
    principal: Principal,
    record_id: str,
    action: Action,
    comment: str | None,
    expected: int | None,
    *,
    factory_checked: bool = False,
) -> DeploymentRecord:
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    check_version(record, expected)
    _check_actor(principal, record, action)
    if record.status not in SOURCE[action]:
        raise Conflict(
            Msg(
                "cannot {action} a record that is {status} (from: {sources})",
                action=action,
                status=record.status,
                sources=", ".join(SOURCE[action]),
            )
        )
    if action == "return":
        if not comment or not comment.strip():
            raise ValidationFailed(
                Msg("a comment is required to send a record back"),
                fields=[field_error("body.comment", Msg("required to send a record back"))],
            )
        record.status, record.return_comment = "draft", comment
    else:
        if factory_checked:
            record.factory_checked = True
        _preconditions(record, action)
        record.status = TARGET[action]
        if action == "submit":
            record.return_comment = None
        if action == "publish":
            record.published_at = utcnow()
    snapshot = to_out(record, private=True).model_dump(mode="json") if action == "publish" else None
    return finish_change(session, principal, record, action, comment=comment, snapshot=snapshot)


def approve_stage(
    session: Session, principal: Principal, record_id: str, code: str, expected: int | None
) -> DeploymentRecord:
    """The SME (the client of the project), the region's agency or an admin approves a finished stage."""
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    check_version(record, expected)
    if access.side_of(principal, record) != "sme" and not access.reviews(principal, record):
        raise _refuse("approve", Msg("the SME or its region's agency"))
    if record.status == "published":
        raise Conflict(Msg("the record is published: revise it first"))
    rows = [dict(s) for s in record.stages]
    index = next((i for i, s in enumerate(rows) if s["code"] == code), None)
    if index is None:
        raise ValidationFailed(
            Msg("the record's process has no stage '{code}'", code=code),
            fields=[
                field_error("path.code", Msg("one of: {codes}", codes=", ".join(s["code"] for s in rows)))
            ],
        )
    if not rows[index].get("actual_end"):
        raise Conflict(Msg("stage {code} is not done (no actual_end)", code=code))
    rows[index] |= {
        "approved_by": principal.username or principal.subject,
        "approved_at": utcnow().isoformat(),
    }
    record.stages = rows
    return finish_change(session, principal, record, "approve_stage", changed=[f"stages.{code}"])
