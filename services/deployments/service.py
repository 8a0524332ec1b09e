"""Rules of deployment records: consistency and programme checks, changes and revisions, derived figures.

Flushes, never commits. Every write goes through ``begin_change`` (who may change the record in which state,
and whether the change opens a new revision) and ``finish_change`` (the version bump that is the ETag, and
the history entry). A published record that changes becomes revision n+1, back in draft: it leaves the
portal until its new revision is confirmed, verified and published again; what was published stays in the
history.
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.deployments import access, repository
from services.deployments.models import DeploymentRecord, HistoryEntry, Kpi, Solution, Supplier
from services.deployments.parties import Facts
from services.deployments.programmes import PROGRAMME_BY_CODE, Programme
from services.deployments.schemas import (
    DeploymentIn,
    DeploymentOut,
    DocumentOut,
    KpiIn,
    KpiPut,
    StageIn,
    TicketCounts,
)
from services.kit import reference as ref
from services.kit.bodies import STORED
from services.kit.db import utcnow
from services.kit.errors import (
    Conflict,
    FieldError,
    Forbidden,
    PreconditionFailed,
    Problems,
    ValidationFailed,
    field_error,
)
from services.kit.messages import Msg
from services.kit.principal import Principal, Role

DAYS_PER_MONTH = 30.44
REVIEW_STATES = ("submitted", "confirmed", "verified")
STAGE_NAMES = {
    code: {"ko": ko, "en": en} for stages in ref.PROCESS_STAGES.values() for code, ko, en in stages
}


def process_for(designated: bool) -> ref.ProjectProcess:
    return ref.ProjectProcess.SIMPLIFIED if designated else ref.ProjectProcess.STANDARD


def stage_codes(process: ref.ProjectProcess) -> tuple[str, ...]:
    return tuple(code for code, _, _ in ref.PROCESS_STAGES[process])


def planned_stages(process: ref.ProjectProcess, start: date) -> list[StageIn]:
    """The process's stages spread evenly over its target duration from the contract date."""
    codes = stage_codes(process)
    days = round(ref.PROCESS_TARGET_MONTHS[process] * DAYS_PER_MONTH)
    bounds = [start + timedelta(days=days * i // len(codes)) for i in range(len(codes) + 1)]
    return [
        StageIn(code=code, planned_start=bounds[i], planned_end=bounds[i + 1] - timedelta(days=1))
        for i, code in enumerate(codes)
    ]


def _stage_errors(stages: list[StageIn], process: ref.ProjectProcess) -> list[FieldError]:
    codes = stage_codes(process)
    if len(stages) != len(codes):
        return [
            field_error(
                "body.stages",
                Msg(
                    "the {process} process has {expected} stages ({codes}), not {given}",
                    process=process.value,
                    expected=len(codes),
                    codes=", ".join(codes),
                    given=len(stages),
                ),
            )
        ]
    errors = []
    previous: StageIn | None = None
    for i, (stage, code) in enumerate(zip(stages, codes, strict=True)):
        loc = f"body.stages[{i}]"
        if stage.code != code:
            errors.append(
                field_error(
                    f"{loc}.code",
                    Msg(
                        "stage {position} must be '{code}' (order: {codes})",
                        position=i + 1,
                        code=code,
                        codes=", ".join(codes),
                    ),
                )
            )
        if stage.planned_end < stage.planned_start:
            errors.append(field_error(f"{loc}.planned_end", Msg("must not be before planned_start")))
        if stage.actual_end is not None and stage.actual_start is None:
            errors.append(field_error(f"{loc}.actual_start", Msg("required when actual_end is set")))
        if stage.actual_start and stage.actual_end and stage.actual_end < stage.actual_start:
            errors.append(field_error(f"{loc}.actual_end", Msg("must not be before actual_start")))
        if previous is not None and stage.planned_start < previous.planned_start:
            errors.append(field_error(f"{loc}.planned_start", Msg("stages must start in order")))
        previous = stage
    return errors


def _programme_errors(data: DeploymentIn, programme: Programme) -> list[FieldError]:
    errors = []
    if data.support_amount_krw > programme.cap_krw:
        errors.append(
            field_error(
                "body.support_amount_krw",
                Msg(
                    "exceeds the cap of programme {code} ({cap_krw} KRW)",
                    code=programme.code,
                    cap_krw=programme.cap_krw,
                ),
            )
        )
    total = data.support_amount_krw + data.company_share_krw
    if data.support_amount_krw * 100 > total * programme.government_share_pct:
        errors.append(
            field_error(
                "body.support_amount_krw",
                Msg(
                    "government support may be at most {government_share_pct}% of the project cost "
                    "(support + company share = {total} KRW)",
                    government_share_pct=programme.government_share_pct,
                    total=total,
                ),
            )
        )
    if data.company_share_krw * 100 < total * programme.company_share_pct:
        errors.append(
            field_error(
                "body.company_share_krw",
                Msg(
                    "the company pays at least {company_share_pct}% of the project cost",
                    company_share_pct=programme.company_share_pct,
                ),
            )
        )
    for i, solution in enumerate(data.solutions):
        if solution.subfield_code not in programme.subfields:
            errors.append(
                field_error(
                    f"body.solutions[{i}].subfield_code",
                    Msg(
                        "programme {code} does not fund {subfield_code}",
                        code=programme.code,
                        subfield_code=solution.subfield_code,
                    ),
                )
            )
    return errors


def _unchanged(stored: Kpi | None, kpi: KpiIn) -> bool:
    return stored is not None and (stored.baseline, stored.after, stored.unit) == (
        kpi.baseline,
        kpi.after,
        kpi.unit,
    )


def consistency_errors(
    data: DeploymentIn, process: ref.ProjectProcess, stored: dict[str, Kpi]
) -> list[FieldError]:
    """Every violation at once; ``stored``: the record's KPIs (one sent back unchanged keeps its source)."""
    errors = []
    if ref.SYSTEM_LEVEL_ORDER[data.level_after] < ref.SYSTEM_LEVEL_ORDER[data.level_before]:
        errors.append(field_error("body.level_after", Msg("must not be lower than level_before")))
    programme = PROGRAMME_BY_CODE.get(data.programme_code)
    if programme is None:
        errors.append(
            field_error(
                "body.programme_code",
                Msg("unknown programme; one of: {programmes}", programmes=", ".join(PROGRAMME_BY_CODE)),
            )
        )
    else:
        errors += _programme_errors(data, programme)
    for i, solution in enumerate(data.solutions):
        if solution.supplier_company_id and solution.supplier_company_id not in data.supplier_company_ids:
            errors.append(
                field_error(
                    f"body.solutions[{i}].supplier_company_id", Msg("not one of supplier_company_ids")
                )
            )
    errors += _stage_errors(data.stages or [], process)
    seen: set[str] = set()
    for i, kpi in enumerate(data.kpis):
        if kpi.kind in seen:
            errors.append(field_error(f"body.kpis[{i}].kind", Msg("KPI '{kind}' given twice", kind=kpi.kind)))
        seen.add(kpi.kind)
        if kpi.source != "self_reported" and not _unchanged(stored.get(kpi.kind), kpi):
            errors.append(field_error(f"body.kpis[{i}].source", _SOURCE_RULE))
    return errors


_SOURCE_RULE = Msg(
    "only self_reported can be set: telemetry is stored by POST .../kpis/{{kind}}/measure with its evidence, "
    "verified by an agency reviewer (POST .../kpis/{{kind}}/verify)"
)


def _check(data: DeploymentIn, process: ref.ProjectProcess, stored: dict[str, Kpi]) -> None:
    errors = consistency_errors(data, process, stored)
    if errors:
        raise ValidationFailed(
            Msg(
                "the record's values disagree or leave the programme's rules: {problems}",
                problems=Problems(errors),
            ),
            fields=errors,
        )


def _kpi_row(kind: str, kpi: KpiIn | KpiPut) -> Kpi:
    return Kpi(
        kind=kind,
        baseline=kpi.baseline,
        after=kpi.after,
        unit=kpi.unit,
        source=kpi.source,
        telemetry_ref=kpi.telemetry_ref,
        improvement_pct=ref.kpi_improvement_pct(ref.KpiKind(kind), kpi.baseline, kpi.after),
    )


def _stage_rows(stages: list[StageIn], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stages as stored; an approval stays only while the approved stage's dates are unchanged."""
    approved = {s["code"]: s for s in old if s.get("approved_by")}
    rows = []
    for stage in stages:
        row = stage.model_dump(mode="json")
        before = approved.get(stage.code)
        if before and all(before.get(k) == row[k] for k in ("actual_start", "actual_end")):
            row |= {"approved_by": before["approved_by"], "approved_at": before["approved_at"]}
        rows.append(row)
    return rows


def _apply(record: DeploymentRecord, data: DeploymentIn, facts: Facts) -> None:
    programme = PROGRAMME_BY_CODE[data.programme_code]
    stages = data.stages or []
    record.title = data.title.model_dump()
    record.search_text = " ".join(filter(None, (data.title.ko, data.title.en, data.sme_name))).lower()[:2000]
    record.sme_company_id = data.sme_company_id
    record.sme_name = data.sme_name
    record.factory_id = data.factory.factory_id
    record.factory_name = data.factory.name
    record.region_code = data.factory.region_code
    record.address = data.factory.address
    record.industry_code = data.factory.industry_code
    record.level_before = data.level_before.value
    record.level_after = data.level_after.value
    record.programme_code = programme.code
    record.process = process_for(facts.designated).value
    record.supplier_designated = facts.designated
    record.factory_checked = facts.factory_checked
    record.contract = data.contract.model_dump(mode="json")
    record.stages = _stage_rows(stages, record.stages or [])
    record.after_service_months = (
        programme.after_care_months_designated if facts.designated else programme.after_care_months
    )
    record.support_amount_krw = data.support_amount_krw
    record.company_share_krw = data.company_share_krw
    record.year = stages[0].planned_start.year
    record.suppliers = [
        Supplier(company_id=c, position=i) for i, c in enumerate(dict.fromkeys(data.supplier_company_ids))
    ]
    record.solutions = [
        Solution(
            position=i,
            subfield_code=s.subfield_code,
            name=s.name.model_dump(),
            supplier_company_id=s.supplier_company_id,
        )
        for i, s in enumerate(data.solutions)
    ]
    # A KPI sent back unchanged keeps its source, evidence and verification; a changed one is self-reported.
    stored = {k.kind: k for k in record.kpis}
    record.kpis = [
        stored[k.kind]
        if _unchanged(stored.get(k.kind), k)
        else _kpi_row(k.kind, k.model_copy(update={"source": "self_reported"}))
        for k in data.kpis
    ]


def with_planned_stages(data: DeploymentIn, designated: bool) -> DeploymentIn:
    if data.stages is not None:
        return data
    return data.model_copy(
        update={"stages": planned_stages(process_for(designated), data.contract.signed_on)}
    )


def drafting_side(principal: Principal, data: DeploymentIn) -> tuple[str, str]:
    """The owner of a new record and the side drafting it; refused before anything else is checked."""
    owner = principal.owner_for(data.owner_org_id)
    return owner, _drafting_side(principal, owner, data)


def _drafting_side(principal: Principal, owner: str, data: DeploymentIn) -> str:
    if owner == data.sme_company_id and (principal.is_admin or Role.SME in principal.roles):
        return "sme"
    if owner in data.supplier_company_ids and (principal.is_admin or Role.VENDOR in principal.roles):
        return "vendor"
    if principal.is_admin:
        raise ValidationFailed(
            Msg("the owner must be the SME or one of the suppliers"),
            fields=[
                field_error("body.owner_org_id", Msg("must be sme_company_id or one of supplier_company_ids"))
            ],
        )
    raise Forbidden(Msg("a vendor records only projects it supplied, an SME only its own projects"))


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
    record.updated_at = utcnow()  # an UPDATE of the row even when only children changed: the version moves
    note_mean_gain(record)
    flush(session)
    record_history(session, principal, record, action, comment=comment, changed=changed, snapshot=snapshot)
    session.flush()
    return record


def create(session: Session, principal: Principal, data: DeploymentIn, facts: Facts) -> DeploymentRecord:
    owner, drafted_by = drafting_side(principal, data)
    data = with_planned_stages(data, facts.designated)
    _check(data, process_for(facts.designated), {})
    record = DeploymentRecord(
        owner_org_id=owner, status="draft", drafted_by=drafted_by, revision=1, stages=[], kpis=[]
    )
    _apply(record, data, facts)
    note_mean_gain(record)
    session.add(record)
    flush(session)
    record_history(session, principal, record, "create")
    session.flush()
    return record


def _described(record: DeploymentRecord, *, address: bool) -> dict[str, Any]:
    """What the record's input and output forms both hold alike (the factory's address is private)."""
    return {
        "owner_org_id": record.owner_org_id,
        "title": record.title,
        "sme_company_id": record.sme_company_id,
        "sme_name": record.sme_name,
        "factory": {
            "factory_id": record.factory_id,
            "name": record.factory_name,
            "region_code": record.region_code,
            "address": record.address if address else None,
            "industry_code": record.industry_code,
        },
        "supplier_company_ids": [s.company_id for s in record.suppliers],
        "solutions": [
            {"subfield_code": s.subfield_code, "name": s.name, "supplier_company_id": s.supplier_company_id}
            for s in record.solutions
        ],
        "level_before": record.level_before,
        "level_after": record.level_after,
    }


def as_input(record: DeploymentRecord) -> dict[str, Any]:
    return {
        **_described(record, address=True),
        "programme_code": record.programme_code,
        "contract": record.contract,
        "stages": [
            {k: s.get(k) for k in ("code", "planned_start", "planned_end", "actual_start", "actual_end")}
            for s in record.stages
        ],
        "support_amount_krw": record.support_amount_krw,
        "company_share_krw": record.company_share_krw,
        "kpis": [
            {
                "kind": k.kind,
                "baseline": k.baseline,
                "after": k.after,
                "unit": k.unit,
                "telemetry_ref": k.telemetry_ref,
            }
            for k in record.kpis
        ],
    }


def current_input(session: Session, principal: Principal, record_id: str) -> dict[str, Any]:
    """The record as a create body, for a patch to merge into (the caller must be a party)."""
    record = repository.get(session, record_id)
    access.require_party(principal, record)
    return as_input(record)


def update(
    session: Session,
    principal: Principal,
    record_id: str,
    data: DeploymentIn,
    facts: Facts,
    expected: int | None,
) -> DeploymentRecord:
    record = repository.get(session, record_id)
    action = begin_change(principal, record, expected)
    before = as_input(record)
    if not facts.factory_checked and data.factory.factory_id == record.factory_id and record.factory_checked:
        facts = Facts(designated=facts.designated, factory_checked=True)  # same factory, checked before
    data = with_planned_stages(data, facts.designated)
    _check(data, process_for(facts.designated), {k.kind: k for k in record.kpis})
    _apply(record, data, facts)
    after = as_input(record)
    changed = sorted(k for k in after if after[k] != before[k])
    return finish_change(session, principal, record, action, changed=changed)


def put_kpi(
    session: Session,
    principal: Principal,
    record_id: str,
    kind: ref.KpiKind,
    kpi: KpiPut,
    expected: int | None,
) -> DeploymentRecord:
    if kpi.source != "self_reported":
        raise ValidationFailed(_SOURCE_RULE, fields=[field_error("body.source", _SOURCE_RULE)])
    record = repository.get(session, record_id)
    action = begin_change(principal, record, expected)
    record.kpis = [k for k in record.kpis if k.kind != kind] + [_kpi_row(kind.value, kpi)]
    return finish_change(session, principal, record, action, changed=[f"kpis.{kind.value}"])


def delete(session: Session, principal: Principal, record_id: str, expected: int | None) -> list[str]:
    """Drafts are deleted by their parties, published records only by admins; returns the document keys."""
    record = repository.get(session, record_id)
    access.require_party(principal, record)
    check_version(record, expected)
    if (record.published_at is not None or record.revision > 1) and not principal.is_admin:
        raise Forbidden(Msg("a record that was published is kept; only an admin deletes it"))
    keys = [d.storage_key for d in record.documents]
    session.delete(record)
    session.flush()
    return keys


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, min(day.day, 28))


def _stage_status(stage: dict[str, Any]) -> str:
    if stage.get("approved_by"):
        return "approved"
    if stage.get("actual_end"):
        return "done"
    return "in_progress" if stage.get("actual_start") else "planned"


def go_live(record: DeploymentRecord) -> date | None:
    """End of the completion inspection: after-care runs from there."""
    for stage in record.stages:
        if stage["code"] == "INSPECT" and stage.get("actual_end"):
            return date.fromisoformat(stage["actual_end"])
    return None


def after_service_end(record: DeploymentRecord) -> date | None:
    live = go_live(record)
    return _add_months(live, record.after_service_months) if live else None


def _kpi_out(k: Kpi) -> dict[str, Any]:
    return {
        "kind": k.kind,
        "baseline": k.baseline,
        "after": k.after,
        "unit": k.unit,
        "source": k.source,
        "telemetry_ref": k.telemetry_ref,
        "improvement_pct": k.improvement_pct,
        "evidence": k.evidence or None,
        "verified_by": k.verified_by,
    }


_STAGE_FIELDS = tuple(StageIn.model_fields)


def _span(start: str | None, end: str | None) -> int | None:
    """Days from ``start`` to ``end`` (stored ISO dates), both counted."""
    return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1 if start and end else None


def _stage_out(row: dict[str, Any], document_ids: list[str]) -> dict[str, Any]:
    out = {k: row.get(k) for k in _STAGE_FIELDS}
    out.update(
        name=STAGE_NAMES[row["code"]],
        status=_stage_status(row),
        approved_by=row.get("approved_by"),
        approved_at=row.get("approved_at"),
        planned_days=_span(row["planned_start"], row["planned_end"]),
        actual_days=_span(row.get("actual_start"), row.get("actual_end")),
        document_ids=document_ids,
    )
    return out


def to_out(record: DeploymentRecord, *, private: bool, tickets: TicketCounts | None = None) -> DeploymentOut:
    """The record as the caller may see it: without the private fields unless ``private``.

    Built as plain data and validated once: a list page holds 50 records of up to 12 stages each, and one
    validation of the whole record costs a fraction of building each nested model on its own. The
    documents are read only when shown (public lists do not load them).
    """
    stages = record.stages
    process = ref.ProjectProcess(record.process)
    first, last = stages[0], stages[-1]
    planned_days = _span(first["planned_start"], last["planned_end"]) or 0
    finished = all(s.get("actual_end") for s in stages) and first.get("actual_start") is not None
    actual_days = _span(first["actual_start"], last["actual_end"]) if finished else None
    actual_months = round(actual_days / DAYS_PER_MONTH, 1) if actual_days else None
    target = ref.PROCESS_TARGET_MONTHS[process]
    documents_by_stage: dict[str, list[str]] = {}
    documents = None
    if private:
        documents = [DocumentOut.model_validate(d, from_attributes=True) for d in record.documents]
        for document in documents:
            documents_by_stage.setdefault(document.stage_code or "", []).append(document.id)
    programme = PROGRAMME_BY_CODE.get(record.programme_code or "")
    return DeploymentOut.model_validate(
        {
            "id": record.id,
            **_described(record, address=private),
            "status": record.status,
            "revision": record.revision,
            "version": record.version,
            "drafted_by": record.drafted_by,
            "return_comment": record.return_comment,
            "programme": {"code": programme.code, "name": {"ko": programme.ko, "en": programme.en}}
            if programme
            else None,
            "process": process,
            "supplier_designated": record.supplier_designated,
            "stages": [_stage_out(row, documents_by_stage.get(row["code"], [])) for row in stages],
            "planned_months": round(planned_days / DAYS_PER_MONTH, 1),
            "actual_months": actual_months,
            "target_months": target,
            "meets_target": None if actual_months is None else actual_months <= target,
            "go_live": go_live(record),
            "after_service_months": record.after_service_months,
            "after_service_end": after_service_end(record),
            "aftercare": tickets or TicketCounts(open=0, late=0, resolved=0),
            "private_visible": private,
            "support_amount_krw": record.support_amount_krw if private else None,
            "company_share_krw": record.company_share_krw if private else None,
            "contract": record.contract if private and record.contract else None,
            "documents": documents,
            "year": record.year,
            "kpis": [_kpi_out(k) for k in sorted(record.kpis, key=lambda k: k.kind)],
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            "published_at": record.published_at,
        },
        context=STORED,
    )
