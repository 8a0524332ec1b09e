"""Routes of /api/v1/identity: organisations, their users and gateway clients, consents, audit, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from services.identity import repository, service
from services.identity.directory import KEYCLOAK_DIRECTORY, EmbeddedDirectory, IdentityDirectory
from services.identity.models import AuditEntry, Consent, GatewayClient, Organisation, User
from services.identity.schemas import (
    AuditAction,
    AuditEntryOut,
    ConsentCheck,
    ConsentIn,
    ConsentOut,
    ConsentScope,
    GatewayClientIn,
    GatewayClientOut,
    GatewayCredentials,
    Me,
    OrganisationIn,
    OrganisationOut,
    OrgKind,
    UserIn,
    UserOut,
)
from services.kit.app_state import app_state
from services.kit.clients import bearer_token, service_client
from services.kit.contract import Declared, answers
from services.kit.db import SessionDep
from services.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    field_error,
)
from services.kit.fields import IsoDateTime, Slug
from services.kit.messages import Msg
from services.kit.pagination import Page, PageDep, paginate
from services.kit.principal import AdminOnly, Authenticated, SmeOnly
from services.kit.tokens import DEV_ISSUER

router = APIRouter()

NOT_FOUND: Declared = (NotFound, "no such organisation, client or consent")
FORBIDDEN: Declared = (Forbidden, "another organisation's, or the role does not allow it")
KEYCLOAK: Declared = (ServiceUnavailable, "Keycloak unreachable or refused the change; retry")


def directory(request: Request, session: SessionDep) -> IdentityDirectory:
    """The embedded tables when this process runs the development issuer, else Keycloak."""
    state = app_state(request)
    if state.find(DEV_ISSUER) is not None:
        return EmbeddedDirectory(session)
    return state.get(KEYCLOAK_DIRECTORY)


DirectoryDep = Annotated[IdentityDirectory, Depends(directory)]


def token_endpoint(request: Request) -> str:
    state = app_state(request)
    issuer = state.find(DEV_ISSUER)
    if issuer is not None:
        return f"{issuer.issuer}/token"
    return f"{state.settings.oidc.issuer}/protocol/openid-connect/token"


def _credentials(request: Request, org_id: str, client: GatewayClient, secret: str) -> GatewayCredentials:
    """Shown once, when the secret is made: the platform keeps only what verifies it."""
    return GatewayCredentials(
        client_id=client.client_id,
        client_secret=secret,
        org_id=org_id,
        factory_id=client.factory_id,
        token_endpoint=token_endpoint(request),
    )


@router.post(
    "/organisations",
    status_code=201,
    summary="Create an organisation (admin)",
)
@answers((Conflict, "id taken"), FORBIDDEN)
def create_organisation(body: OrganisationIn, _admin: AdminOnly, session: SessionDep) -> OrganisationOut:
    return service.organisation_out(service.create_organisation(session, body))


@router.get("/organisations", summary="List organisations (signed-in users)")
@answers()
def list_organisations(
    _principal: Authenticated, session: SessionDep, page: PageDep, kind: OrgKind | None = None
) -> Page[OrganisationOut]:
    return paginate(
        session, repository.organisations(kind), (Organisation.id,), page, service.organisation_out
    )


@router.get("/organisations/{org_id}", summary="One organisation (signed-in users)")
@answers(NOT_FOUND)
def get_organisation(org_id: str, _principal: Authenticated, session: SessionDep) -> OrganisationOut:
    return service.organisation_out(repository.get_organisation(session, org_id))


@router.post(
    "/organisations/{org_id}/users",
    status_code=201,
    summary="Create a user of the organisation in the identity provider (admin)",
)
@answers(NOT_FOUND, FORBIDDEN, KEYCLOAK, (Conflict, "username taken"))
def create_user(
    org_id: str, body: UserIn, _admin: AdminOnly, session: SessionDep, users: DirectoryDep
) -> UserOut:
    return service.user_out(service.create_user(session, users, org_id, body))


@router.get(
    "/organisations/{org_id}/users",
    summary="Users created through the API for the organisation (its members, admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def list_users(org_id: str, principal: Authenticated, session: SessionDep, page: PageDep) -> Page[UserOut]:
    principal.require_org(org_id)
    repository.get_organisation(session, org_id)
    return paginate(session, repository.users_of(org_id), (User.username,), page, service.user_out)


async def _require_factory_of(request: Request, org_id: str, factory_id: str) -> None:
    """The companies service knows the factories; ask it with the caller's own token."""
    try:
        await service_client(request).get_json(
            "companies", f"/{org_id}/factories/{factory_id}", token=bearer_token(request)
        )
    except NotFound as exc:
        raise ValidationFailed(
            Msg(
                "'{factory_id}' is not a registered factory of '{org_id}'",
                factory_id=factory_id,
                org_id=org_id,
            ),
            fields=[
                field_error(
                    "body.factory_id", Msg("not a factory of {org_id} (companies service)", org_id=org_id)
                )
            ],
        ) from exc


@router.post(
    "/organisations/{org_id}/gateway-clients",
    status_code=201,
    summary="Register an edge gateway client for one of the organisation's factories (its SME, admin)",
    description="Answers the client secret once; the gateway exchanges it at `token_endpoint` "
    "(grant_type=client_credentials) for tokens that upload only for that factory.",
)
@answers(
    NOT_FOUND,
    FORBIDDEN,
    (
        ServiceUnavailable,
        "Keycloak or the companies service is unreachable, or Keycloak refused the change; retry",
    ),
    (Conflict, "client id taken"),
)
async def register_gateway(
    request: Request,
    org_id: str,
    body: GatewayClientIn,
    principal: SmeOnly,
    session: SessionDep,
    clients: DirectoryDep,
) -> GatewayCredentials:
    principal.require_org(org_id)
    await run_in_threadpool(repository.get_organisation, session, org_id)
    await _require_factory_of(request, org_id, body.factory_id)
    client, secret = await run_in_threadpool(service.register_gateway, session, clients, org_id, body)
    return _credentials(request, org_id, client, secret)


@router.get(
    "/organisations/{org_id}/gateway-clients",
    summary="Gateway clients of the organisation (its members, admin)",
)
@answers(NOT_FOUND, FORBIDDEN)
def list_gateways(
    org_id: str,
    principal: Authenticated,
    session: SessionDep,
    page: PageDep,
    factory_id: Annotated[Slug | None, Query()] = None,
) -> Page[GatewayClientOut]:
    principal.require_org(org_id)
    repository.get_organisation(session, org_id)
    stmt = repository.gateways_of(org_id, factory_id)
    return paginate(session, stmt, (GatewayClient.client_id,), page, service.gateway_out)


@router.post(
    "/organisations/{org_id}/gateway-clients/{client_id}/rotate-secret",
    summary="Give a gateway client a new secret; the old one stops working (its SME, admin)",
)
@answers(NOT_FOUND, FORBIDDEN, KEYCLOAK, (Conflict, "client disabled"))
def rotate_secret(
    request: Request,
    org_id: str,
    client_id: str,
    principal: SmeOnly,
    session: SessionDep,
    clients: DirectoryDep,
) -> GatewayCredentials:
    principal.require_org(org_id)
    client, secret = service.rotate_secret(session, clients, org_id, client_id)
    return _credentials(request, org_id, client, secret)


@router.post(
    "/organisations/{org_id}/gateway-clients/{client_id}/disable",
    summary="Disable a gateway client: it gets no more tokens (its SME, admin)",
)
@answers(NOT_FOUND, FORBIDDEN, KEYCLOAK, (Conflict, "already disabled"))
def disable_gateway(
    org_id: str, client_id: str, principal: SmeOnly, session: SessionDep, clients: DirectoryDep
) -> GatewayClientOut:
    principal.require_org(org_id)
    return service.gateway_out(service.disable_gateway(session, clients, org_id, client_id))


@router.post(
    "/consents",
    status_code=201,
    summary="Let a vendor organisation see the caller's data of one scope (SME; admin on its behalf)",
)
@answers(FORBIDDEN, (Conflict, "the same consent is active"))
def grant_consent(body: ConsentIn, principal: SmeOnly, session: SessionDep) -> ConsentOut:
    return service.consent_out(service.grant_consent(session, principal, body))


@router.get("/consents", summary="Consents the caller's organisation gave or received (admin: all)")
@answers((Forbidden, "the token names no organisation"))
def list_consents(
    principal: Authenticated,
    session: SessionDep,
    page: PageDep,
    owner_org_id: Annotated[Slug | None, Query()] = None,
    grantee_org_id: Annotated[Slug | None, Query()] = None,
    scope: ConsentScope | None = None,
    active: bool | None = None,
) -> Page[ConsentOut]:
    if not principal.is_admin and principal.org_id is None:
        raise Forbidden(Msg("the token names no organisation"))
    filters = repository.ConsentFilters(
        visible_to=None if principal.is_admin else principal.org_id,
        owner_org_id=owner_org_id,
        grantee_org_id=grantee_org_id,
        scope=scope,
        active=active,
    )
    return paginate(session, repository.consents(filters), (Consent.id,), page, service.consent_out)


@router.get(
    "/consents/check",
    summary="Does the owner let the grantee see this scope (and factory)? For other services",
)
@answers((Forbidden, "only the owner, the grantee or an admin may ask"))
def check_consent(
    principal: Authenticated,
    session: SessionDep,
    owner_org_id: Annotated[Slug, Query()],
    grantee_org_id: Annotated[Slug, Query()],
    scope: ConsentScope,
    factory_id: Annotated[Slug | None, Query()] = None,
) -> ConsentCheck:
    if not (principal.acts_for(owner_org_id) or principal.acts_for(grantee_org_id)):
        raise Forbidden(Msg("only the owner, the grantee or an admin may ask"))
    consent = repository.active_consent(
        session, owner_org_id=owner_org_id, grantee_org_id=grantee_org_id, scope=scope, factory_id=factory_id
    )
    return ConsentCheck(granted=consent is not None, consent_id=consent.id if consent else None)


@router.get("/consents/{consent_id}", summary="One consent (its owner, grantee, admin)")
@answers(NOT_FOUND)
def get_consent(consent_id: str, principal: Authenticated, session: SessionDep) -> ConsentOut:
    consent = repository.get_consent(session, consent_id)
    if not (principal.acts_for(consent.owner_org_id) or principal.acts_for(consent.grantee_org_id)):
        # Someone else's consent does not exist for the caller.
        raise NotFound(Msg("consent '{consent_id}' does not exist", consent_id=consent_id))
    return service.consent_out(consent)


@router.delete(
    "/consents/{consent_id}",
    summary="Revoke a consent (its owner, admin)",
)
@answers(NOT_FOUND, FORBIDDEN, (Conflict, "already revoked"))
def revoke_consent(consent_id: str, principal: SmeOnly, session: SessionDep) -> ConsentOut:
    return service.consent_out(service.revoke_consent(session, principal, consent_id))


@router.get("/audit", summary="Audit log of every write: who, when, what, before and after (admin)")
@answers()
def audit_log(
    _admin: AdminOnly,
    session: SessionDep,
    page: PageDep,
    actor: Annotated[str | None, Query(max_length=255, description="subject or username")] = None,
    resource_type: Annotated[str | None, Query(max_length=64, examples=["dep_deployments"])] = None,
    resource_id: Annotated[str | None, Query(max_length=255)] = None,
    since: Annotated[IsoDateTime | None, Query(description="ISO 8601 with zone")] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="ISO 8601 with zone; entries before it (exclusive)")
    ] = None,
    action: Annotated[AuditAction | None, Query(description="create, update or delete")] = None,
) -> Page[AuditEntryOut]:
    zoneless = [name for name, moment in (("since", since), ("until", until)) if moment and not moment.tzinfo]
    if zoneless:
        raise ValidationFailed(
            Msg("a time of the audit filter must carry a time zone"),
            fields=[field_error(f"query.{name}", Msg("add a zone, e.g. +09:00 or Z")) for name in zoneless],
        )
    if since is not None and until is not None and until <= since:
        raise ValidationFailed(
            Msg("the audit period ends before it starts"),
            fields=[field_error("query.until", Msg("must be after since"))],
        )
    filters = repository.AuditFilters(actor, resource_type, resource_id, since, until, action)
    return paginate(session, repository.audit(filters), (AuditEntry.id,), page, service.audit_out)


@router.get("/me", summary="Who am I: the caller's token as the platform reads it")
@answers()
def me(principal: Authenticated, session: SessionDep) -> Me:
    org = session.get(Organisation, principal.org_id) if principal.org_id else None
    return Me(
        subject=principal.subject,
        username=principal.username,
        roles=sorted(principal.roles),
        org_id=principal.org_id,
        client_id=principal.client_id,
        factory_id=principal.factory_id,
        organisation=service.organisation_out(org) if org else None,
    )
