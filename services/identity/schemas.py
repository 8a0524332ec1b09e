"""Request and response bodies of the identity service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.kit.bodies import InputModel
from services.kit.fields import Slug
from services.kit.i18n import LocalizedText

OrgKind = Literal["sme", "vendor", "operator"]
ConsentScope = Literal["telemetry", "deployments", "usecases"]
UserRole = Literal["admin", "sme", "vendor", "public"]

# What Keycloak's user profile accepts (its email validator; person-name-prohibited-characters), so that
# a request it would refuse is refused here first, with the field named.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,30}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = rf"^{_ATOM}(?:\.{_ATOM})?@{_LABEL}(?:\.{_LABEL})+$"
PERSON_NAME = r"^[^<>&\"$%!#?§;*~/\\|^=\[\]{}()\x00-\x1f\x7f-\x9f\u2028\u2029]+$"

# Which role a person of each kind of organisation may hold.
ROLES_OF_KIND: dict[str, set[str]] = {
    "sme": {"sme", "public"},
    "vendor": {"vendor", "public"},
    "operator": {"admin", "public"},
}


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class OrganisationIn(BaseModel):
    model_config = _example(
        {"id": "org-sme-7", "kind": "sme", "name": {"ko": "대성정밀(주)", "en": "Daesung Precision Co."}}
    )

    id: Slug = Field(description="the organisation id: the org_id claim of its users and gateway clients")
    kind: OrgKind
    name: LocalizedText


class OrganisationOut(BaseModel):
    id: str
    kind: OrgKind
    name: LocalizedText
    created_at: datetime


class UserIn(InputModel):
    model_config = _example(
        {
            "username": "kim.minjun",
            "password": "Temp-2025-pass!",
            "temporary": True,
            "role": "sme",
            "email": "minjun.kim@daesung.example",
            "first_name": "민준",
            "last_name": "김",
        }
    )

    username: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,62}$")
    password: str = Field(min_length=8, max_length=128)
    temporary: bool = Field(default=False, description="Keycloak makes the user change it at first login")
    role: UserRole = Field(description="sme/vendor/admin must match the organisation's kind")
    email: str = Field(pattern=EMAIL, max_length=254)
    first_name: str = Field(pattern=PERSON_NAME, min_length=1, max_length=100)
    last_name: str = Field(pattern=PERSON_NAME, min_length=1, max_length=100)


class UserOut(BaseModel):
    id: str
    username: str
    org_id: str
    role: str
    email: str | None
    temporary_password: bool
    created_at: datetime


class GatewayClientIn(BaseModel):
    model_config = _example(
        {"factory_id": "factory-sme-1-a", "client_id": "edge-gw-sme-1-a-02", "description": "2공장 라인 B"}
    )

    factory_id: Slug = Field(description="a factory of the organisation (companies service)")
    client_id: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]{2,99}$", description="default: edge-<factory>-<random>"
    )
    description: str | None = Field(default=None, max_length=200)


class GatewayClientOut(BaseModel):
    client_id: str
    org_id: str
    factory_id: str
    description: str | None
    enabled: bool
    created_at: datetime
    secret_rotated_at: datetime


class GatewayCredentials(BaseModel):
    """Shown once: the platform keeps only a hash (embedded) or Keycloak keeps it."""

    client_id: str
    client_secret: str
    org_id: str
    factory_id: str
    token_endpoint: str = Field(description="POST grant_type=client_credentials here")


class ConsentIn(BaseModel):
    model_config = _example(
        {"grantee_org_id": "org-vendor-1", "scope": "telemetry", "factory_id": "factory-sme-1-a"}
    )

    grantee_org_id: Slug = Field(description="the vendor organisation that may see the data")
    scope: ConsentScope
    factory_id: Slug | None = Field(default=None, description="limit to one factory; none = all factories")
    owner_org_id: Slug | None = Field(default=None, description="admins only: grant on an SME's behalf")


class ConsentOut(BaseModel):
    id: str
    owner_org_id: str
    grantee_org_id: str
    scope: ConsentScope
    factory_id: str | None
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool


class ConsentCheck(BaseModel):
    granted: bool
    consent_id: str | None = Field(description="the active consent that grants it")


AuditAction = Literal["create", "update", "delete"]


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_subject: str
    actor_username: str | None
    actor_org_id: str | None
    actor_client_id: str | None
    request: str | None
    action: AuditAction
    resource_type: str = Field(description="the table written, e.g. dep_deployments")
    resource_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Me(BaseModel):
    subject: str
    username: str | None
    roles: list[str]
    org_id: str | None
    client_id: str | None
    factory_id: str | None
    organisation: OrganisationOut | None = Field(description="the org_id's organisation, when registered")


class TokenOut(BaseModel):
    """The same JSON as Keycloak's token endpoint (the fields clients read)."""

    access_token: str
    expires_in: int
    token_type: Literal["Bearer"]
