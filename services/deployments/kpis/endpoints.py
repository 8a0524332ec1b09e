"""Routes of a record's KPIs: set a self-reported one, measure one from telemetry, re-run a measurement on
its stored lake snapshot, verify one (agency).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.deployments.auth import IfMatch, expected_version
from services.deployments.kpis import evidence, service
from services.deployments.routing import (
    FORBIDDEN,
    NOT_FOUND,
    WRITE,
    in_thread,
    out,
    written,
)
from services.deployments.schemas import (
    DeploymentOut,
    KpiMeasureIn,
    KpiPut,
    RerunOut,
)
from services.kit import reference as ref
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import ServiceUnavailable
from services.kit.principal import (
    AgencyOnly,
    Authenticated,
    Writer,
)

router = APIRouter()

ANALYTICS: Declared = (ServiceUnavailable, "the analytics service is unreachable")


@router.put(
    "/{record_id}/kpis/{kind}",
    summary="Set one self-reported KPI (the parties)",
)
@answers(*WRITE)
def put_kpi(
    record_id: str,
    kind: ref.KpiKind,
    body: KpiPut,
    response: Response,
    principal: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = service.put_kpi(session, principal, record_id, kind, body, expected_version(if_match))
    return written(record, response)


@router.post(
    "/{record_id}/kpis/{kind}/measure",
    summary="Measure a KPI from the factory's telemetry and store it with its evidence (the parties)",
)
@answers(*WRITE, ANALYTICS)
async def measure_kpi(
    request: Request,
    record_id: str,
    kind: ref.KpiKind,
    body: KpiMeasureIn,
    response: Response,
    principal: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    expected = expected_version(if_match)
    factory_id = await in_thread(evidence.measurable_factory, session, principal, record_id, expected)
    metric = evidence.metric_for(kind, body.metric)
    baseline, after = body.baseline.model_dump(mode="json"), body.after.model_dump(mode="json")
    answer = await evidence.measure(request, factory_id, metric, baseline, after, None)

    def run() -> DeploymentOut:
        record = evidence.store(
            session, principal, record_id, kind, body, metric, factory_id, answer, expected
        )
        return written(record, response)

    return await in_thread(run)


@router.post(
    "/{record_id}/kpis/{kind}/rerun",
    summary="Re-run a telemetry KPI on its stored lake snapshot and say whether it gives the same figures",
)
@answers(NOT_FOUND, FORBIDDEN, ANALYTICS)
async def rerun_kpi(
    request: Request, record_id: str, kind: ref.KpiKind, principal: Authenticated, session: SessionDep
) -> RerunOut:
    stored = await in_thread(evidence.stored_evidence, session, principal, record_id, kind)
    answer = await evidence.measure(
        request,
        stored.factory_id,
        stored.metric,
        stored.baseline_period.model_dump(mode="json"),
        stored.after_period.model_dump(mode="json"),
        stored.snapshot_id,
    )
    return evidence.compare(stored, answer)


@router.post(
    "/{record_id}/kpis/{kind}/verify",
    summary="Mark a KPI verified (agency reviewer of the record's region)",
)
@answers(*WRITE)
def verify_kpi(
    record_id: str,
    kind: ref.KpiKind,
    response: Response,
    principal: AgencyOnly,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = evidence.verify_kpi(session, principal, record_id, kind, expected_version(if_match))
    return out(record, True, response)
