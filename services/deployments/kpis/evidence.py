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
from services.deployments.changes import begin_change, check_version, finish_change, require_changeable
from services.deployments.models import DeploymentRecord, Kpi
from services.deployments.schemas import AnalyticsKpi, KpiEvidence, KpiMeasureIn, Measurement, RerunOut
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
from services.kit.i18n import prefers_korean
from services.kit.messages import Msg, Verbatim
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
            Msg("KPI '{kind}' cannot be measured from telemetry", kind=kind.value),
            fields=[
                field_error(
                    "path.kind", Msg("measurable: {kinds}", kinds=", ".join(k.value for k in METRICS))
                )
            ],
        )
    if requested is not None and requested not in allowed:
        raise ValidationFailed(
            Msg("'{requested}' does not measure {kind}", requested=requested, kind=kind.value),
            fields=[field_error("body.metric", Msg("one of: {allowed}", allowed=", ".join(allowed)))],
        )
    return requested or allowed[0]


def measurable_factory(session: Session, principal: Principal, record_id: str, expected: int | None) -> str:
    """The factory to measure, once the caller may change the record now."""
    record = repository.get(session, record_id)
    require_changeable(principal, record, expected)
    if record.factory_id is None:
        raise Conflict(Msg("the record names no registered factory"))
    return record.factory_id


def _error_of(response: httpx.Response) -> PlatformError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    # The analytics service answered in the caller's language (``measure`` passes it on).
    said = Verbatim(str(body.get("detail", response.text[:300])))
    if response.status_code in (401, 403):
        return Forbidden(Msg("analytics may not measure this factory: {said}", said=said))
    if response.status_code == 404:
        return Conflict(Msg("analytics has no telemetry to measure: {said}", said=said))
    if response.status_code == 422:
        fields = [field_error(str(f["loc"]), Verbatim(str(f["msg"]))) for f in body.get("fields") or []]
        return ValidationFailed(Msg("analytics: {said}", said=said), fields=fields)
    return ServiceUnavailable(Msg("analytics: {said}", said=said), headers={"Retry-After": "5"})


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
        "POST",
        "analytics",
        "/kpis/measure",
        json=body,
        token=bearer_token(request),
        korean=prefers_korean(request),
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
            Msg("no telemetry defines {metric} in the {which} period", metric=metric, which=which),
            fields=[field_error(f"body.{which}", Msg("no readings define the KPI in this period"))],
        )
    record = repository.get(session, record_id)
    action = begin_change(principal, record, expected)
    if record.factory_id != factory_id:
        raise Conflict(Msg("the record's factory changed meanwhile: measure again"))
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
        raise NotFound(Msg("KPI '{kind}' of this record has no telemetry evidence", kind=kind.value))
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
        raise Forbidden(Msg("only an agency reviewer of the record's region verifies a KPI"))
    if record.status == "published":
        raise Conflict(Msg("the record is published"))
    check_version(record, expected)
    kpi = next((k for k in record.kpis if k.kind == kind.value), None)
    if kpi is None:
        raise NotFound(Msg("the record has no KPI '{kind}'", kind=kind.value))
    kpi.source, kpi.verified_by = "verified", principal.username or principal.subject
    return finish_change(session, principal, record, "verify_kpi", changed=[f"kpis.{kind.value}"])
