"""The regional agency's (전담기관) workspace: the verification queue of its regions, a record's review page
(record, revisions, evidence documents, KPIs with their telemetry evidence, stage timeline against the
target), verify / send back / publish with a comment, and the after-care tickets of its regions.

The queue is what the deployments workspace API gives an agency token: records of the regions in its
``regions`` claim. A record waits for verification from the moment it is confirmed (its last change); it
is due ``review_within_days`` later, the deployments service's setting its workspace answer carries (the
portal holds no deadline of its own), and flagged when past due.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from platform_api.portal.api import PortalApi
from platform_api.portal.messages import chosen_lang
from platform_api.portal.pages import company_names, record_figures
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import AgencyDesk
from services.kit.errors import NotFound

router = APIRouter(include_in_schema=False)

HOME = "/me/agency"
Record = dict[str, Any]


def queue_rows(records: list[Record], now: datetime, review_days: int | None) -> list[dict[str, Any]]:
    """The confirmed records as the queue lists them, the oldest first: age, review deadline, overdue (no
    deadline when the service did not say it)."""
    rows = []
    for record in records:
        waiting = datetime.fromisoformat(record["updated_at"])
        deadline = waiting + timedelta(days=review_days) if review_days is not None else None
        rows.append(
            {
                "record": record,
                "age_days": (now - waiting).days,
                "deadline": deadline.date().isoformat() if deadline else None,
                "overdue": deadline is not None and now > deadline,
            }
        )
    return sorted(rows, key=lambda row: row["record"]["updated_at"])


async def _tickets(api: PortalApi, records: list[Record]) -> list[dict[str, Any]]:
    """The unresolved or late after-care tickets of ``records``, the late ones first."""
    tickets: list[dict[str, Any]] = []
    for record in records:
        counts = record.get("aftercare") or {}
        if not counts.get("open") and not counts.get("late"):
            continue
        for ticket in await api.all_or_none("deployments", f"/{record['id']}/tickets") or []:
            if ticket.get("resolved_at") is None or ticket.get("late"):
                tickets.append({"ticket": ticket, "record": record})
    return sorted(tickets, key=lambda t: (not t["ticket"].get("late"), t["ticket"]["due_at"]))


@router.get(HOME, response_class=HTMLResponse)
async def agency_home(request: Request, who: AgencyDesk) -> Response:
    principal, api = who
    records = await api.all_or_none("deployments", "/workspace")
    tickets = await _tickets(api, records or [])
    centres = await api.maybe("companies", "/regional-centres/mine")
    rule = await api.maybe("deployments", "/workspace", {"status": "confirmed", "limit": 1})
    review_days = (rule or {}).get("review_within_days")
    now = datetime.now(UTC)
    confirmed = [r for r in records or [] if r.get("status") == "confirmed"]
    queue = queue_rows(confirmed, now, review_days)
    done, done_id = request.query_params.get("done"), request.query_params.get("record")
    return await render(
        request,
        "workspaces/agency.html",
        {
            "regions": sorted(principal.regions),
            "available": records is not None,
            "queue": queue,
            "overdue": sum(1 for row in queue if row["overdue"]),
            "to_publish": [r for r in records or [] if r.get("status") == "verified"],
            "tickets": tickets,
            "late": sum(1 for t in tickets if t["ticket"].get("late")),
            "centres": centres or [],
            "review_days": review_days,
            "done": done if done in ("verify", "return", "publish") else None,
            "done_record": next((r for r in records or [] if r["id"] == done_id), None),
        },
    )


class Decision(BaseModel):
    """The review form: the decision button pressed, the comment, the version the reviewer read."""

    action: Literal["verify", "return", "publish"]
    comment: str | None = Field(default=None, max_length=2000)
    version: str | None = None


async def _review(
    request: Request, api: PortalApi, record_id: str, form: dict[str, str], errors: forms.FormErrors
) -> Response:
    lang = chosen_lang(request)
    try:
        record = await api.get("deployments", f"/{record_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    history = await api.all_or_none("deployments", f"/{record_id}/history")
    names = await company_names(request, record.get("supplier_company_ids") or [])
    return await render(
        request,
        "workspaces/agency_review.html",
        {
            "record": record,
            **record_figures(record, lang),
            "history": list(reversed(history or [])),
            "suppliers": names,
            **forms.form_state(request, form, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME + "/records/{record_id}", response_class=HTMLResponse)
async def review_page(request: Request, record_id: str, who: AgencyDesk) -> Response:
    return await _review(request, who.api, record_id, {}, forms.FormErrors())


@router.post(HOME + "/records/{record_id}", response_class=HTMLResponse)
async def decide(request: Request, record_id: str, who: AgencyDesk) -> Response:
    api = who.api

    async def call(decision: Decision) -> httpx.Response:
        path, body = f"/{record_id}/{decision.action}", {"comment": decision.comment}
        return await api.send("POST", "deployments", path, body, headers=forms.if_match(decision.version))

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _review(request, api, record_id, form, errors)

    return await forms.handle(
        request,
        model=Decision,
        call=call,
        done=lambda decision: f"{HOME}?done={decision.action}&record={record_id}",
        again=again,
        page=f"{HOME}/records/{record_id}",
    )
