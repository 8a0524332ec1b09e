"""Rules of deployment records: consistency and programme checks, the planned stages of a process, drafting,
changing and deleting a record.

Flushes, never commits; every change goes through ``changes.begin_change`` and ``changes.finish_change``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from services.deployments import access, repository, tallies
from services.deployments.changes import (
    begin_change,
    check_version,
    finish_change,
    flush,
    note_mean_gain,
    record_history,
)
from services.deployments.kpis.service import SOURCE_RULE, kpi_row, unchanged
from services.deployments.models import DeploymentRecord, Kpi, Solution, Supplier
from services.deployments.output import described
from services.deployments.parties import Facts
from services.deployments.programmes import PROGRAMME_BY_CODE, Programme
from services.deployments.schemas import DeploymentIn, StageIn
from services.deployments.search import search_text
from services.kit import reference as ref
from services.kit.errors import FieldError, Forbidden, Problems, ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.principal import Principal, Role


def process_for(designated: bool) -> ref.ProjectProcess:
    return ref.ProjectProcess.SIMPLIFIED if designated else ref.ProjectProcess.STANDARD


def stage_codes(process: ref.ProjectProcess) -> tuple[str, ...]:
    return tuple(code for code, _, _ in ref.PROCESS_STAGES[process])


def planned_stages(process: ref.ProjectProcess, start: date) -> list[StageIn]:
    """The process's stages spread evenly from the contract date over its target months (calendar months)."""
    codes = stage_codes(process)
    days = (start + relativedelta(months=ref.PROCESS_TARGET_MONTHS[process]) - start).days
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
        if kpi.source != "self_reported" and not unchanged(stored.get(kpi.kind), kpi):
            errors.append(field_error(f"body.kpis[{i}].source", SOURCE_RULE))
    return errors


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
    record.search_text = search_text(
        title=data.title.model_dump(),
        sme_name=data.sme_name,
        factory_name=data.factory.name,
        region_code=data.factory.region_code,
        industry_code=data.factory.industry_code,
        solutions=[(s.subfield_code, s.name.model_dump()) for s in data.solutions],
        kpi_kinds=[k.kind for k in data.kpis],
        party_names=facts.party_names,
    )
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
        if unchanged(stored.get(k.kind), k)
        else kpi_row(k.kind, k.model_copy(update={"source": "self_reported"}))
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


def as_input(record: DeploymentRecord) -> dict[str, Any]:
    return {
        **described(record, address=True),
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
        facts = replace(facts, factory_checked=True)  # same factory, checked before
    data = with_planned_stages(data, facts.designated)
    _check(data, process_for(facts.designated), {k.kind: k for k in record.kpis})
    _apply(record, data, facts)
    after = as_input(record)
    changed = sorted(k for k in after if after[k] != before[k])
    return finish_change(session, principal, record, action, changed=changed)


def name_factory(
    session: Session, principal: Principal, record: DeploymentRecord, data: DeploymentIn, facts: Facts
) -> DeploymentRecord:
    """The SME names its registered factory on a record a supplier filed without one, as it confirms it
    (``lifecycle.endpoints``): ``data`` is the record as it is with that factory, ``facts`` its checks.
    Written as a step of its own in the history, before the confirmation."""
    _apply(record, data, facts)
    return finish_change(session, principal, record, "name_factory", changed=["factory"])


def delete(session: Session, principal: Principal, record_id: str, expected: int | None) -> list[str]:
    """Drafts are deleted by their parties, published records only by admins; returns the document keys."""
    record = repository.get(session, record_id)
    access.require_party(principal, record)
    check_version(record, expected)
    if (record.published_at is not None or record.revision > 1) and not principal.is_admin:
        raise Forbidden(Msg("a record that was published is kept; only an admin deletes it"))
    keys = [d.storage_key for d in record.documents]
    tallies.recount(session, record, deleted=True)
    session.delete(record)
    session.flush()
    return keys
