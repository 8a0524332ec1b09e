"""Routes of a record's lifecycle: submit, confirm, verify, publish, return; the history, published
revisions and the approval of finished stages (the rules are in ``lifecycle.service``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.orm import Session

from services.deployments import access, repository
from services.deployments.auth import IfMatch, PartyOrAgency, expected_version
from services.deployments.changes import check_version
from services.deployments.lifecycle import service as lifecycle
from services.deployments.models import DeploymentRecord, HistoryEntry
from services.deployments.parties import Facts, check_parties, factory_errors, raise_if, registered_site
from services.deployments.records import service as records
from services.deployments.routing import (
    CONSENTS,
    NOT_FOUND,
    PARTIES,
    WRITE,
    in_thread,
    out,
    private_for,
)
from services.deployments.schemas import (
    ConfirmIn,
    DeploymentIn,
    DeploymentOut,
    FactorySite,
    HistoryOut,
    TransitionIn,
)
from services.kit.contract import answers
from services.kit.db import SessionDep
from services.kit.errors import NotFound, ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import (
    AgencyOnly,
    MaybePrincipal,
    Principal,
    Writer,
)

router = APIRouter()


def _transition(
    session: Session,
    principal: Principal,
    record_id: str,
    action: lifecycle.Action,
    body: TransitionIn | None,
    if_match: str | None,
    response: Response,
    *,
    factory_checked: bool = False,
) -> DeploymentOut:
    record = lifecycle.transition(
        session,
        principal,
        record_id,
        action,
        body.comment if body else None,
        expected_version(if_match),
        factory_checked=factory_checked,
    )
    return out(record, access.sees_private(principal, record), response)


@router.post("/{record_id}/submit", summary="Submit a draft for the other party's confirmation")
@answers(*WRITE)
def submit_deployment(
    record_id: str,
    response: Response,
    principal: Writer,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "submit", body, if_match, response)


@router.post(
    "/{record_id}/confirm",
    summary="Confirm the other party's record (the SME also vouches for its factory, or names it)",
)
@answers(*WRITE, PARTIES)
async def confirm_deployment(
    request: Request,
    record_id: str,
    response: Response,
    principal: Writer,
    session: SessionDep,
    body: ConfirmIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = await in_thread(repository.get, session, record_id)
    access.require_readable(principal, record)
    named = body.factory_id if body else None
    checked, naming = False, None
    if principal.acts_for(record.sme_company_id):
        if record.factory_id is None:
            naming = await _named_factory(request, principal, record, named)
        elif named not in (None, record.factory_id):
            raise _factory_refusal(Msg("the record names its factory already: send it back to change it"))
        elif not record.factory_checked:
            site = FactorySite(
                factory_id=record.factory_id,
                name=record.factory_name,
                region_code=record.region_code,
                industry_code=record.industry_code,
            )
            raise_if(await factory_errors(request, record.sme_company_id, site, prefix="record"))
            checked = True
    elif named is not None:
        raise _factory_refusal(Msg("only the SME names its factory"))

    def run() -> DeploymentOut:
        expected = expected_version(if_match)
        if naming is not None:
            # Named first, as a step of its own: the confirmation then acts on the version it wrote.
            current = repository.get(session, record_id)
            check_version(current, expected)
            records.name_factory(session, principal, current, *naming)
            expected = None
        confirmed = lifecycle.transition(
            session,
            principal,
            record_id,
            "confirm",
            body.comment if body else None,
            expected,
            factory_checked=checked,
        )
        return out(confirmed, access.sees_private(principal, confirmed), response)

    return await in_thread(run)


def _factory_refusal(why: Msg) -> ValidationFailed:
    return ValidationFailed(why, fields=[field_error("body.factory_id", why)])


async def _named_factory(
    request: Request, principal: Principal, record: DeploymentRecord, factory_id: str | None
) -> tuple[DeploymentIn, Facts]:
    """The record with the factory the SME names as it confirms (required: the record names none), and
    the checks of its parties; another company's factory is refused naming ``body.factory_id``."""
    if factory_id is None:
        raise _factory_refusal(Msg("the record names no factory: name one of your registered factories"))
    site = await registered_site(request, record.sme_company_id, factory_id, "body.factory_id")
    data = DeploymentIn.model_validate(records.as_input(record) | {"factory": site.model_dump()})
    return data, await check_parties(request, principal, data)


@router.post(
    "/{record_id}/verify",
    summary="Verify a confirmed record (agency reviewer of its region; required stages need evidence)",
)
@answers(*WRITE)
def verify_deployment(
    record_id: str,
    response: Response,
    principal: AgencyOnly,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "verify", body, if_match, response)


@router.post(
    "/{record_id}/publish",
    summary="Publish a verified record: public, counted in aggregates and track records (agency, admin)",
)
@answers(*WRITE)
def publish_deployment(
    record_id: str,
    response: Response,
    principal: AgencyOnly,
    session: SessionDep,
    body: TransitionIn | None = None,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "publish", body, if_match, response)


@router.post(
    "/{record_id}/return",
    summary="Send a record under review back to draft, with a comment (either party, the region's agency)",
)
@answers(*WRITE)
def return_deployment(
    record_id: str,
    response: Response,
    body: TransitionIn,
    principal: PartyOrAgency,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    return _transition(session, principal, record_id, "return", body, if_match, response)


@router.get(
    "/{record_id}/history",
    summary="Every change of a record: who, when, which fields, which revision (whoever may read it)",
)
@answers(NOT_FOUND)
def record_history(
    record_id: str, principal: MaybePrincipal, session: SessionDep, page: PageDep
) -> Page[HistoryOut]:
    access.require_readable(principal, repository.get(session, record_id))
    return paginate(
        session,
        repository.history(record_id),
        (HistoryEntry.id,),
        page,
        lambda h: HistoryOut.model_validate(h, from_attributes=True),
    )


@router.get(
    "/{record_id}/revisions/{revision}",
    summary="A revision of a record as it was published (public, also while a newer revision is drafted; "
    "private fields for those who may see them)",
)
@answers(NOT_FOUND, CONSENTS)
async def get_revision(
    request: Request, record_id: str, revision: int, principal: MaybePrincipal, session: SessionDep
) -> DeploymentOut:
    record = await in_thread(repository.get, session, record_id)
    entry = await in_thread(repository.published_snapshot, session, record_id, revision)
    if entry is None or entry.snapshot is None:
        raise NotFound(Msg("revision {revision} was never published", revision=revision))
    published = DeploymentOut.model_validate(entry.snapshot)
    if await private_for(request, principal, record):
        return published
    hidden = dict.fromkeys(("support_amount_krw", "company_share_krw", "contract", "documents"))
    return published.model_copy(
        update={
            **hidden,
            "private_visible": False,
            "factory": published.factory.model_copy(update={"address": None}),
            "stages": [s.model_copy(update={"document_ids": []}) for s in published.stages],
        }
    )


@router.post(
    "/{record_id}/stages/{code}/approve",
    summary="Approve a finished stage (the SME, the region's agency, admin)",
)
@answers(*WRITE)
def approve_stage(
    record_id: str,
    code: Annotated[str, Path(max_length=16, description="a stage code of the record's process")],
    response: Response,
    principal: PartyOrAgency,
    session: SessionDep,
    if_match: IfMatch = None,
) -> DeploymentOut:
    record = lifecycle.approve_stage(session, principal, record_id, code, expected_version(if_match))
    return out(record, access.sees_private(principal, record), response)
