"""The SME's workspace: records that name it waiting for its confirmation (confirm, or dispute with a
comment: the record goes back to its supplier as a draft; a record its supplier filed without a factory is
confirmed naming one of the SME's own factories), its ``deployments`` consents per supplier
(grant, revoke, who sees what; offered: the platform's vendor organisations, the ones the consents API
accepts, its own suppliers first), and after-care tickets opened on its records.

The factory dashboard stays at ``/me/dashboard``; this page is linked from the header as "my work".
A consent lets the supplier see the SME's private fields of the records they share (amounts, contract,
evidence documents); without one the supplier sees the public fields only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from platform_api.portal.api import PortalApi
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import SmeDesk
from services.kit.principal import Principal

router = APIRouter(include_in_schema=False)

HOME = "/me/sme"
SEVERITIES = ("critical", "major", "minor")
Record = dict[str, Any]


def awaiting_me(records: list[Record], org_id: str | None) -> list[Record]:
    """Submitted records a supplier drafted that name this SME: only it may confirm them."""
    return [
        r
        for r in records
        if (r.get("status"), r.get("drafted_by"), r.get("sme_company_id")) == ("submitted", "vendor", org_id)
    ]


def in_aftercare(records: list[Record], today: date) -> list[Record]:
    """Records live and still within their after-care period: a ticket may be opened on them."""
    return [
        r
        for r in records
        if r.get("go_live") and date.fromisoformat(r.get("after_service_end") or "0001-01-01") >= today
    ]


async def _home(
    request: Request,
    principal: Principal,
    api: PortalApi,
    form: dict[str, str] | None = None,
    errors: forms.FormErrors | None = None,
    which: str | None = None,
) -> Response:
    records = await api.all_or_none("deployments", "/workspace", {"sme_company_id": principal.org_id})
    consents = await api.all_or_none("identity", "/consents", {"scope": "deployments"})
    # Its own factories: the picker of a record a supplier filed without one.
    factories = await api.all_or_none("companies", f"/{principal.org_id}/factories") or []
    vendors = await api.all_or_none("identity", "/organisations", {"kind": "vendor"}) or []
    supplied = {s for r in records or [] for s in r.get("supplier_company_ids") or []}
    active = {c["grantee_org_id"] for c in consents or [] if c.get("active")}
    # What the consents API accepts: the platform's vendor organisations, the SME's own suppliers first.
    choices = sorted(
        ({"id": v["id"], "name": v["name"], "supplied": v["id"] in supplied} for v in vendors),
        key=lambda v: (not v["supplied"], v["id"]),
    )
    errors = errors or forms.FormErrors()
    return await render(
        request,
        "workspaces/sme.html",
        {
            "available": records is not None,
            "confirm": awaiting_me(records or [], principal.org_id),
            "waiting_supplier": [
                r for r in records or [] if r.get("status") == "submitted" and r.get("drafted_by") == "sme"
            ],
            "aftercare": in_aftercare(records or [], date.today()),
            "factories": factories,
            "choices": [v for v in choices if v["id"] not in active],
            "names": {v["id"]: v["name"] for v in vendors},
            "consents": consents or [],
            "consents_available": consents is not None,
            "severities": SEVERITIES,
            "form": form or {},
            "errors": errors,
            "which": which,
            "tokens": forms.hidden_fields(request),
            "done": request.query_params.get("done"),
            "repeated": request.query_params.get("repeated") == "1",
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME, response_class=HTMLResponse)
async def sme_home(request: Request, who: SmeDesk) -> Response:
    return await _home(request, *who)


class Answer(BaseModel):
    """The SME's answer to a record naming it: confirm, or dispute (send back) with a comment. Confirming
    a record a supplier filed without a factory names one of the SME's own (the API checks it is)."""

    action: Literal["confirm", "return"]
    comment: str | None = Field(default=None, max_length=2000)
    factory_id: str | None = Field(default=None, max_length=64)
    version: str | None = None


class TicketForm(BaseModel):
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    severity: Literal["critical", "major", "minor"]


class ConsentForm(BaseModel):
    supplier: str = Field(max_length=64)


async def _post(
    request: Request,
    who: SmeDesk,
    model: type[forms.M],
    send: Callable[[PortalApi, forms.M], Awaitable[httpx.Response]],
    done: str,
    which: str,
) -> Response:
    """One SME form: ``send(api, values)`` makes the API call; the page again on a refusal."""
    principal, api = who

    async def call(values: forms.M) -> httpx.Response:
        return await send(api, values)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _home(request, principal, api, form, errors, which)

    return await forms.handle(
        request, model=model, call=call, done=lambda _: f"{HOME}?done={done}", again=again, page=HOME
    )


@router.post(HOME + "/records/{record_id}", response_class=HTMLResponse)
async def answer_record(request: Request, record_id: str, who: SmeDesk) -> Response:
    async def send(api: PortalApi, answer: Answer) -> httpx.Response:
        path, body = f"/{record_id}/{answer.action}", {"comment": answer.comment}
        if answer.action == "confirm" and answer.factory_id:
            body["factory_id"] = answer.factory_id
        return await api.send("POST", "deployments", path, body, headers=forms.if_match(answer.version))

    action = (await request.form()).get("action")
    done = "dispute" if action == "return" else "confirm"
    return await _post(request, who, Answer, send, done, f"record-{record_id}")


@router.post(HOME + "/records/{record_id}/tickets", response_class=HTMLResponse)
async def open_ticket(request: Request, record_id: str, who: SmeDesk) -> Response:
    async def send(api: PortalApi, ticket: TicketForm) -> httpx.Response:
        return await api.send("POST", "deployments", f"/{record_id}/tickets", ticket.model_dump())

    return await _post(request, who, TicketForm, send, "ticket", f"ticket-{record_id}")


@router.post(HOME + "/consents", response_class=HTMLResponse)
async def grant(request: Request, who: SmeDesk) -> Response:
    async def send(api: PortalApi, consent: ConsentForm) -> httpx.Response:
        body = {"grantee_org_id": consent.supplier, "scope": "deployments"}
        return await api.send("POST", "identity", "/consents", body)

    return await _post(request, who, ConsentForm, send, "grant", "consent")


class NoFields(BaseModel):
    pass


@router.post(HOME + "/consents/{consent_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, consent_id: str, who: SmeDesk) -> Response:
    async def send(api: PortalApi, _: NoFields) -> httpx.Response:
        return await api.send("DELETE", "identity", f"/consents/{consent_id}")

    return await _post(request, who, NoFields, send, "revoke", "consent")
