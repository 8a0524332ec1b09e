"""How every capability writes a record: who may change it in which state, the version that is the ETag, the
history entry.

Flushes, never commits. Every write goes through ``begin_change`` (who may change the record in which state,
and whether the change opens a new revision) and ``finish_change`` (the flush that moves the version, which
is the ETag, and the history entry; ``kit.versioning`` moves it with any change of the record or its parts;
the published records' facet tallies follow the record there, services.deployments.tallies).
A published record that changes becomes revision n+1, back in draft: it leaves the portal until its new
revision is confirmed, verified and published again; what was published stays in the history.
"""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.deployments import access, tallies
from services.deployments.models import DeploymentRecord, HistoryEntry
from services.kit.db import utcnow
from services.kit.errors import Conflict, PreconditionFailed
from services.kit.messages import Msg
from services.kit.principal import Principal

REVIEW_STATES = ("submitted", "confirmed", "verified")


def record_history(
    session: Session,
    principal: Principal,
    record: DeploymentRecord,
    action: str,
    *,
    comment: str | None = None,
    changed: list[str] | None = None,
    snapshot: dict[str, Any] | None = None,
) -> None:
    session.add(
        HistoryEntry(
            record_id=record.id,
            revision=record.revision,
            action=action,
            status=record.status,
            actor_subject=principal.subject,
            actor_org_id=principal.org_id,
            actor_username=principal.username,
            at=utcnow(),
            comment=comment,
            changed=changed or [],
            snapshot=snapshot,
        )
    )


def check_version(record: DeploymentRecord, expected: int | None) -> None:
    if expected is not None and expected != record.version:
        raise PreconditionFailed(
            Msg(
                "the record changed meanwhile (version {version}, If-Match {expected}): reload it",
                version=record.version,
                expected=expected,
            )
        )


def flush(session: Session) -> None:
    """Flush; a concurrent transaction that changed the record first makes this write fail, not overwrite."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise PreconditionFailed(Msg("the record was changed by a concurrent request: reload it")) from exc


def require_changeable(principal: Principal, record: DeploymentRecord, expected: int | None) -> None:
    """A party changes a record in draft or published (a new revision), never while it is reviewed."""
    access.require_party(principal, record)
    check_version(record, expected)
    if record.status in REVIEW_STATES:
        raise Conflict(
            Msg(
                "the record is {status}: send it back to draft (POST .../return) before changing it",
                status=record.status,
            )
        )


def begin_change(principal: Principal, record: DeploymentRecord, expected: int | None) -> str:
    """May the caller change the record now? Returns the history action: "edit", or "revise" (published)."""
    require_changeable(principal, record, expected)
    if record.status == "published":
        record.revision += 1
        record.status = "draft"
        record.published_at = None
        return "revise"
    return "edit"


def note_mean_gain(record: DeploymentRecord) -> None:
    """Store the mean of the KPIs' improvements: the public list's ``effect`` order reads it from an index."""
    gains = [k.improvement_pct for k in record.kpis if k.improvement_pct is not None]
    record.mean_kpi_improvement_pct = statistics.fmean(gains) if gains else None


def finish_change(
    session: Session,
    principal: Principal,
    record: DeploymentRecord,
    action: str,
    *,
    comment: str | None = None,
    changed: list[str] | None = None,
    snapshot: dict[str, Any] | None = None,
) -> DeploymentRecord:
    note_mean_gain(record)  # the version moves with any change of the record or its parts (kit.versioning)
    flush(session)
    tallies.recount(session, record)
    record_history(session, principal, record, action, comment=comment, changed=changed, snapshot=snapshot)
    session.flush()
    return record
