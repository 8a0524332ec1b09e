"""Routes of /api/v1/analytics/ai-runs and /ai-predictions: apply a case's model to your own equipment, follow
its runs, read its predictions. Only SMEs apply (to their own factories, catalog.tenancy); every read is of
the caller's organisation (admins: all), so a case's owner sees nothing of the SMEs that applied it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request

from catalog import tenancy
from catalog.ai_runs import apply, reads
from catalog.ai_runs.predictions import Subscription
from catalog.ai_runs.schemas import EQUIPMENT, FACTORY, ApplyIn, PredictionSeries, RunOut, RunsPage
from catalog.ai_runs.windows import equipment_models
from catalog.endpoints import LAKE, check_range, lake_engine, run_blocking
from services.kit.app_state import app_state
from services.kit.clients import bearer_token, service_client
from services.kit.contract import Declared, answers
from services.kit.errors import BadRequest, Forbidden, NotFound, ValidationFailed, field_error
from services.kit.fields import AwareIsoDateTime
from services.kit.messages import Msg
from services.kit.objects import ObjectStore
from services.kit.pagination import CursorQuery, decode_cursor, encode_cursor, malformed_cursor
from services.kit.principal import Authenticated, Principal, Role, require_roles
from services.usecases.runnable.runner import limits_of
from services.usecases.runnable.signature import Signature
from services.usecases.runnable.store import models_of

router = APIRouter()
Subscriber = Annotated[Principal, require_roles(Role.SME)]
NO_MODEL: Declared = (NotFound, "no such case visible to you, or it carries no model; or no such run")
NO_ORG: Declared = (Forbidden, "the caller belongs to no organisation (runs are an organisation's)")
MAX_RUNS_PAGE = 200


def _models(request: Request) -> ObjectStore:
    return models_of(app_state(request))


def _org_of(principal: Principal) -> str | None:
    """Whose runs and predictions the caller reads: admins every organisation's, others their own only."""
    if principal.is_admin:
        return None
    if principal.org_id is None:
        raise Forbidden(Msg("runs and predictions are for the organisation that applied the model"))
    return principal.org_id


@router.post(
    "/ai-runs",
    status_code=202,
    summary="Apply a case's model to one of your equipment (sme): scores its readings, then follows new ones",
)
@answers(
    NO_MODEL,
    (Forbidden, "the factory belongs to another organisation"),
    (ValidationFailed, "the equipment has no readings, or readings of another equipment model"),
    LAKE,
)
async def apply_model(
    request: Request, body: ApplyIn, principal: Subscriber, background: BackgroundTasks
) -> RunOut:
    try:
        model = await service_client(request).get_json(
            "usecases", f"/{body.case_id}/model", token=bearer_token(request)
        )
    except NotFound:
        raise NotFound(
            Msg("use case '{case_id}' does not exist or carries no model", case_id=body.case_id)
        ) from None
    signature = Signature.model_validate(model["signature"])
    engine = await lake_engine(request)
    scope = await tenancy.scope_for(request, engine, principal, [body.factory_id])
    found = await run_blocking(equipment_models, engine, scope, body.factory_id, body.equipment_id)
    if signature.model_id not in found:
        text = (
            Msg("no readings of this equipment in your factory")
            if not found
            else Msg(
                "this equipment reports {found}; the case's model reads {model_id}",
                found=", ".join(found),
                model_id=signature.model_id,
            )
        )
        raise ValidationFailed(text, fields=[field_error("body.equipment_id", text)])
    assert principal.org_id is not None  # scope_for refused an SME without an organisation
    sub = Subscription(body.case_id, model["sha256"], principal.org_id, body.factory_id, body.equipment_id)
    run = apply.RunRequest(sub, signature, principal.subject)
    run_id, requested_at = apply.new_run_id(), apply.now()
    await run_blocking(apply.start, engine, run, run_id, requested_at)
    limits = limits_of(app_state(request).settings)
    background.add_task(apply.execute, engine, _models(request), run, limits, run_id, requested_at)
    rows = await run_blocking(
        reads.runs, engine, sub.org_id, case_id=None, equipment_id=None, run_id=run_id, after=None, limit=1
    )
    return RunOut.model_validate(rows[0])


@router.get(
    "/ai-runs", summary="Runs of your organisation, newest first (admin: all)", response_model=RunsPage
)
@answers((BadRequest, "a malformed cursor"), NO_ORG, LAKE)
async def list_runs(
    request: Request,
    principal: Authenticated,
    case_id: Annotated[str | None, Query(max_length=32)] = None,
    equipment_id: Annotated[str | None, Query(pattern=EQUIPMENT)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS_PAGE)] = 50,
    cursor: CursorQuery = None,
) -> RunsPage:
    org_id = _org_of(principal)
    after = None
    if cursor:
        at, run_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(at), str(run_id))
        except (TypeError, ValueError) as exc:
            raise malformed_cursor() from exc
    engine = await lake_engine(request)
    rows = await run_blocking(
        reads.runs,
        engine,
        org_id,
        case_id=case_id,
        equipment_id=equipment_id,
        run_id=None,
        after=after,
        limit=limit + 1,
    )
    items = [RunOut.model_validate(row) for row in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return RunsPage(
        items=items, next_cursor=encode_cursor([last.requested_at, last.run_id]) if last else None
    )


@router.get("/ai-runs/{run_id}", summary="One run of your organisation in its latest state (admin: any)")
@answers(NO_MODEL, NO_ORG, LAKE)
async def get_run(request: Request, run_id: str, principal: Authenticated) -> RunOut:
    org_id = _org_of(principal)
    engine = await lake_engine(request)
    rows = await run_blocking(
        reads.runs, engine, org_id, case_id=None, equipment_id=None, run_id=run_id, after=None, limit=1
    )
    if not rows:
        raise NotFound(Msg("run '{run_id}' does not exist", run_id=run_id))
    return RunOut.model_validate(rows[0])


@router.get(
    "/ai-predictions",
    summary="Predictions of a case on one of your equipment, as a series in window order (admin: any)",
)
@answers((BadRequest, "`to` before `from`"), NO_ORG, LAKE)
async def prediction_series(
    request: Request,
    principal: Authenticated,
    case_id: Annotated[str, Query(max_length=32)],
    factory_id: Annotated[str, Query(pattern=FACTORY)],
    equipment_id: Annotated[str, Query(pattern=EQUIPMENT)],
    output: Annotated[str | None, Query(max_length=64, description="one output of the signature")] = None,
    start: Annotated[AwareIsoDateTime | None, Query(alias="from")] = None,
    to: AwareIsoDateTime | None = None,
) -> PredictionSeries:
    check_range(start, to)
    org_id = _org_of(principal)
    engine = await lake_engine(request)
    points = await run_blocking(
        reads.series,
        engine,
        org_id,
        case_id=case_id,
        factory_id=factory_id,
        equipment_id=equipment_id,
        output=output,
        start=start,
        end=to,
    )
    return PredictionSeries.model_validate(
        {"case_id": case_id, "factory_id": factory_id, "equipment_id": equipment_id, "points": points}
    )
