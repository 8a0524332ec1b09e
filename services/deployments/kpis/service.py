"""Self-reported KPIs: a party sets baseline and after values; the improvement is derived on write.

Only ``self_reported`` is ever set by hand: a telemetry KPI comes with its evidence (``evidence``), a verified
one from an agency reviewer. A KPI sent back unchanged keeps its source, evidence and verification.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.deployments import repository
from services.deployments.changes import begin_change, finish_change
from services.deployments.models import DeploymentRecord, Kpi
from services.deployments.schemas import KpiIn, KpiPut
from services.kit import reference as ref
from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.principal import Principal

SOURCE_RULE = Msg(
    "only self_reported can be set: telemetry is stored by POST .../kpis/{{kind}}/measure with its evidence, "
    "verified by an agency reviewer (POST .../kpis/{{kind}}/verify)"
)


def unchanged(stored: Kpi | None, kpi: KpiIn) -> bool:
    return stored is not None and (stored.baseline, stored.after, stored.unit) == (
        kpi.baseline,
        kpi.after,
        kpi.unit,
    )


def kpi_row(kind: str, kpi: KpiIn | KpiPut) -> Kpi:
    return Kpi(
        kind=kind,
        baseline=kpi.baseline,
        after=kpi.after,
        unit=kpi.unit,
        source=kpi.source,
        telemetry_ref=kpi.telemetry_ref,
        improvement_pct=ref.kpi_improvement_pct(ref.KpiKind(kind), kpi.baseline, kpi.after),
    )


def put_kpi(
    session: Session,
    principal: Principal,
    record_id: str,
    kind: ref.KpiKind,
    kpi: KpiPut,
    expected: int | None,
) -> DeploymentRecord:
    if kpi.source != "self_reported":
        raise ValidationFailed(SOURCE_RULE, fields=[field_error("body.source", SOURCE_RULE)])
    record = repository.get(session, record_id)
    action = begin_change(principal, record, expected)
    record.kpis = [k for k in record.kpis if k.kind != kind] + [kpi_row(kind.value, kpi)]
    return finish_change(session, principal, record, action, changed=[f"kpis.{kind.value}"])
