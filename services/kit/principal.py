"""Who is calling: the verified token turned into a Principal, and the reusable authorization dependencies."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kit import audit
from services.kit.errors import Forbidden, Unauthorized
from services.kit.messages import Alternatives, Msg
from services.kit.slots import Slot, slots_of


class Role(StrEnum):
    ADMIN = "admin"
    SME = "sme"
    VENDOR = "vendor"
    PUBLIC = "public"
    GATEWAY = "gateway"
    # 스마트제조혁신추진단 or a regional centre's reviewer: verifies records of the regions it is scoped to.
    AGENCY = "agency"
    # A designation evaluator (평가위원): scores the specialist-company applications assigned to them.
    EVALUATOR = "evaluator"


class TokenVerifier(Protocol):
    """Checks signature, issuer, audience and times of an access token and returns its claims."""

    def verify(self, token: str) -> dict[str, Any]: ...


TOKEN_VERIFIER: Slot[TokenVerifier] = Slot("token_verifier")  # made by the app's lifespan


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    org_id: str | None = None
    client_id: str | None = None
    factory_id: str | None = None
    username: str | None = None
    # 시·도 codes an agency reviewer or regional-centre staff member is scoped to (claim ``regions``).
    regions: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        roles = claims.get("realm_access", {}).get("roles", [])
        return cls(
            subject=str(claims.get("sub", "")),
            roles=frozenset(r for r in roles if r in Role.__members__.values()),
            org_id=claims.get("org_id"),
            client_id=claims.get("azp") or claims.get("client_id"),
            factory_id=claims.get("factory_id"),
            username=claims.get("preferred_username"),
            regions=frozenset(str(r) for r in claims.get("regions") or ()),
        )

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def covers_region(self, region_code: str | None) -> bool:
        """Admins cover every region; an agency reviewer only those of its ``regions`` claim."""
        return self.is_admin or (region_code is not None and region_code in self.regions)

    def has_any(self, *roles: Role) -> bool:
        return self.is_admin or any(r in self.roles for r in roles)

    def acts_for(self, org_id: str | None) -> bool:
        """Admins act for every organisation, people only for their own; a gateway only for its factory."""
        if self.is_admin:
            return True
        if not self.roles - {Role.GATEWAY, Role.PUBLIC}:
            return False
        return self.org_id is not None and self.org_id == org_id

    def owner_for(self, requested: str | None) -> str:
        """The organisation a new record belongs to: the caller's own; admins may name another."""
        if requested is not None and requested != self.org_id:
            if not self.is_admin:
                raise Forbidden(Msg("only admins create records for another organisation"))
            return requested
        if self.org_id is None:
            raise Forbidden(Msg("the token names no organisation (org_id claim)"))
        return self.org_id

    def require_org(self, org_id: str | None) -> None:
        if not self.acts_for(org_id):
            raise Forbidden(Msg("this record belongs to another organisation"))


# Request state key of (token, claims) verified earlier in the same request.
VERIFIED_TOKEN = "verified_token"
# The (token, claims) this task verified last: a sibling service called in-process with the same token
# (services.kit.clients) runs in the caller's task, so it need not verify the signature again.
_VERIFIED_IN_TASK: ContextVar[tuple[str, dict[str, Any]] | None] = ContextVar(
    "verified_in_task", default=None
)
_bearer = HTTPBearer(auto_error=False, description="OIDC access token (Keycloak or the dev issuer)")


async def _verify(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal | None:
    """Verify the bearer token; the caller becomes the actor of every write this request makes.

    The dependencies are ``async`` on purpose: the audit actor is a context variable, and only a value set
    in the request's own task reaches the worker threads that run the endpoint and commit its session.
    """
    if credentials is None:
        return None
    if credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized(Msg("expected 'Authorization: Bearer <token>'"))
    # Left by the rate limiter in front of us, or by the caller of this in-process request.
    verified = getattr(request.state, VERIFIED_TOKEN, None) or _VERIFIED_IN_TASK.get()
    if verified is not None and verified[0] == credentials.credentials:
        claims = verified[1]
    else:
        verifier = slots_of(request.app).get(TOKEN_VERIFIER)
        # In a thread: an unknown key id makes the verifier fetch the issuer's JWKS over the network.
        claims = await run_in_threadpool(verifier.verify, credentials.credentials)
    _VERIFIED_IN_TASK.set((credentials.credentials, claims))
    principal = Principal.from_claims(claims)
    request.state.principal = principal
    audit.bind_actor(
        audit.Actor(
            subject=principal.subject,
            username=principal.username,
            org_id=principal.org_id,
            client_id=principal.client_id,
            request=f"{request.method} {request.url.path}",
        )
    )
    return principal


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """For public endpoints: anonymous is fine, but a token that is sent must be valid."""
    return await _verify(request, credentials)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    principal = await _verify(request, credentials)
    if principal is None:
        raise Unauthorized(Msg("authentication required"))
    return principal


def require_roles(*roles: Role) -> Any:
    """A dependency admitting principals holding one of ``roles`` (admins always).

    The check function carries ``roles`` so tools (the generated security tests) can read what a route needs.
    """

    async def _check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has_any(*roles):
            raise Forbidden(Msg("requires role {roles}", roles=Alternatives(roles)))
        return principal

    _check.roles = frozenset(roles)  # type: ignore[attr-defined]
    return Depends(_check)


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
Authenticated = Annotated[Principal, Depends(current_principal)]
AdminOnly = Annotated[Principal, require_roles(Role.ADMIN)]
Writer = Annotated[Principal, require_roles(Role.SME, Role.VENDOR)]
SmeOnly = Annotated[Principal, require_roles(Role.SME)]
VendorOnly = Annotated[Principal, require_roles(Role.VENDOR)]
Gateway = Annotated[Principal, require_roles(Role.GATEWAY)]
AgencyOnly = Annotated[Principal, require_roles(Role.AGENCY)]
EvaluatorOnly = Annotated[Principal, require_roles(Role.EVALUATOR)]
