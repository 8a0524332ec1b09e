"""Rules of deployment records: consistency checks, derived figures, aggregates. Flushes, never commits."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services.deployments import repository
from services.deployments.models import DeploymentRecord, Kpi, Solution, Supplier
from services.deployments.schemas import (
    AggregateGroup,
    Aggregates,
    CodeCount,
    DeploymentIn,
    DeploymentOut,
    DeploymentPatch,
    FactorySite,
    KpiIn,
    KpiOut,
    KpiPut,
    Label,
    SolutionIn,
    StageIn,
    StageOut,
    TrackRecord,
)
from services.kit import reference as ref
from services.kit.bodies import merged
from services.kit.errors import ValidationFailed, field_error
from services.kit.principal import Principal

DAYS_PER_MONTH = 30.44


def _consistency_errors(data: DeploymentIn) -> list[dict[str, str]]:
    errors = []
    if ref.SYSTEM_LEVEL_ORDER[data.level_after] < ref.SYSTEM_LEVEL_ORDER[data.level_before]:
        errors.append(field_error("body.level_after", "must not be lower than level_before"))
    previous: StageIn | None = None
    for i, (stage, code) in enumerate(zip(data.stages, ref.STAGE_CODES, strict=True)):
        loc = f"body.stages[{i}]"
        if stage.code != code:
            errors.append(
                field_error(
                    f"{loc}.code", f"stage {i + 1} must be '{code}' (order: {', '.join(ref.STAGE_CODES)})"
                )
            )
        if stage.planned_end < stage.planned_start:
            errors.append(field_error(f"{loc}.planned_end", "must not be before planned_start"))
        if stage.actual_end is not None and stage.actual_start is None:
            errors.append(field_error(f"{loc}.actual_start", "required when actual_end is set"))
        if stage.actual_start and stage.actual_end and stage.actual_end < stage.actual_start:
            errors.append(field_error(f"{loc}.actual_end", "must not be before actual_start"))
        if previous is not None and stage.planned_start < previous.planned_start:
            errors.append(field_error(f"{loc}.planned_start", "stages must start in order"))
        previous = stage
    seen: set[str] = set()
    for i, kpi in enumerate(data.kpis):
        if kpi.kind in seen:
            errors.append(field_error(f"body.kpis[{i}].kind", f"KPI '{kpi.kind}' given twice"))
        seen.add(kpi.kind)
    return errors


def _check(data: DeploymentIn) -> None:
    errors = _consistency_errors(data)
    if errors:
        raise ValidationFailed(
            "; ".join(f"{e['loc']}: {e['msg']}" for e in errors),
            detail_ko="구축정보 값이 서로 맞지 않습니다",
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


def _apply(record: DeploymentRecord, data: DeploymentIn) -> None:
    record.title = data.title.model_dump()
    record.search_text = " ".join(filter(None, (data.title.ko, data.title.en, data.sme_name))).lower()[:2000]
    record.sme_company_id = data.sme_company_id
    record.sme_name = data.sme_name
    record.factory_name = data.factory.name
    record.region_code = data.factory.region_code
    record.address = data.factory.address
    record.industry_code = data.factory.industry_code
    record.level_before = data.level_before.value
    record.level_after = data.level_after.value
    record.stages = [s.model_dump(mode="json") for s in data.stages]
    record.after_service_months = data.after_service_months
    record.support_amount_krw = data.support_amount_krw
    record.year = data.stages[0].planned_start.year
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
    record.kpis = [_kpi_row(k.kind, k) for k in data.kpis]


def create(session: Session, principal: Principal, data: DeploymentIn) -> DeploymentRecord:
    _check(data)
    record = DeploymentRecord(owner_org_id=principal.owner_for(data.owner_org_id))
    _apply(record, data)
    session.add(record)
    session.flush()
    return record


def _as_input(record: DeploymentRecord) -> dict[str, Any]:
    return {
        "owner_org_id": record.owner_org_id,
        "title": record.title,
        "sme_company_id": record.sme_company_id,
        "sme_name": record.sme_name,
        "factory": {
            "name": record.factory_name,
            "region_code": record.region_code,
            "address": record.address,
            "industry_code": record.industry_code,
        },
        "supplier_company_ids": [s.company_id for s in record.suppliers],
        "solutions": [
            {"subfield_code": s.subfield_code, "name": s.name, "supplier_company_id": s.supplier_company_id}
            for s in record.solutions
        ],
        "level_before": record.level_before,
        "level_after": record.level_after,
        "stages": record.stages,
        "after_service_months": record.after_service_months,
        "support_amount_krw": record.support_amount_krw,
        "kpis": [
            {
                "kind": k.kind,
                "baseline": k.baseline,
                "after": k.after,
                "unit": k.unit,
                "source": k.source,
                "telemetry_ref": k.telemetry_ref,
            }
            for k in record.kpis
        ],
    }


def update(
    session: Session, principal: Principal, record_id: str, patch: DeploymentPatch
) -> DeploymentRecord:
    record = repository.get(session, record_id)
    principal.require_org(record.owner_org_id)
    data = merged(DeploymentIn, _as_input(record), patch, "record")
    _check(data)
    _apply(record, data)
    session.flush()
    return record


def put_kpi(
    session: Session, principal: Principal, record_id: str, kind: ref.KpiKind, kpi: KpiPut
) -> DeploymentRecord:
    record = repository.get(session, record_id)
    principal.require_org(record.owner_org_id)
    record.kpis = [k for k in record.kpis if k.kind != kind] + [_kpi_row(kind.value, kpi)]
    session.flush()
    return record


def delete(session: Session, principal: Principal, record_id: str) -> None:
    record = repository.get(session, record_id)
    principal.require_org(record.owner_org_id)
    session.delete(record)
    session.flush()


def _days(start: date | None, end: date | None) -> int | None:
    return (end - start).days + 1 if start and end else None


def to_out(record: DeploymentRecord) -> DeploymentOut:
    stages = [StageIn.model_validate(s) for s in record.stages]
    planned_days = (stages[-1].planned_end - stages[0].planned_start).days + 1
    finished = all(s.actual_end for s in stages) and stages[0].actual_start is not None
    actual_days = _days(stages[0].actual_start, stages[-1].actual_end) if finished else None
    actual_months = round(actual_days / DAYS_PER_MONTH, 1) if actual_days else None
    last_end = stages[-1].actual_end or stages[-1].planned_end
    year, month = divmod(last_end.month - 1 + record.after_service_months, 12)
    after_service_end = date(last_end.year + year, month + 1, min(last_end.day, 28))
    return DeploymentOut(
        id=record.id,
        owner_org_id=record.owner_org_id,
        title=record.title,
        sme_company_id=record.sme_company_id,
        sme_name=record.sme_name,
        factory=FactorySite(
            name=record.factory_name,
            region_code=record.region_code,
            address=record.address,
            industry_code=record.industry_code,
        ),
        supplier_company_ids=[s.company_id for s in record.suppliers],
        solutions=[
            SolutionIn(subfield_code=s.subfield_code, name=s.name, supplier_company_id=s.supplier_company_id)
            for s in record.solutions
        ],
        level_before=record.level_before,
        level_after=record.level_after,
        stages=[
            StageOut(
                **s.model_dump(),
                planned_days=(s.planned_end - s.planned_start).days + 1,
                actual_days=_days(s.actual_start, s.actual_end),
            )
            for s in stages
        ],
        planned_months=round(planned_days / DAYS_PER_MONTH, 1),
        actual_months=actual_months,
        meets_target=None if actual_months is None else actual_months <= ref.TARGET_PROJECT_MONTHS,
        after_service_months=record.after_service_months,
        after_service_end=after_service_end,
        support_amount_krw=record.support_amount_krw,
        year=record.year,
        kpis=[
            KpiOut(
                kind=k.kind,
                baseline=k.baseline,
                after=k.after,
                unit=k.unit,
                source=k.source,
                telemetry_ref=k.telemetry_ref,
                improvement_pct=k.improvement_pct,
            )
            for k in sorted(record.kpis, key=lambda k: k.kind)
        ],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _medians(values: Iterable[tuple[str, float]]) -> dict[str, float]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, value in values:
        by_kind[kind].append(value)
    return {kind: round(statistics.median(v), 2) for kind, v in sorted(by_kind.items())}


_LABELS: dict[str, dict[str, Label]] = {
    "region": {r.code: Label(ko=r.ko, en=r.en) for r in ref.REGIONS},
    "subfield": {s.code: Label(ko=s.ko, en=s.en) for s in ref.SUBFIELDS},
    "industry": {i.code: Label(ko=i.ko, en=i.en) for i in ref.INDUSTRIES},
}


def aggregates(session: Session, by: str) -> Aggregates:
    """Count and median KPI improvement per group; every region/sub-field/industry is listed, zeros too."""
    keys = repository.group_keys(session, by)
    improvements = repository.kpi_improvements(session)
    per_record: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for record_id, kind, value in improvements:
        per_record[record_id].append((kind, value))
    members: dict[str, list[str]] = defaultdict(list)
    for record_id, key in keys:
        members[key].append(record_id)
    labels = _LABELS.get(by, {})
    ordered = list(labels) if labels else sorted(members)
    groups = [
        AggregateGroup(
            key=key,
            label=labels.get(key),
            count=len(members.get(key, [])),
            median_kpi_improvement_pct=_medians(v for rid in members.get(key, []) for v in per_record[rid]),
        )
        for key in ordered
    ]
    return Aggregates(by=by, total=len({rid for rid, _ in keys}), groups=groups)


def _ranked(counts: Counter[str]) -> list[CodeCount]:
    return [CodeCount(code=c, count=n) for c, n in sorted(counts.items(), key=lambda cn: (-cn[1], cn[0]))]


def track_record(session: Session, company_id: str) -> TrackRecord:
    records = repository.supplied_by(session, company_id)
    regions = Counter(r.region_code for r in records)
    subfields = Counter(s.subfield_code for r in records for s in r.solutions)
    kpis = [k for r in records for k in r.kpis]
    return TrackRecord(
        company_id=company_id,
        deployment_count=len(records),
        regions=_ranked(regions),
        subfields=_ranked(subfields),
        median_kpi_improvement_pct=_medians(
            (k.kind, k.improvement_pct) for k in kpis if k.improvement_pct is not None
        ),
        telemetry_backed_kpis=sum(1 for k in kpis if k.source == "telemetry"),
    )
