"""Routes of /api/v1/standards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from services.kit.app_state import app_state
from services.kit.bodies import read_limited
from services.kit.cache import caches
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    field_error,
)
from services.kit.i18n import prefers_korean
from services.kit.messages import Msg
from services.kit.pagination import Page, PageDep, page_rows
from services.kit.principal import AdminOnly, MaybePrincipal
from services.kit.rendered import rendered_of, rendered_page
from services.standards import adoption, documents, repository, service, validation
from services.standards.auth import Curator
from services.standards.exports import aas_environment, aas_submodel, json_schema
from services.standards.imports import ImportFormat
from services.standards.models import EquipmentModel
from services.standards.schemas import (
    SEMVER,
    DataItem,
    ImportParams,
    ImportReport,
    ImportResult,
    KeyEquipmentOut,
    ModelCreate,
    ModelOut,
    ModelPatch,
    ProposalCreate,
    ReviewCreate,
    ReviewOut,
    Status,
    ValidateRequest,
    ValidateResult,
    VersionCreate,
    VersionDiff,
    VersionOut,
    VersionPatch,
)

router = APIRouter()

NOT_FOUND: Declared = (NotFound, "no such model or version (drafts of others are not shown)")


def _visible_version(
    model_id: str, version: str, session: SessionDep, principal: MaybePrincipal
) -> VersionOut:
    return service.version_out(session, service.visible_version(session, principal, model_id, version))


VisibleVersion = Annotated[VersionOut, Depends(_visible_version)]
"""The version the path names, if the caller may see it (published, or the caller's own draft); else 404."""
CONFLICT: Declared = (Conflict, "version exists, is not newer, or is published (immutable)")


@router.post(
    "",
    status_code=201,
    summary="Create an equipment model with its first draft version (vendor, admin)",
)
@answers((Conflict, "model id taken"))
def create_model(body: ModelCreate, principal: Curator, session: SessionDep) -> ModelOut:
    return service.model_out(service.create_model(session, principal, body))


@router.get(
    "",
    summary="List and search equipment models (public: published ones; owners also see their drafts)",
    response_model=Page[ModelOut],
)
@answers()
async def list_models(
    request: Request,
    session: SessionDep,
    page: PageDep,
    principal: MaybePrincipal,
    equipment_type: Annotated[str | None, Query(max_length=64)] = None,
    status: Status | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="part of a model or data item name, ko or en")
    ] = None,
    subfield: Annotated[
        str | None, Query(max_length=32, description="technology sub-field code, e.g. AUTO-EQUIP")
    ] = None,
    industry: Annotated[str | None, Query(max_length=8, description="KSIC division, e.g. C29")] = None,
    item: Annotated[
        str | None, Query(max_length=100, description="a data item id or MTConnect type, e.g. PART_COUNT")
    ] = None,
    semantic_id: Annotated[str | None, Query(max_length=200, description="an item's semantic id")] = None,
) -> Response:
    stmt = repository.visible_models(
        principal,
        equipment_type=equipment_type,
        status=status,
        q=q,
        subfield=subfield,
        industry=industry,
        item=item,
        semantic_id=semantic_id,
    )
    rows, cursor = await run_in_threadpool(
        page_rows, session, repository.listed(stmt), (EquipmentModel.id,), page
    )
    in_use = await adoption.by_model(request, [r.id for r in rows])
    listed = [
        repository.Listed(
            r.id, r.updated_at, r.versions, r.reviews, None if in_use is None else in_use.get(r.id, [])
        )
        for r in rows
    ]

    def build(missing: list[repository.Listed]) -> list[ModelOut]:
        found = repository.models_by_id(session, [m.id for m in missing])
        return [service.model_out(found[m.id]).model_copy(update={"adoption": m.adoption}) for m in missing]

    rendered = rendered_of(caches(request), "standards")
    return await run_in_threadpool(rendered_page, listed, repository.Listed.key, rendered, build, cursor)


@router.get(
    "/key-equipment",
    summary="Progress toward the plan's 500 standardised key equipment types: published models per "
    "equipment type, sub-field and KSIC industry (public)",
)
@answers()
async def key_equipment(request: Request, session: SessionDep) -> KeyEquipmentOut:
    progress = await run_in_threadpool(service.key_equipment, session)
    types = await run_in_threadpool(repository.published_model_types, session)
    return await adoption.key_equipment_in_use(request, progress, types)


@router.get(
    "/{model_id}",
    summary="One equipment model with its versions (public when published)",
)
@answers(NOT_FOUND)
async def get_model(
    model_id: str, request: Request, session: SessionDep, principal: MaybePrincipal
) -> ModelOut:
    row = await run_in_threadpool(service.visible_model, session, principal, model_id)
    return (await adoption.with_adoption(request, [service.model_out(row)]))[0]


@router.patch("/{model_id}", summary="Change a model's names or type (owner or admin)")
@answers(NOT_FOUND)
def update_model(model_id: str, body: ModelPatch, principal: Curator, session: SessionDep) -> ModelOut:
    return service.model_out(service.update_model(session, principal, model_id, body))


@router.get("/{model_id}/versions", summary="Versions of a model (public when published)")
@answers(NOT_FOUND)
def list_versions(model_id: str, session: SessionDep, principal: MaybePrincipal) -> list[VersionOut]:
    model = service.visible_model(session, principal, model_id)
    return [service.version_out(session, v) for v in model.versions if service.can_see(principal, model, v)]


@router.post(
    "/{model_id}/versions",
    status_code=201,
    summary="Add a draft version (owner or admin)",
)
@answers(NOT_FOUND, CONFLICT)
def add_version(model_id: str, body: VersionCreate, principal: Curator, session: SessionDep) -> VersionOut:
    return service.version_out(session, service.add_version(session, principal, model_id, body))


@router.get(
    "/{model_id}/versions/{version}",
    summary="One model version with its data items (public when published)",
)
@answers(NOT_FOUND)
def get_version(shown: VisibleVersion) -> VersionOut:
    return shown


@router.patch(
    "/{model_id}/versions/{version}",
    summary="Change a draft version (owner or admin)",
)
@answers(NOT_FOUND, CONFLICT)
def update_version(
    model_id: str, version: str, body: VersionPatch, principal: Curator, session: SessionDep
) -> VersionOut:
    return service.version_out(session, service.update_version(session, principal, model_id, version, body))


@router.post(
    "/{model_id}/versions/{version}/publish",
    summary="Publish a draft version: it becomes immutable (admin)",
)
@answers(NOT_FOUND, CONFLICT)
def publish_version(model_id: str, version: str, principal: AdminOnly, session: SessionDep) -> VersionOut:
    return service.version_out(
        session, service.set_status(session, principal, model_id, version, "published")
    )


@router.post(
    "/{model_id}/versions/{version}/deprecate",
    summary="Deprecate a published version (admin)",
)
@answers(NOT_FOUND, CONFLICT)
def deprecate_version(model_id: str, version: str, principal: AdminOnly, session: SessionDep) -> VersionOut:
    return service.version_out(
        session, service.set_status(session, principal, model_id, version, "deprecated")
    )


@router.post(
    "/{model_id}/versions/{version}/propose",
    summary="Propose a draft for review by the operators; it is locked until they decide (owner or admin)",
)
@answers(NOT_FOUND, (Conflict, "not a draft nor a version with requested changes"))
def propose_version(
    model_id: str, version: str, body: ProposalCreate, principal: Curator, session: SessionDep
) -> VersionOut:
    return service.version_out(session, service.propose(session, principal, model_id, version, body))


@router.post(
    "/{model_id}/versions/{version}/reviews",
    summary="Review a proposed version: comment, request changes (back to the vendor) or approve (publish) "
    "(admin)",
)
@answers(NOT_FOUND, (Conflict, "published, or not proposed (for a decision)"))
def review_version(
    model_id: str, version: str, body: ReviewCreate, principal: AdminOnly, session: SessionDep
) -> VersionOut:
    return service.version_out(session, service.review(session, principal, model_id, version, body))


@router.get(
    "/{model_id}/versions/{version}/reviews",
    summary="The review history of a version: proposals, comments, decisions (owner or admin)",
)
@answers(NOT_FOUND)
def list_reviews(model_id: str, version: str, principal: Curator, session: SessionDep) -> list[ReviewOut]:
    return service.reviews(session, principal, model_id, version)


@router.get(
    "/{model_id}/versions/{version}/diff",
    summary="Items added, removed and changed since another version, and whether uploads stay valid "
    "(public when published)",
)
@answers(NOT_FOUND)
def version_diff(
    model_id: str,
    version: str,
    session: SessionDep,
    principal: MaybePrincipal,
    against: Annotated[
        str | None, Query(pattern=SEMVER, description="the older version; default: the one before")
    ] = None,
) -> VersionDiff:
    return service.version_diff(session, principal, model_id, version, against)


@router.post(
    "/{model_id}/versions/{version}/validate",
    summary="Check sample readings: every violation, valid ones normalised (public when published)",
)
@answers(NOT_FOUND)
def validate_readings(
    model_id: str,
    version: str,
    body: ValidateRequest,
    request: Request,
    session: SessionDep,
    principal: MaybePrincipal,
) -> ValidateResult:
    row = service.visible_version(session, principal, model_id, version)
    tolerance = timedelta(seconds=app_state(request).settings.upload.future_tolerance_seconds)
    return validation.validate_samples(
        [DataItem.model_validate(i) for i in row.items], body.readings, datetime.now(UTC), tolerance
    )


@router.get(
    "/{model_id}/versions/{version}/json-schema",
    summary="JSON Schema of one reading (public when published)",
)
@answers(NOT_FOUND)
def export_json_schema(shown: VisibleVersion, request: Request) -> dict[str, Any]:
    return json_schema(shown, app_state(request).settings.public_url)


def _visible_aas(
    model_id: str, version: str, session: SessionDep, principal: MaybePrincipal
) -> tuple[VersionOut, dict[str, Any] | None]:
    row = service.visible_version(session, principal, model_id, version)
    return service.version_out(session, row), row.aas_structure


VisibleAas = Annotated[tuple[VersionOut, dict[str, Any] | None], Depends(_visible_aas)]
"""A visible version (as ``VisibleVersion``) with the AAS structure it was imported with, if any."""


@router.get(
    "/{model_id}/versions/{version}/aas",
    summary="AAS submodel template (metamodel V3 JSON) of the version (public when published)",
)
@answers(NOT_FOUND)
def export_aas(shown: VisibleAas, request: Request) -> dict[str, Any]:
    version, structure = shown
    return aas_submodel(version, app_state(request).settings.public_url, structure)


@router.get(
    "/{model_id}/versions/{version}/aas-environment",
    summary="AAS V3 Environment: the submodel template and the IEC 61360 concept descriptions of its items "
    "(public when published)",
)
@answers(NOT_FOUND)
def export_aas_environment(shown: VisibleAas, request: Request) -> dict[str, Any]:
    version, structure = shown
    return aas_environment(version, app_state(request).settings.public_url, structure)


@router.get(
    "/{model_id}/versions/{version}/arrow-schema",
    summary="Arrow schema of the version's uploads: long (one row per reading) or wide (a column per item) "
    "(public when published)",
    description="`format=json` describes the fields; `format=ipc` answers the schema serialized as an Arrow "
    "IPC message (`pyarrow.ipc.read_schema`), usable for Arrow and Parquet uploads.",
    responses={
        200: {"content": {"application/json": {}, "application/vnd.apache.arrow.stream": {}}},
    },
)
@answers(NOT_FOUND)
def export_arrow_schema(
    shown: VisibleVersion,
    layout: Literal["long", "wide"] = "long",
    format: Literal["json", "ipc"] = "json",
) -> Any:
    schema = documents.arrow_schema(shown, layout)
    if format == "ipc":
        return Response(schema.serialize().to_pybytes(), media_type="application/vnd.apache.arrow.stream")
    return documents.schema_document(schema, layout)


@router.get(
    "/{model_id}/versions/{version}/example-payload",
    summary="An upload body with one valid reading per item, valid against the JSON Schema "
    "(public when published)",
)
@answers(NOT_FOUND)
def export_example_payload(shown: VisibleVersion) -> dict[str, Any]:
    return documents.example_payload(shown)


@router.get(
    "/{model_id}/versions/{version}/page",
    summary="The version as a readable HTML page, Korean or English by Accept-Language or ?lang "
    "(public when published)",
    response_class=HTMLResponse,
)
@answers(NOT_FOUND)
def export_page(shown: VisibleVersion, request: Request) -> HTMLResponse:
    return HTMLResponse(documents.html_page(shown, prefers_korean(request)))


MAX_IMPORT_BYTES = 8 * 1024 * 1024
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the document itself: AAS V3 JSON (Environment or Submodel), MTConnectDevices XML, "
        "or an OPC UA NodeSet2 XML; for OPC UA also several NodeSets (the models it requires) as a zip "
        f"archive or a multipart/form-data upload; at most {MAX_IMPORT_BYTES} bytes; DTDs and entities are "
        "refused",
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "example": {
                    "modelType": "Submodel",
                    "id": "https://example.com/sm/press",
                    "idShort": "Press",
                    "submodelElements": [
                        {
                            "modelType": "Property",
                            "idShort": "ram_force",
                            "valueType": "xs:double",
                            "qualifiers": [{"type": "Unit", "valueType": "xs:string", "value": "kN"}],
                        }
                    ],
                },
            },
            "application/xml": {
                "schema": {"type": "string"},
                "example": '<MTConnectDevices xmlns="urn:mtconnect.org:MTConnectDevices:2.0"><Devices>'
                '<Device id="d1" name="VMC"><DataItems><DataItem id="x" category="EVENT" type="EXECUTION"/>'
                "</DataItems></Device></Devices></MTConnectDevices>",
            },
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            },
        },
    }
}


async def _document(request: Request) -> bytes:
    document = await read_limited(request, MAX_IMPORT_BYTES)
    if not document.strip():
        raise ValidationFailed(
            Msg("the body is empty: send the document"), fields=[field_error("body", Msg("empty document"))]
        )
    return document


@router.post(
    "/imports/{source}",
    status_code=201,
    summary="Import an AAS, MTConnect Devices or OPC UA NodeSet document as a draft model (vendor, admin)",
    description="Creates a draft model whose items are the document's data elements, and answers with the "
    "mapping report: every element mapped (with notes on conversions) or dropped (with the reason). "
    "Nothing is created when the document is malformed, hostile or maps to nothing.",
    openapi_extra=IMPORT_BODY,
)
@answers(
    (BadRequest, "not well-formed JSON/XML, or a DTD/entity/external reference"),
    (Conflict, "model id taken"),
    (PayloadTooLarge, f"document larger than {MAX_IMPORT_BYTES} bytes"),
    (ValidationFailed, "not a document of that standard, nothing to import, or bad query values"),
)
def import_document(
    request: Request,
    source: ImportFormat,
    params: Annotated[ImportParams, Query()],
    principal: Curator,  # before the body: who may not import is refused without reading it
    document: Annotated[bytes, Depends(_document)],
    session: SessionDep,
) -> ImportResult:
    model, report = service.import_model(
        session, principal, source, document, params, prefers_korean(request)
    )
    version = service.version_out(session, model.versions[-1])
    return ImportResult(model=service.model_out(model), version=version, report=report)


@router.get(
    "/{model_id}/versions/{version}/import-report",
    summary="The mapping report of a version imported from a document (who may see the version)",
    description="What became of every element of the imported document: mapped (with notes), kept as an "
    "attribute, or dropped with the reason; in Korean with ?lang=ko or Accept-Language: ko.",
)
@answers((NotFound, "no such model or version, or the version was not imported"))
def get_import_report(
    model_id: str, version: str, request: Request, session: SessionDep, principal: MaybePrincipal
) -> ImportReport:
    return service.import_report(session, principal, model_id, version, prefers_korean(request))
