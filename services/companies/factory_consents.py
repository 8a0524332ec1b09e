"""Which of an SME's factories a supplier may list: those the SME's ``deployments`` consent to the supplier's
organisation covers.

Invariants:
- A factory is the SME's tenant data: the SME and admins list all of them; anyone else lists none unless the
  SME granted the caller's organisation an active ``deployments`` consent (identity service), which covers
  every factory (a consent naming none) or the one it names. A revoked consent covers nothing from the next
  request on: consents are asked of the identity service per request, with the caller's own token, never
  kept here.
- The identity service answers only about consents its caller gave or received, so a supplier learns
  nothing of another supplier's consents; an identity service that cannot answer means no consent.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import Request

from services.kit.clients import bearer_token, service_client
from services.kit.errors import NotFound
from services.kit.principal import Principal


@dataclass(frozen=True)
class Covered:
    """The SME's factories the caller may list: ``every`` one, or those of ``ids`` (empty: none)."""

    every: bool
    ids: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return self.every or bool(self.ids)


async def covered(request: Request, principal: Principal, company_id: str) -> Covered:
    if principal.acts_for(company_id):
        return Covered(every=True)
    if principal.org_id is None:
        return Covered(every=False)
    params = {
        "owner_org_id": company_id,
        "grantee_org_id": principal.org_id,
        "scope": "deployments",
        "active": "true",
        "limit": "200",
    }
    try:
        answer = await service_client(request).get_json(
            "identity", "/consents", params=params, token=bearer_token(request)
        )
    except (NotFound, httpx.HTTPStatusError):
        return Covered(every=False)
    consents = [c for c in answer.get("items") or [] if c.get("active")]
    return Covered(
        every=any(c.get("factory_id") is None for c in consents),
        ids=frozenset(c["factory_id"] for c in consents if c.get("factory_id")),
    )
