"""Identity logic: onboarding organisations, users and gateway clients; consents. Flushes, never commits."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from services.identity import repository
from services.identity.directory import IdentityDirectory, NewUser
from services.identity.models import AuditEntry, Consent, GatewayClient, Organisation, User
from services.identity.schemas import (
    ROLES_OF_KIND,
    AuditEntryOut,
    ConsentIn,
    ConsentOut,
    GatewayClientIn,
    GatewayClientOut,
    OrganisationIn,
    OrganisationOut,
    UserIn,
    UserOut,
)
from services.kit.db import utcnow
from services.kit.errors import Conflict, ValidationFailed, field_error
from services.kit.i18n import LocalizedText
from services.kit.messages import Msg
from services.kit.principal import Principal


def organisation_out(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        kind=org.kind,
        name=LocalizedText(**org.name),
        created_at=org.created_at,
    )


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def gateway_out(client: GatewayClient) -> GatewayClientOut:
    return GatewayClientOut.model_validate(client, from_attributes=True)


def consent_out(consent: Consent) -> ConsentOut:
    return ConsentOut.model_validate(
        {
            **{c: getattr(consent, c) for c in ConsentOut.model_fields if c != "active"},
            "active": consent.revoked_at is None,
        }
    )


def audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)


def create_organisation(session: Session, body: OrganisationIn) -> Organisation:
    if session.get(Organisation, body.id) is not None:
        raise Conflict(Msg("organisation '{id}' exists", id=body.id))
    org = Organisation(id=body.id, kind=body.kind, name=body.name.model_dump())
    session.add(org)
    session.flush()
    return org


def create_user(session: Session, directory: IdentityDirectory, org_id: str, body: UserIn) -> User:
    org = repository.get_organisation(session, org_id)
    if body.role not in ROLES_OF_KIND[org.kind]:
        allowed = ", ".join(sorted(ROLES_OF_KIND[org.kind]))
        raise ValidationFailed(
            Msg(
                "a member of a {kind} organisation has role {allowed}, not {role}",
                kind=org.kind,
                allowed=allowed,
                role=body.role,
            ),
            fields=[
                field_error(
                    "body.role",
                    Msg("must be one of {allowed} for a {kind} organisation", allowed=allowed, kind=org.kind),
                )
            ],
        )
    if repository.user_by_username(session, body.username) is not None:
        raise Conflict(Msg("username '{username}' is taken", username=body.username))
    user_id = directory.create_user(
        NewUser(
            username=body.username,
            password=body.password,
            temporary=body.temporary,
            role=body.role,
            org_id=org.id,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
        )
    )
    user = User(
        id=user_id,
        username=body.username,
        org_id=org.id,
        role=body.role,
        email=body.email,
        temporary_password=body.temporary,
    )
    session.add(user)
    session.flush()
    return user


def register_gateway(
    session: Session, directory: IdentityDirectory, org_id: str, body: GatewayClientIn
) -> tuple[GatewayClient, str]:
    """The registry row and the client's secret (returned once). The factory was checked by the caller."""
    client_id = body.client_id or f"edge-{body.factory_id}-{secrets.token_hex(3)}"[:100]
    if repository.find_gateway(session, client_id) is not None:
        raise Conflict(Msg("client id '{client_id}' is taken", client_id=client_id))
    client = GatewayClient(
        client_id=client_id, org_id=org_id, factory_id=body.factory_id, description=body.description
    )
    session.add(client)
    session.flush()
    secret = directory.register_gateway(
        client_id=client_id, org_id=org_id, factory_id=body.factory_id, description=body.description or ""
    )
    return client, secret


def _enabled(client: GatewayClient) -> GatewayClient:
    if not client.enabled:
        raise Conflict(Msg("gateway client '{client_id}' is disabled", client_id=client.client_id))
    return client


def rotate_secret(
    session: Session, directory: IdentityDirectory, org_id: str, client_id: str
) -> tuple[GatewayClient, str]:
    client = _enabled(repository.get_gateway(session, org_id, client_id))
    client.secret_rotated_at = utcnow()
    session.flush()
    return client, directory.rotate_secret(client_id)


def disable_gateway(
    session: Session, directory: IdentityDirectory, org_id: str, client_id: str
) -> GatewayClient:
    client = _enabled(repository.get_gateway(session, org_id, client_id))
    client.enabled = False
    session.flush()
    directory.disable_client(client_id)
    return client


def grant_consent(session: Session, principal: Principal, body: ConsentIn) -> Consent:
    owner = principal.owner_for(body.owner_org_id)
    grantee = session.get(Organisation, body.grantee_org_id)
    if grantee is None or grantee.kind != "vendor":
        raise ValidationFailed(
            Msg(
                "'{grantee_org_id}' is not a registered vendor organisation",
                grantee_org_id=body.grantee_org_id,
            ),
            fields=[field_error("body.grantee_org_id", Msg("must be a registered vendor organisation"))],
        )
    if repository.same_active_consent(session, owner, grantee.id, body.scope, body.factory_id):
        raise Conflict(Msg("this consent is already granted"))
    consent = Consent(
        owner_org_id=owner,
        grantee_org_id=grantee.id,
        scope=body.scope,
        factory_id=body.factory_id,
        granted_by=principal.username or principal.subject,
    )
    session.add(consent)
    session.flush()
    return consent


def revoke_consent(session: Session, principal: Principal, consent_id: str) -> Consent:
    consent = repository.get_consent(session, consent_id)
    principal.require_org(consent.owner_org_id)
    if consent.revoked_at is not None:
        raise Conflict(Msg("this consent is already revoked"))
    consent.revoked_at = utcnow()
    consent.revoked_by = principal.username or principal.subject
    session.flush()
    return consent
