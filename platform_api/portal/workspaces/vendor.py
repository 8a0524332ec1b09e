"""The supplier's (공급기업) workspace home and its list of deployment records by state.

The home counts the supplier's pending work on its records (``PENDING``) and links to its other sections:
records (here and ``vendor_records``), AI cases, standards and the specialist designation (built at
``SECTIONS``). A record's state as the supplier sees it (``state_of``) refines the API's status by who has
the next move: a draft sent back is the supplier's to answer, a submitted record it drafted waits for the
SME, one the SME drafted waits for the supplier, a draft of the SME is the SME's. Everything listed is
what the deployments workspace API gives the supplier's token: the records it takes part in, any state.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from platform_api.portal.render import render
from platform_api.portal.workspaces.guard import Desk, SupplierDesk

router = APIRouter(include_in_schema=False)

HOME = "/me/vendor"
RECORDS = HOME + "/records"
SECTIONS = (
    (RECORDS, "vendor_records"),
    (HOME + "/cases", "vendor_cases"),
    (HOME + "/standards", "vendor_standards"),
    (HOME + "/designation", "vendor_designation"),
)
# Every state a supplier's record can be in, in the order of the lifecycle; the first five are its pending
# work: its own filings on their way, and the SME's records waiting for its confirmation.
STATES = (
    "draft",
    "sent_back",
    "awaiting_sme",
    "confirmed",
    "awaiting_me",
    "with_sme",
    "verified",
    "published",
)
PENDING = STATES[:5]
PAGE_SIZE = 20
Record = dict[str, Any]


def state_of(record: Record) -> str:
    """Where a record stands for its supplier: one of ``STATES``."""
    status = str(record.get("status"))
    if status == "draft" and record.get("drafted_by") != "vendor":
        return "with_sme"
    if status == "draft":
        return "sent_back" if record.get("return_comment") else "draft"
    if status == "submitted":
        return "awaiting_sme" if record.get("drafted_by") == "vendor" else "awaiting_me"
    return status


def counted(records: list[Record]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for record in records:
        counts[state_of(record)] += 1
    return counts


async def workspace_records(desk: Desk) -> list[Record] | None:
    """The records the supplier takes part in, the latest change first; None if the API did not answer."""
    records = await desk.api.all_or_none("deployments", "/workspace")
    return None if records is None else sorted(records, key=lambda r: r["updated_at"], reverse=True)


@router.get(HOME, response_class=HTMLResponse)
async def vendor_home(request: Request, desk: SupplierDesk) -> Response:
    org = str(desk.principal.org_id)
    api = desk.api
    records = await workspace_records(desk)
    company = await api.maybe("companies", f"/{org}")
    cases = await api.all_or_none("usecases", "", {"owner_org_id": org})
    return await render(
        request,
        "workspaces/vendor.html",
        {
            "company": company,
            "available": records is not None,
            "counts": counted(records or []),
            "pending": PENDING,
            "sections": SECTIONS,
            "recent": [r for r in records or [] if state_of(r) in PENDING][:10],
            "state_of": state_of,
            "case_drafts": sum(1 for c in cases or [] if c.get("status") == "draft"),
        },
    )


@router.get(RECORDS, response_class=HTMLResponse)
async def record_list(request: Request, desk: SupplierDesk) -> Response:
    records = await workspace_records(desk)
    state = request.query_params.get("state")
    state = state if state in STATES else None
    shown = [r for r in records or [] if state is None or state_of(r) == state]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    number = request.query_params.get("page", "1")
    page = min(int(number), pages) if number.isdigit() and int(number) > 0 else 1
    return await render(
        request,
        "workspaces/vendor_records.html",
        {
            "available": records is not None,
            "counts": counted(records or []),
            "total": len(records or []),
            "states": STATES,
            "state": state,
            "rows": shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "state_of": state_of,
            "page": page,
            "pages": pages,
            "shown": len(shown),
        },
    )
