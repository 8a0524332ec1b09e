"""Routes of the designation workflow, the evaluators, the admin queue and the public registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from services.companies import designation, diagnosis, evaluators, platform, repository
from services.companies.designation import Viewer
from services.companies.models import Designation, Evaluator
from services.companies.schemas import (
    ActionIn,
    AppealIn,
    AssignIn,
    CompletenessIn,
    ConflictIn,
    DecisionIn,
    DesignationIn,
    DesignationOut,
    DiagnosisModelOut,
    EvaluationIn,
    EvaluatorIn,
    EvaluatorOut,
    QueueItem,
    RecordedDesignationIn,
    RegistryEntry,
)
from services.companies.service import require_owner
from services.kit.clients import service_client
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import Conflict, Forbidden, NotFound, ServiceUnavailable
from services.kit.fields import RegionCode, SubFieldCode
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import AdminOnly, Authenticated, EvaluatorOnly, Principal, VendorOnly
from services.kit.reference import GrowthStage

# Paths without a company id: mounted before /{company_id} so that they are not read as one.
static = APIRouter()
router = APIRouter()

NOT_FOUND: Declared = (NotFound, "no such company, application or evaluator")
FORBIDDEN: Declared = (Forbidden, "another organisation's application, or a missing role")
STATE: Declared = (Conflict, "the application is not in the state this step needs")
APP = "/{company_id}/designations/{application_id}"


def _out(principal: Principal | None) -> Any:
    viewer = Viewer(admin=principal is not None and principal.is_admin)
    return lambda row: designation.to_out(row, viewer)


@static.get("/diagnosis-model", summary="The capability-diagnosis indicator model, every version (public)")
@answers()
def diagnosis_model() -> list[DiagnosisModelOut]:
    return [
        DiagnosisModelOut.model_validate(
            {
                "version": version,
                "current": version == diagnosis.CURRENT_VERSION,
                "areas": diagnosis.AREA_NAMES,
                "indicators": [
                    {
                        "code": i.code,
                        "area": i.area,
                        "source": i.source,
                        "name": {"ko": i.ko, "en": i.en},
                        "definition": {"ko": i.definition_ko, "en": i.definition_en},
                        "unit": i.unit,
                        "scoring": {"rule": "piecewise-linear", "points": i.points},
                        "weight": i.weight,
                    }
                    for i in indicators
                ],
            }
        )
        for version, indicators in diagnosis.MODELS.items()
    ]


@static.get("/registry", summary="Designated specialist companies in force today (public)")
@answers()
def registry(
    session: SessionDep,
    page: PageDep,
    region: Annotated[RegionCode | None, Query()] = None,
    field: Annotated[SubFieldCode | None, Query(description="designated field")] = None,
    growth_stage: GrowthStage | None = None,
) -> Page[RegistryEntry]:
    filters = repository.RegistryFilters(
        region=region, field=field, growth_stage=growth_stage.value if growth_stage else None
    )
    return paginate(
        session,
        repository.registry(filters),
        (Designation.valid_from, Designation.id),
        page,
        designation.registry_entry,
    )


@static.get("/designation-queue", summary="Open applications of every company by deadline (admin)")
@answers()
def designation_queue(principal: AdminOnly, session: SessionDep, page: PageDep) -> Page[QueueItem]:
    stmt = repository.open_applications(("submitted", "in_review", "evaluated"))
    return paginate(session, stmt, (Designation.due_at, Designation.id), page, designation.queue_item)


@static.put("/evaluators/me", summary="Register or update oneself as an evaluator (evaluator)")
@answers()
def register_evaluator(body: EvaluatorIn, principal: EvaluatorOnly, session: SessionDep) -> EvaluatorOut:
    return evaluators.to_out(session, evaluators.register(session, principal, body))


@static.post(
    "/evaluators/me/conflicts",
    status_code=201,
    summary="Declare a conflict of interest with a company; pending assignments there end (evaluator)",
)
@answers(NOT_FOUND)
def declare_conflict(body: ConflictIn, principal: EvaluatorOnly, session: SessionDep) -> EvaluatorOut:
    return evaluators.to_out(session, evaluators.declare_conflict(session, principal, body))


@static.get("/evaluators", summary="Registered evaluators with their declared conflicts (admin)")
@answers()
def list_evaluators(principal: AdminOnly, session: SessionDep, page: PageDep) -> Page[EvaluatorOut]:
    return paginate(
        session, repository.evaluators(), (Evaluator.id,), page, lambda e: evaluators.to_out(session, e)
    )


@static.get("/evaluators/me/assignments", summary="Applications assigned to me (evaluator)")
@answers()
def my_assignments(principal: EvaluatorOnly, session: SessionDep, page: PageDep) -> Page[DesignationOut]:
    stmt = repository.assigned_to(principal.subject)
    return paginate(session, stmt, (Designation.created_at, Designation.id), page, _out(principal))


@router.post(
    "/{company_id}/designations",
    status_code=201,
    summary="Apply (or renew) for specialist designation with declared indicators and evidence (the vendor)",
)
@answers(
    NOT_FOUND,
    FORBIDDEN,
    (Conflict, "not a vendor, or an application is under way"),
    (ServiceUnavailable, "the deployments service, for the supplier figures, is unreachable"),
)
async def apply_for_designation(
    company_id: str, body: DesignationIn, principal: VendorOnly, request: Request, session: SessionDep
) -> DesignationOut:
    await run_in_threadpool(require_owner, session, principal, company_id)
    figures = await platform.supplier_figures(service_client(request), company_id)

    def write() -> DesignationOut:
        return _out(principal)(designation.apply(session, principal, company_id, body, figures))

    return await run_in_threadpool(write)


@router.post(
    "/{company_id}/designations/historical",
    status_code=201,
    summary="Record a designation decided before the platform, with its decision document (admin)",
)
@answers(NOT_FOUND, (Conflict, "not a vendor, the period overlaps another designation, or an application"))
def record_historical_designation(
    company_id: str, body: RecordedDesignationIn, principal: AdminOnly, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.record(session, principal, company_id, body))


@router.get(
    "/{company_id}/designations",
    summary="Designation applications of a company (the company or admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def list_designations(
    company_id: str, principal: Authenticated, session: SessionDep, page: PageDep
) -> Page[DesignationOut]:
    require_owner(session, principal, company_id)
    return paginate(
        session,
        repository.designations_of(company_id),
        (Designation.created_at, Designation.id),
        page,
        _out(principal),
    )


@router.get(
    APP,
    summary="One application with its explained diagnosis (the company, admin, its evaluators)",
)
@answers(NOT_FOUND)
def get_designation(
    company_id: str, application_id: str, principal: Authenticated, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.require_reader(session, principal, company_id, application_id))


@router.post(
    f"{APP}/resubmit",
    summary="Resubmit a returned application with completed declarations (the company)",
)
@answers(NOT_FOUND, FORBIDDEN, STATE)
def resubmit(
    company_id: str, application_id: str, body: DesignationIn, principal: VendorOnly, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.resubmit(session, principal, company_id, application_id, body))


@router.post(
    f"{APP}/completeness",
    summary="Completeness check: accept for evaluation or return to the company (admin)",
)
@answers(NOT_FOUND, STATE)
def completeness(
    company_id: str, application_id: str, body: CompletenessIn, principal: AdminOnly, session: SessionDep
) -> DesignationOut:
    row = designation.check_completeness(session, principal, company_id, application_id, body)
    return _out(principal)(row)


@router.post(
    f"{APP}/assignments",
    summary="Assign an evaluator: not of the applicant, no declared conflict (admin)",
)
@answers(NOT_FOUND, STATE)
def assign(
    company_id: str, application_id: str, body: AssignIn, principal: AdminOnly, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.assign(session, principal, company_id, application_id, body))


@router.put(
    f"{APP}/evaluation",
    summary="Submit one's judgements with written reasons (an assigned evaluator)",
)
@answers(NOT_FOUND, FORBIDDEN, STATE)
def evaluate(
    company_id: str, application_id: str, body: EvaluationIn, principal: EvaluatorOnly, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.evaluate(session, principal, company_id, application_id, body))


@router.post(
    f"{APP}/decision",
    summary="Committee decision with reasons: designate for 3 years or reject (admin)",
)
@answers(NOT_FOUND, STATE)
def decide(
    company_id: str, application_id: str, body: DecisionIn, principal: AdminOnly, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.decide(session, principal, company_id, application_id, body))


def _standing_route(action: str, summary: str) -> None:
    @router.post(f"{APP}/{action}", summary=summary, name=f"{action}_designation")
    @answers(NOT_FOUND, STATE)
    def change(
        company_id: str, application_id: str, body: ActionIn, principal: AdminOnly, session: SessionDep
    ) -> DesignationOut:
        row = designation.change_standing(session, principal, company_id, application_id, action, body)
        return _out(principal)(row)


_standing_route("suspend", "Suspend a designation with a reason (admin)")
_standing_route("reinstate", "Lift a suspension with a reason (admin)")
_standing_route("revoke", "Revoke a designation, e.g. for falsified records, with a reason (admin)")


@router.post(
    f"{APP}/appeal",
    summary="Add an appeal note to a suspension, revocation or rejection (the company)",
)
@answers(NOT_FOUND, FORBIDDEN, STATE)
def appeal(
    company_id: str, application_id: str, body: AppealIn, principal: Authenticated, session: SessionDep
) -> DesignationOut:
    return _out(principal)(designation.appeal(session, principal, company_id, application_id, body))
