"""What the routes of every capability share: the errors they declare (``services.kit.contract.answers``),
a record's output with its ETag, the database work of an ``async`` route run in the threadpool, and who
sees a record's private fields.

Routes that ask another service (companies, identity, analytics) are ``async``: they ask first, then run
the database work in the threadpool; writes name the version they change through ``If-Match``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from services.deployments import access
from services.deployments.aftercare.service import counts
from services.deployments.auth import etag
from services.deployments.models import DeploymentRecord
from services.deployments.output import to_out
from services.deployments.schemas import DeploymentOut
from services.kit.clients import bearer_token, service_client
from services.kit.contract import Declared
from services.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    ValidationFailed,
)
from services.kit.principal import Principal

T = TypeVar("T")

NOT_FOUND: Declared = (NotFound, "no such deployment record (or not visible to the caller)")
FORBIDDEN: Declared = (Forbidden, "the caller has no part in this record or step")
CONFLICT: Declared = (Conflict, "not possible in the record's state (see detail and fields)")
STALE: Declared = (PreconditionFailed, "If-Match names an older version: someone changed the record")
INVALID: Declared = (ValidationFailed, "invalid record; fields[].loc names each problem")
WRITE: tuple[Declared, ...] = (NOT_FOUND, FORBIDDEN, CONFLICT, STALE, INVALID)
PARTIES: Declared = (ServiceUnavailable, "the companies service, checking the parties, is unreachable")
CONSENTS: Declared = (ServiceUnavailable, "the identity service, asked for a consent, is unreachable")
ETAG_HEADER: dict[str, Any] = {"ETag": {"description": "the record's version", "schema": {"type": "string"}}}


async def in_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(func, *args, **kwargs)


async def private_for(request: Request, principal: Principal | None, record: DeploymentRecord) -> bool:
    """The parties, the region's agency and admins; others while the SME's ``deployments`` consent holds."""
    if access.sees_private(principal, record):
        return True
    if principal is None or principal.org_id is None:
        return False
    params = {
        "owner_org_id": record.sme_company_id,
        "grantee_org_id": principal.org_id,
        "scope": "deployments",
    }
    if record.factory_id:
        params["factory_id"] = record.factory_id
    try:
        answer = await service_client(request).get_json(
            "identity", "/consents/check", params=params, token=bearer_token(request)
        )
    except (NotFound, httpx.HTTPStatusError):  # no consent registry here, or it refuses: no consent
        return False
    return isinstance(answer, dict) and answer.get("granted") is True


def out(record: DeploymentRecord, private: bool, response: Response | None = None) -> DeploymentOut:
    result = to_out(record, private=private, tickets=counts(record.tickets))
    if response is not None:
        response.headers["ETag"] = etag(record.version)
    return result


def written(record: DeploymentRecord, response: Response) -> DeploymentOut:
    return out(record, True, response)
