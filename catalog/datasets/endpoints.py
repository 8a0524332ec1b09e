"""Routes of /api/v1/datasets: publish from the lake, browse, accept a licence, download, claims."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import ValidationError
from sqlalchemy.orm import Session

from catalog.datasets import claims, repository, service
from catalog.datasets.models import Dataset
from catalog.datasets.schemas import (
    Acceptance,
    ClaimIn,
    ClaimOut,
    DatasetFile,
    DatasetIn,
    DatasetOut,
    DatasetSummary,
    Leaderboard,
    Metric,
    SelectionIn,
    VersionOut,
)
from catalog.datasets.snapshot import DATASETS, PARQUET
from catalog.endpoints import LAKE, lake_engine, run_blocking
from catalog.peers import registered_smes
from catalog.query import Grant, QueryEngine, Scope
from services.kit.app_state import app_state
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import Forbidden, NotFound, PayloadTooLarge, ValidationFailed, fields_of
from services.kit.messages import Msg
from services.kit.objects import ObjectStore
from services.kit.pagination import Page, PageDep
from services.kit.principal import Authenticated, MaybePrincipal, Principal, Role, require_roles
from services.standards.published import version_document

router = APIRouter()
Publisher = Annotated[Principal, require_roles(Role.SME, Role.VENDOR, Role.AGENCY)]
MAX_LABELS_BYTES = 10 * 1024 * 1024

NOT_FOUND: Declared = (NotFound, "no such dataset, version or file")
FORBIDDEN: Declared = (Forbidden, "not your factories, not your region, or the licence is not accepted")
INVALID: Declared = (
    ValidationFailed,
    "invalid selection, too few equipment (the disclosure rule), or labels naming unknown equipment",
)
TOO_LARGE: Declared = (PayloadTooLarge, "a labels file over 10 MB")


def dataset_store(request: Request) -> ObjectStore:
    return app_state(request).get(DATASETS)


def _parsed(model: type[SelectionIn], text: str, part: str) -> Any:
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise ValidationFailed(
            Msg("the '{part}' part is not a valid dataset description", part=part),
            fields=fields_of(exc.errors(), ("body",)),
        ) from exc


async def _labels(upload: UploadFile | None) -> service.LabelsFile | None:
    if upload is None:
        return None
    data = await upload.read(MAX_LABELS_BYTES + 1)
    if len(data) > MAX_LABELS_BYTES:
        raise PayloadTooLarge(Msg("the labels file is larger than {mb} MB", mb=MAX_LABELS_BYTES // 2**20))
    return service.LabelsFile(data, upload.filename or "labels")


async def _scope(
    request: Request,
    engine: QueryEngine,
    principal: Principal,
    factory_ids: list[str],
    regions: list[str] | None,
) -> Scope:
    """The publisher's grants over ``factory_ids``: its own rows, or the rows of its regions' SMEs (a
    centre); a factory with rows of anyone else is refused (403), not silently left out."""
    owners = await run_blocking(engine.owners, factory_ids)
    if not regions:
        if principal.org_id is None or not principal.roles & {Role.SME, Role.VENDOR}:
            raise Forbidden(Msg("an organisation publishes datasets of its own factories (sme, vendor)"))
        for factory_id in factory_ids:
            if owners.get(factory_id) and principal.org_id not in owners[factory_id]:
                raise Forbidden(
                    Msg("factory '{factory_id}' belongs to another organisation", factory_id=factory_id)
                )
        return [Grant(f, principal.org_id) for f in factory_ids]
    uncovered = [r for r in regions if not principal.covers_region(r)]
    if Role.AGENCY not in principal.roles or uncovered:
        raise Forbidden(
            Msg(
                "only the staff of region {region}'s AI centre publish for it",
                region=uncovered[0] if uncovered else regions[0],
            )
        )
    register = await registered_smes(request)
    grants: list[Grant] = []
    for factory_id in factory_ids:
        for org in sorted(owners.get(factory_id, ())):
            if (register.get(org) or {}).get("region") not in regions:
                raise Forbidden(
                    Msg(
                        "factory '{factory_id}' is not of an SME of region(s) {region}",
                        factory_id=factory_id,
                        region=", ".join(regions),
                    )
                )
            grants.append(Grant(factory_id, org))
    return grants


async def _publish(
    request: Request,
    session: Session,
    principal: Principal,
    dataset: Dataset | None,
    body: SelectionIn,
    upload: UploadFile | None,
) -> tuple[Dataset, service.DatasetVersion]:
    # a new version is published for the regions of the dataset's first
    regions = dataset.region_codes if dataset is not None else getattr(body, "region_codes", None)
    engine = await lake_engine(request)
    scope = await _scope(request, engine, principal, body.factory_ids, regions)
    items = service.check_items(await version_document(request, body.model_id, body.model_version), body)
    labels_file = await _labels(upload)
    settings = app_state(request).settings
    store = dataset_store(request)

    def run() -> tuple[Dataset, service.DatasetVersion]:
        target = dataset
        if target is None:
            assert isinstance(body, DatasetIn)
            name = f"regional AI centre ({', '.join(regions)})" if regions else str(principal.org_id)
            target = service.create(session, principal, body, name)
        version = service.publish_version(
            session,
            store,
            engine,
            target,
            body,
            service.Source(scope, items),
            labels_file,
            settings.min_group_size,
        )
        return target, version

    return await run_blocking(run)


@router.post(
    "",
    status_code=201,
    summary="Publish a dataset from your own lake data: version 1, de-identified, with its data card "
    "(sme, vendor; agency for its regions)",
)
@answers(NOT_FOUND, FORBIDDEN, INVALID, TOO_LARGE, LAKE)
async def publish_dataset(
    request: Request,
    principal: Publisher,
    session: SessionDep,
    dataset: Annotated[str, Form(max_length=20_000, description="the DatasetIn document as JSON")],
    labels: Annotated[
        UploadFile | None,
        File(description="labels per equipment and window: CSV (with a header) or Parquet"),
    ] = None,
) -> DatasetOut:
    body: DatasetIn = _parsed(DatasetIn, dataset, "dataset")
    created, _ = await _publish(request, session, principal, None, body, labels)
    return service.to_out(created, principal, accepted=False)


@router.post(
    "/{dataset_id}/versions",
    status_code=201,
    summary="Publish a new version of a dataset (its publisher); published versions never change",
)
@answers(NOT_FOUND, FORBIDDEN, INVALID, TOO_LARGE, LAKE)
async def publish_version(
    request: Request,
    dataset_id: str,
    principal: Publisher,
    session: SessionDep,
    selection: Annotated[str, Form(max_length=20_000, description="the SelectionIn document as JSON")],
    labels: Annotated[UploadFile | None, File(description="labels: CSV or Parquet")] = None,
) -> VersionOut:
    found = await run_blocking(repository.get, session, dataset_id)
    if not service.may_manage(principal, found):
        raise Forbidden(Msg("only the dataset's publisher adds versions"))
    body: SelectionIn = _parsed(SelectionIn, selection, "selection")
    target, version = await _publish(request, session, principal, found, body, labels)
    return service.version_out(target, version, owner=True)


@router.get("", summary="Published datasets, newest first (public)")
@answers()
async def list_datasets(
    session: SessionDep,
    page: PageDep,
    model_id: Annotated[
        str | None, Query(max_length=64, description="datasets of this equipment model")
    ] = None,
) -> Page[DatasetSummary]:
    rows, cursor = await run_blocking(repository.page, session, page, model_id)
    return Page[DatasetSummary](items=[service.summary(d) for d in rows], next_cursor=cursor)


@router.get("/{dataset_id}", summary="A dataset: its data card and versions (public)")
@answers(NOT_FOUND)
async def get_dataset(dataset_id: str, principal: MaybePrincipal, session: SessionDep) -> DatasetOut:
    def run() -> DatasetOut:
        dataset = repository.get(session, dataset_id)
        accepted = principal is not None and (
            repository.accepted(session, dataset.id, principal.subject, dataset.licence) is not None
        )
        return service.to_out(dataset, principal, accepted)

    return await run_blocking(run)


@router.post(
    "/{dataset_id}/licence-acceptance",
    status_code=201,
    summary="Accept a dataset's licence: recorded with who and when (signed-in users)",
)
@answers(NOT_FOUND)
async def accept_licence(dataset_id: str, principal: Authenticated, session: SessionDep) -> Acceptance:
    def run() -> Acceptance:
        acceptance = service.accept(session, principal, repository.get(session, dataset_id))
        return Acceptance(
            dataset_id=dataset_id, licence=acceptance.licence, accepted_at=acceptance.accepted_at
        )

    return await run_blocking(run)


@router.get(
    "/{dataset_id}/versions/{version}/files/{name}",
    summary="Download a version's readings or labels as Parquet (signed-in users who accepted the licence; "
    "every download is in the audit log)",
    responses={200: {"content": {PARQUET: {}}}},
    response_class=Response,
)
@answers(NOT_FOUND, FORBIDDEN, LAKE)
async def download_file(
    request: Request,
    dataset_id: str,
    version: int,
    name: DatasetFile,
    principal: Authenticated,
    session: SessionDep,
) -> Response:
    store = dataset_store(request)

    def run() -> bytes:
        return service.download(session, store, principal, repository.get(session, dataset_id), version, name)

    data = await run_blocking(run)
    return Response(
        data,
        media_type=PARQUET,
        headers={"Content-Disposition": f'attachment; filename="{dataset_id}-v{version}-{name}.parquet"'},
    )


@router.post(
    "/{dataset_id}/versions/{version}/claims",
    status_code=201,
    summary="State a case's metric on a dataset version; the platform re-runs the case's model and "
    "measures it (the case's organisation)",
)
@answers(NOT_FOUND, FORBIDDEN, INVALID)
async def add_claim(
    request: Request, dataset_id: str, version: int, body: ClaimIn, principal: Publisher, session: SessionDep
) -> ClaimOut:
    return await claims.claim(request, session, principal, dataset_id, version, body)


@router.get(
    "/{dataset_id}/versions/{version}/leaderboard",
    summary="Measured claims on a dataset version, best first (public)",
)
@answers(NOT_FOUND)
async def leaderboard(
    dataset_id: str, version: int, session: SessionDep, metric: Annotated[Metric, Query()] = "f1"
) -> Leaderboard:
    return await run_blocking(claims.leaderboard, session, dataset_id, version, metric)


@router.get("/claims/of-case/{case_id}", summary="Claims of a case: claimed vs measured (public)")
@answers()
async def case_claims(case_id: str, session: SessionDep) -> list[ClaimOut]:
    return await run_blocking(
        lambda: [claims.claim_out(c) for c in repository.claims_of_case(session, case_id)]
    )
