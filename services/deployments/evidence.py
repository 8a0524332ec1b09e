"""KPIs measured from telemetry: the analytics service computes before/after over the record's factory
(``POST /api/v1/analytics/kpis/measure``, with the caller's token, so its tenancy applies); the answer is
stored as the KPI's evidence (metric, periods, query, lake snapshot id, volume) and the KPI becomes
``source=telemetry``. A re-run asks again on the stored snapshot: the same snapshot gives the same figures.
``verified`` is an agency reviewer confirming a KPI; the evidence stays with it.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request
from sqlalchemy.orm import Session

from services.deployments import access, repository
from services.deployments.models import DeploymentRecord, Kpi
from services.deployments.schemas import AnalyticsKpi, KpiEvidence, KpiMeasureIn, Measurement, RerunOut
from services.deployments.service import begin_change, check_version, finish_change, require_changeable
from services.kit import reference as ref
from services.kit.clients import bearer_token, service_client
from services.kit.db import utcnow
from services.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PlatformError,
    ServiceUnavailable,
    ValidationFailed,
    field_error,
)
from services.kit.principal import Principal

# The analytics measures that stand for a record KPI (the first is the default); cost and delivery are not
# in the telemetry.
METRICS: dict[ref.KpiKind, tuple[AnalyticsKpi, ...]] = {
    ref.KpiKind.PRODUCTIVITY: ("throughput", "oee", "availability", "performance"),
    ref.KpiKind.DEFECT_RATE: ("defect_rate",),
    ref.KpiKind.ENERGY: ("energy_per_good_unit",),
}


def metric_for(kind: ref.KpiKind, requested: AnalyticsKpi | None) -> AnalyticsKpi:
    allowed = METRICS.get(kind)
    if not allowed:
        raise ValidationFailed(
            f"KPI '{kind.value}' cannot be measured from telemetry",
            detail_ko="원격 측정 데이터로 측정할 수 없는 KPI입니다",
            fields=[field_error("path.kind", f"measurable: {', '.join(k.value for k in METRICS)}")],
        )
    if requested is not None and requested not in allowed:
        raise ValidationFailed(
            f"'{requested}' does not measure {kind.value}",
            fields=[field_error("body.metric", f"one of: {', '.join(allowed)}")],
        )
    return requested or allowed[0]


def measurable_factory(session: Session, principal: Principal, record_id: str, expected: int | None) -> str:
    """The factory to measure, once the caller may change the record now."""
    record = repository.get(session, record_id)
    require_changeable(principal, record, expected)
    if record.factory_id is None:
        raise Conflict("the record names no registered factory", detail_ko="등록된 공장이 없습니다")
    return record.factory_id


def _error_of(response: httpx.Response) -> PlatformError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = f"analytics: {body.get('detail', response.text[:300])}"
    fields = body.get("fields") or None
    if response.status_code in (401, 403):
        return Forbidden(detail, detail_ko="이 공장의 데이터를 측정할 권한이 없습니다")
    if response.status_code == 404:
        return Conflict(detail, detail_ko="측정할 원격 측정 데이터가 없습니다")
    if response.status_code == 422:
        return ValidationFailed(detail, fields=fields)
    return ServiceUnavailable(detail, headers={"Retry-After": "5"})


async def measure(
    request: Request,
    factory_id: str,
    metric: AnalyticsKpi,
    baseline: dict[str, Any],
    after: dict[str, Any],
    snapshot_id: int | None,
) -> dict[str, Any]:
    body = {
        "factory_id": factory_id,
        "kpi": metric,
        "baseline": baseline,
        "after": after,
        "snapshot_id": snapshot_id,
    }
    response = await service_client(request).send(
        "POST", "analytics", "/kpis/measure", json=body, token=bearer_token(request)
    )
    if response.status_code != 200:
        raise _error_of(response)
    answer: dict[str, Any] = response.json()
    return answer


def store(
    session: Session,
    principal: Principal,
    record_id: str,
    kind: ref.KpiKind,
    body: KpiMeasureIn,
    metric: AnalyticsKpi,
    factory_id: str,
    answer: dict[str, Any],
    expected: int | None,
) -> DeploymentRecord:
    if answer.get("before") is None or answer.get("after") is None:
        which = "baseline" if answer.get("before") is None else "after"
        raise ValidationFailed(
            f"no telemetry defines {metric} in the {which} period",
            detail_ko="해당 기간에 측정할 데이터가 없습니다",
            fields=[field_error(f"body.{which}", "no readings define the KPI in this period")],
        )
    record = repository.get(session, record_id)
    action = begin_change(principal, record, expected)
    if record.factory_id != factory_id:
        raise Conflict("the record's factory changed meanwhile: measure again", detail_ko="다시 측정하세요")
    evidence = KpiEvidence(
        metric=metric,
        unit=str(answer["unit"])[:16],
        factory_id=factory_id,
        baseline_period=body.baseline,
        after_period=body.after,
        query=str(answer["query"]),
        before=answer["before"],
        after=answer["after"],
        snapshot_id=int(answer["snapshot_id"]),
        rows_used=int(answer["rows_used"]),
        readings_used=int(answer["readings_used"]),
        measured_at=utcnow(),
        measured_by=principal.username or principal.subject,
    )
    before_value, after_value = float(answer["before"]), float(answer["after"])
    row = Kpi(
        kind=kind.value,
        baseline=before_value,
        after=after_value,
        unit=evidence.unit,
        source="telemetry",
        telemetry_ref=f"analytics:{metric}@{evidence.snapshot_id}",
        improvement_pct=ref.kpi_improvement_pct(kind, before_value, after_value),
        evidence=evidence.model_dump(mode="json"),
    )
    record.kpis = [k for k in record.kpis if k.kind != kind.value] + [row]
    return finish_change(session, principal, record, action, changed=[f"kpis.{kind.value}"])


def stored_evidence(
    session: Session, principal: Principal | None, record_id: str, kind: ref.KpiKind
) -> KpiEvidence:
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    kpi = next((k for k in record.kpis if k.kind == kind.value), None)
    if kpi is None or kpi.evidence is None:
        raise NotFound(
            f"KPI '{kind.value}' of this record has no telemetry evidence",
            detail_ko="원격 측정 근거가 없는 KPI입니다",
        )
    return KpiEvidence.model_validate(kpi.evidence)


def _figures(source: KpiEvidence | dict[str, Any]) -> Measurement:
    data = source.model_dump() if isinstance(source, KpiEvidence) else source
    return Measurement.model_validate({k: data[k] for k in Measurement.model_fields})


def compare(evidence: KpiEvidence, answer: dict[str, Any]) -> RerunOut:
    stored, rerun = _figures(evidence), _figures(answer)
    return RerunOut(matches=stored == rerun, stored=stored, rerun=rerun)


def verify_kpi(
    session: Session, principal: Principal, record_id: str, kind: ref.KpiKind, expected: int | None
) -> DeploymentRecord:
    """An agency reviewer of the record's region confirms a KPI (on a record not yet published)."""
    record = repository.get(session, record_id)
    access.require_readable(principal, record)
    if not access.reviews(principal, record):
        raise Forbidden(
            "only an agency reviewer of the record's region verifies a KPI",
            detail_ko="해당 지역 전담기관 검토자만 검증할 수 있습니다",
        )
    if record.status == "published":
        raise Conflict("the record is published", detail_ko="공개된 구축정보입니다")
    check_version(record, expected)
    kpi = next((k for k in record.kpis if k.kind == kind.value), None)
    if kpi is None:
        raise NotFound(f"the record has no KPI '{kind.value}'", detail_ko="해당 KPI가 없습니다")
    kpi.source, kpi.verified_by = "verified", principal.username or principal.subject
    return finish_change(session, principal, record, "verify_kpi", changed=[f"kpis.{kind.value}"])
