"""Whose readings a caller may read, as the grants the query engine turns into row filters.

- admins: every row;
- a gateway: its own factory (the ``factory_id`` claim) only;
- people of an organisation (SME, vendor): the rows their organisation owns (rows carry ``org_id``, stamped
  from the uploading gateway's token), and, for vendors, the factories whose owner granted the vendor's
  organisation a ``telemetry`` consent in the identity service;
- anyone else (no organisation, public role): nothing raw.

Cross-factory aggregates (benchmarks) take no grants: they are returned only for groups of at least
``min_group_size`` factories (see ``catalog.query.QueryEngine.benchmarks``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from catalog.query import Grant, QueryEngine, Scope
from services.kit.clients import bearer_token, service_client
from services.kit.errors import Forbidden, NotFound
from services.kit.messages import Msg
from services.kit.principal import Principal, Role

log = logging.getLogger(__name__)
CONSENT_SCOPE = "telemetry"


async def scope_for(
    request: Request, engine: QueryEngine, principal: Principal, factory_ids: Sequence[str]
) -> Scope:
    """The grants covering ``factory_ids`` (or, when none is named, everything the caller owns).

    Raises Forbidden for a named factory whose rows belong to an organisation that is not the caller's and
    that gave the caller no consent.
    """
    if principal.is_admin:
        return None
    if Role.GATEWAY in principal.roles:
        if principal.factory_id is None:
            raise Forbidden(Msg("the gateway token names no factory"))
        others = sorted(set(factory_ids) - {principal.factory_id})
        if others:
            raise Forbidden(
                Msg(
                    "this gateway reads factory '{own_factory_id}' only, not '{other}'",
                    own_factory_id=principal.factory_id,
                    other=others[0],
                )
            )
        return [Grant(principal.factory_id, principal.org_id)]
    if principal.org_id is None or not principal.roles & {Role.SME, Role.VENDOR}:
        raise Forbidden(Msg("raw readings are for the owning organisation, its consented vendors and admins"))
    if not factory_ids:
        return [Grant(None, principal.org_id)]
    owners = await run_in_threadpool(engine.owners, list(factory_ids))
    grants: list[Grant] = []
    for factory_id in factory_ids:
        orgs = owners.get(factory_id, frozenset())
        if not orgs or principal.org_id in orgs:
            grants.append(Grant(factory_id, principal.org_id))  # its own (or nothing there yet)
            continue
        consented = []
        if Role.VENDOR in principal.roles:
            consented = [
                org for org in sorted(orgs) if await _consent(request, org, principal.org_id, factory_id)
            ]
        if not consented:
            raise Forbidden(
                Msg(
                    "factory '{factory_id}' belongs to another organisation "
                    "that has not granted yours a telemetry consent",
                    factory_id=factory_id,
                )
                if Role.VENDOR in principal.roles
                else Msg("factory '{factory_id}' belongs to another organisation", factory_id=factory_id)
            )
        grants += [Grant(factory_id, org) for org in consented]
    return grants


async def _consent(request: Request, owner_org_id: str, grantee_org_id: str, factory_id: str) -> bool:
    """Ask the identity service, with the caller's own token, whether the owner consented."""
    params = {
        "owner_org_id": owner_org_id,
        "grantee_org_id": grantee_org_id,
        "scope": CONSENT_SCOPE,
        "factory_id": factory_id,
    }
    try:
        answer = await service_client(request).get_json(
            "identity", "/consents/check", params=params, token=bearer_token(request)
        )
    except NotFound:
        # The identity service is not part of this deployment: without a consent registry, no vendor access.
        log.warning(
            "identity service not reachable at /api/v1/identity/consents/check: vendor access refused"
        )
        return False
    except httpx.HTTPStatusError as exc:  # 4xx: the identity service refuses the question itself
        log.info("consent check answered %s: vendor access refused", exc.response.status_code)
        return False
    return isinstance(answer, dict) and answer.get("granted") is True
