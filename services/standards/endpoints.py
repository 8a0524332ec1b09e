"""Routes of /api/v1/standards."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from services.kit.db import SessionDep
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import AdminOnly, MaybePrincipal
from services.kit.spec import Responses
from services.standards import repository, service, validation
from services.standards.auth import Curator
from services.standards.exports import aas_submodel, json_schema
from services.standards.models import EquipmentModel
from services.standards.schemas import (
    DataItem,
    ModelCreate,
    ModelOut,
    ModelPatch,
    ValidateRequest,
    ValidateResult,
    VersionCreate,
    VersionOut,
    VersionPatch,
)

router = APIRouter()

NOT_FOUND: Responses = {404: {"description": "no such model or version (drafts of others are not shown)"}}
CONFLICT: Responses = {409: {"description": "version exists, is not newer, or is published (immutable)"}}


@router.post(
    "",
    status_code=201,
    summary="Create an equipment model with its first draft version (vendor, admin)",
    responses={409: {"description": "model id taken"}},
)
def create_model(body: ModelCreate, principal: Curator, session: SessionDep) -> ModelOut:
    return service.model_out(service.create_model(session, principal, body))


@router.get("", summary="List equipment models (public: published ones; owners also see their drafts)")
def list_models(
    session: SessionDep,
    page: PageDep,
    principal: MaybePrincipal,
    equipment_type: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["draft", "published", "deprecated"] | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ModelOut]:
    stmt = repository.visible_models(principal, equipment_type=equipment_type, status=status, q=q)
    return paginate(session, stmt, (EquipmentModel.id,), page, service.model_out)


@router.get(
    "/{model_id}",
    summary="One equipment model with its versions (public when published)",
    responses=NOT_FOUND,
)
def get_model(model_id: str, session: SessionDep, principal: MaybePrincipal) -> ModelOut:
    return service.model_out(service.visible_model(session, principal, model_id))


@router.patch("/{model_id}", summary="Change a model's names or type (owner or admin)", responses=NOT_FOUND)
def update_model(model_id: str, body: ModelPatch, principal: Curator, session: SessionDep) -> ModelOut:
    return service.model_out(service.update_model(session, principal, model_id, body))


@router.get(
    "/{model_id}/versions", summary="Versions of a model (public when published)", responses=NOT_FOUND
)
def list_versions(model_id: str, session: SessionDep, principal: MaybePrincipal) -> list[VersionOut]:
    model = service.visible_model(session, principal, model_id)
    return [service.version_out(session, v) for v in model.versions if service.can_see(principal, model, v)]


@router.post(
    "/{model_id}/versions",
    status_code=201,
    summary="Add a draft version (owner or admin)",
    responses={**NOT_FOUND, **CONFLICT},
)
def add_version(model_id: str, body: VersionCreate, principal: Curator, session: SessionDep) -> VersionOut:
    return service.version_out(session, service.add_version(session, principal, model_id, body))


@router.get(
    "/{model_id}/versions/{version}",
    summary="One model version with its data items (public when published)",
    responses=NOT_FOUND,
)
def get_version(model_id: str, version: str, session: SessionDep, principal: MaybePrincipal) -> VersionOut:
    return service.version_out(session, service.visible_version(session, principal, model_id, version))


@router.patch(
    "/{model_id}/versions/{version}",
    summary="Change a draft version (owner or admin)",
    responses={**NOT_FOUND, **CONFLICT},
)
def update_version(
    model_id: str, version: str, body: VersionPatch, principal: Curator, session: SessionDep
) -> VersionOut:
    return service.version_out(session, service.update_version(session, principal, model_id, version, body))


@router.post(
    "/{model_id}/versions/{version}/publish",
    summary="Publish a draft version: it becomes immutable (admin)",
    responses={**NOT_FOUND, **CONFLICT},
)
def publish_version(model_id: str, version: str, principal: AdminOnly, session: SessionDep) -> VersionOut:
    return service.version_out(
        session, service.set_status(session, principal, model_id, version, "published")
    )


@router.post(
    "/{model_id}/versions/{version}/deprecate",
    summary="Deprecate a published version (admin)",
    responses={**NOT_FOUND, **CONFLICT},
)
def deprecate_version(model_id: str, version: str, principal: AdminOnly, session: SessionDep) -> VersionOut:
    return service.version_out(
        session, service.set_status(session, principal, model_id, version, "deprecated")
    )


@router.post(
    "/{model_id}/versions/{version}/validate",
    summary="Check sample readings: every violation, valid ones normalised (public when published)",
    responses=NOT_FOUND,
)
def validate_readings(
    model_id: str, version: str, body: ValidateRequest, session: SessionDep, principal: MaybePrincipal
) -> ValidateResult:
    row = service.visible_version(session, principal, model_id, version)
    violations, normalized = validation.validate(
        [DataItem.model_validate(i) for i in row.items], body.readings
    )
    return ValidateResult(valid=not violations, violations=violations, normalized=normalized)


@router.get(
    "/{model_id}/versions/{version}/json-schema",
    summary="JSON Schema of one reading (public when published)",
    responses=NOT_FOUND,
)
def export_json_schema(
    model_id: str, version: str, request: Request, session: SessionDep, principal: MaybePrincipal
) -> dict[str, Any]:
    row = service.visible_version(session, principal, model_id, version)
    return json_schema(service.version_out(session, row), request.app.state.settings.public_url)


@router.get(
    "/{model_id}/versions/{version}/aas",
    summary="AAS submodel template (metamodel V3 JSON) of the version (public when published)",
    responses=NOT_FOUND,
)
def export_aas(
    model_id: str, version: str, request: Request, session: SessionDep, principal: MaybePrincipal
) -> dict[str, Any]:
    row = service.visible_version(session, principal, model_id, version)
    return aas_submodel(service.version_out(session, row), request.app.state.settings.public_url)
