"""Every query of the identity service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from services.identity.models import AuditEntry, Consent, DevCredential, GatewayClient, Organisation, User
from services.kit.errors import NotFound
from services.kit.messages import Msg


def get_organisation(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(Msg("organisation '{org_id}' does not exist", org_id=org_id))
    return org


def organisations(kind: str | None) -> Select[Organisation]:
    stmt = select(Organisation)
    return stmt.where(Organisation.kind == kind) if kind else stmt


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def users_of(org_id: str) -> Select[User]:
    return select(User).where(User.org_id == org_id)


def find_gateway(session: Session, client_id: str) -> GatewayClient | None:
    return session.get(GatewayClient, client_id)


def get_gateway(session: Session, org_id: str, client_id: str) -> GatewayClient:
    client = find_gateway(session, client_id)
    if client is None or client.org_id != org_id:
        raise NotFound(
            Msg(
                "gateway client '{client_id}' of organisation '{org_id}' does not exist",
                client_id=client_id,
                org_id=org_id,
            )
        )
    return client


def gateways_of(org_id: str, factory_id: str | None) -> Select[GatewayClient]:
    stmt = select(GatewayClient).where(GatewayClient.org_id == org_id)
    return stmt.where(GatewayClient.factory_id == factory_id) if factory_id else stmt


def credential(session: Session, kind: str, name: str) -> DevCredential | None:
    return session.get(DevCredential, (kind, name))


def get_consent(session: Session, consent_id: str) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound(Msg("consent '{consent_id}' does not exist", consent_id=consent_id))
    return consent


@dataclass(frozen=True)
class ConsentFilters:
    visible_to: str | None  # an organisation: only consents it gave or received; None = all (admins)
    owner_org_id: str | None = None
    grantee_org_id: str | None = None
    scope: str | None = None
    active: bool | None = None


def consents(f: ConsentFilters) -> Select[Consent]:
    stmt = select(Consent)
    if f.visible_to is not None:
        stmt = stmt.where(or_(Consent.owner_org_id == f.visible_to, Consent.grantee_org_id == f.visible_to))
    if f.owner_org_id:
        stmt = stmt.where(Consent.owner_org_id == f.owner_org_id)
    if f.grantee_org_id:
        stmt = stmt.where(Consent.grantee_org_id == f.grantee_org_id)
    if f.scope:
        stmt = stmt.where(Consent.scope == f.scope)
    if f.active is not None:
        stmt = stmt.where(Consent.revoked_at.is_(None) if f.active else Consent.revoked_at.is_not(None))
    return stmt


def active_consent(
    session: Session, *, owner_org_id: str, grantee_org_id: str, scope: str, factory_id: str | None
) -> Consent | None:
    """An unrevoked consent covering the request: organisation-wide, or for exactly that factory."""
    factories: list[ColumnElement[bool]] = [Consent.factory_id.is_(None)]
    if factory_id is not None:
        factories.append(Consent.factory_id == factory_id)
    stmt = (
        consents(ConsentFilters(None, owner_org_id, grantee_org_id, scope, active=True))
        .where(or_(*factories))
        .order_by(Consent.granted_at, Consent.id)
        .limit(1)
    )
    return session.scalar(stmt)


def same_active_consent(session: Session, owner: str, grantee: str, scope: str, factory: str | None) -> bool:
    stmt = consents(ConsentFilters(None, owner, grantee, scope, active=True)).where(
        Consent.factory_id.is_(None) if factory is None else Consent.factory_id == factory
    )
    return session.scalar(stmt.limit(1)) is not None


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    action: str | None = None


def audit(f: AuditFilters) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    if f.actor:
        stmt = stmt.where(or_(AuditEntry.actor_subject == f.actor, AuditEntry.actor_username == f.actor))
    if f.resource_type:
        stmt = stmt.where(AuditEntry.resource_type == f.resource_type)
    if f.resource_id:
        stmt = stmt.where(AuditEntry.resource_id == f.resource_id)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEntry.at < f.until)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    return stmt
