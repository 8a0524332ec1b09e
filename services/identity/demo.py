"""The demo identities of ``infra/keycloak/realm.json``, seeded into the embedded topology's tables.

Same usernames, passwords, roles, organisations and gateway clients as the Keycloak realm (a test keeps
the two in step), so every documented flow works against either issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session

from services.identity.directory import hash_secret
from services.identity.models import DevCredential, GatewayClient, Organisation, User
from services.kit.db import Database


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    org_id: str
    regions: tuple[str, ...] = ()  # 시·도 codes of an agency reviewer (the token's ``regions`` claim)

    @property
    def password(self) -> str:
        return f"{self.username}-pass"


@dataclass(frozen=True)
class DemoGateway:
    client_id: str
    org_id: str
    factory_id: str

    @property
    def secret(self) -> str:
        return f"{self.client_id}-secret"


ORGANISATIONS = {
    "org-operator": ("operator", "스마트제조혁신 플랫폼 운영기관", "Platform operator"),
    "org-sme-1": ("sme", "데모 중소기업 1", "Demo SME 1"),
    "org-sme-2": ("sme", "데모 중소기업 2", "Demo SME 2"),
    "org-vendor-1": ("vendor", "데모 공급기업 1", "Demo vendor 1"),
    "org-agency": ("operator", "스마트제조혁신추진단", "Smart Manufacturing Innovation Agency"),
    "org-evaluators": ("operator", "전문기업 평가위원단", "Designation evaluators"),
}
USERS = [
    DemoUser("admin1", "admin", "org-operator"),
    DemoUser("sme1", "sme", "org-sme-1"),
    DemoUser("sme2", "sme", "org-sme-2"),
    DemoUser("vendor1", "vendor", "org-vendor-1"),
    DemoUser("agency1", "agency", "org-agency", regions=("48", "26", "31")),
    DemoUser("evaluator1", "evaluator", "org-evaluators"),
    DemoUser("evaluator2", "evaluator", "org-evaluators"),
]
REGIONS_OF = {u.username: list(u.regions) for u in USERS if u.regions}
GATEWAYS = [DemoGateway(f"edge-gw-demo-{n}", f"org-sme-{n}", f"factory-sme-{n}-a") for n in (1, 2)]


@cache
def _hash(secret: str) -> str:
    # Once per process: every test database starts empty and is seeded again.
    return hash_secret(secret)


def seed(session: Session) -> None:
    """Add whichever demo identity is missing; never touches one that exists (its secret may be rotated)."""
    for org_id, (kind, ko, en) in ORGANISATIONS.items():
        if session.get(Organisation, org_id) is None:
            session.add(Organisation(id=org_id, kind=kind, name={"ko": ko, "en": en}))
    for user in USERS:
        if session.get(DevCredential, ("user", user.username)) is None:
            session.add(
                User(
                    id=f"dev-user-{user.username}",
                    username=user.username,
                    org_id=user.org_id,
                    role=user.role,
                    email=f"{user.username}@smartmfg.example",
                    temporary_password=False,
                )
            )
            session.add(DevCredential(kind="user", name=user.username, secret_hash=_hash(user.password)))
    for gateway in GATEWAYS:
        if session.get(GatewayClient, gateway.client_id) is None:
            session.add(
                GatewayClient(
                    client_id=gateway.client_id,
                    org_id=gateway.org_id,
                    factory_id=gateway.factory_id,
                    description="demo gateway (infra/keycloak/realm.json)",
                )
            )
            session.add(
                DevCredential(kind="client", name=gateway.client_id, secret_hash=_hash(gateway.secret))
            )


def seed_database(database: Database) -> None:
    with database.session() as session, session.begin():
        seed(session)
