"""The operator's (admin) workspace: the standards review queue — a proposed version with its diff against
the version before, approve (publish) or send back with a comment —, the designation committee's decisions
on evaluated applications, and the audit log with its filters.

The queue is what the standards API lists for ``status=proposed`` with the admin's token: a version stays
in it from the vendor's proposal until an operator decides. The portal decides nothing: the review is the
API's ``reviews`` call, which re-checks that the caller is an operator and that the version is still
proposed (a second operator deciding the same version gets the API's 409, explained on the form). The
committee's queue is the companies API's designation queue, the applications whose evaluators have all
submitted (``evaluated``); the decision is its ``decision`` call, which keeps the 70-point rule.

Organisations, their users and gateway clients are the identity API's. A gateway client's secret exists
only in the API's answer to its registration or rotation: the portal shows that answer once, as the POST's
own page (``Cache-Control: no-store``), and keeps it nowhere; sending the same form again is a repeat and
shows the organisation without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any, Literal
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from platform_api.portal.api import PortalApi
from platform_api.portal.messages import chosen_lang
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import OperatorDesk
from services.kit.errors import NotFound

router = APIRouter(include_in_schema=False)

HOME = "/me/operator"
AUDIT = HOME + "/audit"
AUDIT_PAGE = 50
# Audit dates are days in Korea: a day starts at midnight KST.
KST = "+09:00"


async def _queue(api: PortalApi) -> list[dict[str, Any]] | None:
    """(model, version) of every proposed version, by model id; None when the API did not answer."""
    models = await api.all_or_none("standards", "", {"status": "proposed"})
    if models is None:
        return None
    return [
        {"model": model, "version": summary["version"]}
        for model in models
        for summary in model["versions"]
        if summary["status"] == "proposed"
    ]


async def _committee(api: PortalApi) -> list[dict[str, Any]] | None:
    """The applications awaiting the committee (evaluated), by deadline; None when the API did not answer."""
    open_ones = await api.all_or_none("companies", "/designation-queue")
    if open_ones is None:
        return None
    return [entry for entry in open_ones if entry["status"] == "evaluated"]


@router.get(HOME, response_class=HTMLResponse)
async def operator_home(request: Request, who: OperatorDesk) -> Response:
    queue = await _queue(who.api)
    committee = await _committee(who.api)
    done = request.query_params.get("done")
    return await render(
        request,
        "workspaces/operator.html",
        {
            "available": queue is not None,
            "queue": queue or [],
            "committee_available": committee is not None,
            "committee": committee or [],
            "done": done if done in ("approve", "request_changes", "designated", "rejected") else None,
            "done_model": request.query_params.get("model", ""),
            "done_version": request.query_params.get("version", ""),
            "done_company": request.query_params.get("company", ""),
        },
    )


class Decision(BaseModel):
    """The review form: approve (publish) or send back to the vendor, with the comment."""

    decision: Literal["approve", "request_changes"]
    comment: str | None = Field(default=None, max_length=4000)


def _version_path(model_id: str, version: str) -> str:
    return f"/{model_id}/versions/{version}"


async def _review(
    request: Request,
    api: PortalApi,
    model_id: str,
    version: str,
    form: dict[str, str],
    errors: forms.FormErrors,
) -> Response:
    path = _version_path(model_id, version)
    try:
        model = await api.get("standards", f"/{model_id}")
        shown = await api.get("standards", path)
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    diff = await api.maybe("standards", path + "/diff")
    reviews = await api.maybe("standards", path + "/reviews")
    return await render(
        request,
        "workspaces/operator_review.html",
        {
            "model": model,
            "shown": shown,
            "diff": diff,
            "items": {item["id"]: item for item in shown["items"]},
            "reviews": list(reversed(reviews or [])),
            **forms.form_state(request, form, errors),
            "action": f"{HOME}/standards/{model_id}/{version}",
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME + "/standards/{model_id}/{version}", response_class=HTMLResponse)
async def review_page(request: Request, model_id: str, version: str, who: OperatorDesk) -> Response:
    return await _review(request, who.api, model_id, version, {}, forms.FormErrors())


@router.post(HOME + "/standards/{model_id}/{version}", response_class=HTMLResponse)
async def decide(request: Request, model_id: str, version: str, who: OperatorDesk) -> Response:
    api = who.api
    page = f"{HOME}/standards/{model_id}/{version}"

    async def call(decision: Decision) -> httpx.Response:
        body = {"decision": decision.decision, "comment": decision.comment}
        return await api.send("POST", "standards", _version_path(model_id, version) + "/reviews", body)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _review(request, api, model_id, version, form, errors)

    def field(name: str) -> str:
        # The API names the whole body for its one rule across fields (sending back needs a comment):
        # on this form, the field to fill is the comment.
        return "comment" if name == "body" else forms.api_field(name)

    return await forms.handle(
        request,
        model=Decision,
        call=call,
        done=lambda d: f"{HOME}?done={d.decision}&model={model_id}&version={version}",
        again=again,
        page=page,
        field=field,
        conflict="ws_std_conflict",
    )


class Committee(BaseModel):
    """The committee's form: designate or reject, its reasons, and the reason to designate below 70."""

    decision: Literal["designated", "rejected"]
    reason: str | None = Field(default=None, max_length=2000)
    override_reason: str | None = Field(default=None, max_length=2000)


def _application_path(company_id: str, application_id: str) -> str:
    return f"/{company_id}/designations/{application_id}"


async def _application(
    request: Request,
    api: PortalApi,
    company_id: str,
    application_id: str,
    form: dict[str, str],
    errors: forms.FormErrors,
) -> Response:
    try:
        application = await api.get("companies", _application_path(company_id, application_id))
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    return await render(
        request,
        "workspaces/operator_designation.html",
        {
            "application": application,
            "company": await api.maybe("companies", f"/{company_id}"),
            **forms.form_state(request, form, errors),
            "action": f"{HOME}/designations/{company_id}/{application_id}",
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME + "/designations/{company_id}/{application_id}", response_class=HTMLResponse)
async def application_page(
    request: Request, company_id: str, application_id: str, who: OperatorDesk
) -> Response:
    return await _application(request, who.api, company_id, application_id, {}, forms.FormErrors())


@router.post(HOME + "/designations/{company_id}/{application_id}", response_class=HTMLResponse)
async def committee_decision(
    request: Request, company_id: str, application_id: str, who: OperatorDesk
) -> Response:
    api = who.api
    page = f"{HOME}/designations/{company_id}/{application_id}"

    async def call(decision: Committee) -> httpx.Response:
        path = _application_path(company_id, application_id) + "/decision"
        return await api.send("POST", "companies", path, decision.model_dump(exclude_none=True))

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _application(request, api, company_id, application_id, form, errors)

    return await forms.handle(
        request,
        model=Committee,
        call=call,
        done=lambda d: f"{HOME}?done={d.decision}&company={company_id}",
        again=again,
        page=page,
    )


# What the audit log records of a write (the identity API's ``action`` filter).
AUDIT_ACTIONS = ("create", "update", "delete")


class AuditFilters(BaseModel):
    """The audit log's filters as the form sends them; ``since`` and ``until`` are days in Korea, both
    included. The identity API checks them together (an end before the start is its refusal)."""

    actor: str | None = Field(default=None, max_length=255)
    resource_type: str | None = Field(default=None, max_length=64)
    action: Literal["create", "update", "delete"] | None = None
    since: date | None = None
    until: date | None = None
    cursor: str | None = Field(default=None, max_length=500)


def _midnight(day: date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00{KST}" if day else None


@router.get(AUDIT, response_class=HTMLResponse)
async def audit_page(request: Request, who: OperatorDesk) -> Response:
    form = {k: v for k, v in request.query_params.items() if k in AuditFilters.model_fields}
    filters, errors = forms.checked(AuditFilters, form, chosen_lang(request))
    page: dict[str, Any] | None = {"items": [], "next_cursor": None}
    if filters is not None:
        params: dict[str, Any] = {
            "actor": filters.actor,
            "resource_type": filters.resource_type,
            "action": filters.action,
            "since": _midnight(filters.since),
            "until": _midnight(filters.until + timedelta(days=1) if filters.until else None),
            "cursor": filters.cursor,
            "limit": AUDIT_PAGE,
        }
        asked = {k: v for k, v in params.items() if v}
        page, errors = await forms.filtered(request, who.api, "identity", "/audit", asked)
    shown = {k: v for k, v in form.items() if k != "cursor" and v}
    return await render(
        request,
        "workspaces/operator_audit.html",
        {
            "available": page is not None or bool(errors),
            "entries": (page or {}).get("items", []),
            "actions": AUDIT_ACTIONS,
            "next_cursor": (page or {}).get("next_cursor"),
            "form": shown,
            "errors": errors,
        },
        status=errors.status if errors else 200,
    )


ORGS = HOME + "/organisations"


def _org_page(org_id: str) -> str:
    return f"{ORGS}/{quote(org_id, safe='')}"


async def _organisations(
    request: Request, api: PortalApi, form: dict[str, str], errors: forms.FormErrors
) -> Response:
    organisations = await api.all_or_none("identity", "/organisations")
    return await render(
        request,
        "workspaces/operator_organisations.html",
        {
            "available": organisations is not None,
            "organisations": organisations or [],
            **forms.form_state(request, form, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(ORGS, response_class=HTMLResponse)
async def organisations_page(request: Request, who: OperatorDesk) -> Response:
    return await _organisations(request, who.api, {}, forms.FormErrors())


class NewOrganisation(BaseModel):
    id: str = Field(max_length=100)
    kind: Literal["sme", "vendor", "operator"]
    name_ko: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)


@router.post(ORGS, response_class=HTMLResponse)
async def create_organisation(request: Request, who: OperatorDesk) -> Response:
    api = who.api

    async def call(new: NewOrganisation) -> httpx.Response:
        name = {"ko": new.name_ko, **({"en": new.name_en} if new.name_en else {})}
        return await api.send(
            "POST", "identity", "/organisations", {"id": new.id, "kind": new.kind, "name": name}
        )

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _organisations(request, api, form, errors)

    return await forms.handle(
        request,
        model=NewOrganisation,
        call=call,
        done=lambda new: _org_page(new.id) + "?done=created",
        again=again,
        page=ORGS,
    )


async def _organisation(
    request: Request,
    api: PortalApi,
    org_id: str,
    form: dict[str, str],
    errors: forms.FormErrors,
    credentials: dict[str, Any] | None = None,
) -> Response:
    path = f"/organisations/{quote(org_id, safe='')}"
    try:
        organisation = await api.get("identity", path)
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    factories = await api.all_or_none("companies", f"/{quote(org_id, safe='')}/factories")
    done = request.query_params.get("done")
    response = await render(
        request,
        "workspaces/operator_organisation.html",
        {
            "organisation": organisation,
            "users": await api.all_or_none("identity", path + "/users"),
            "gateways": await api.all_or_none("identity", path + "/gateway-clients"),
            "factories": factories or [],
            "credentials": credentials,
            "done": done if done in ("created", "user", "disabled") else None,
            "which": form.get("_form"),
            "labels": forms.FIELD_LABELS,
            **forms.form_state(request, form, errors),
            "page": _org_page(org_id),
        },
        status=errors.status if errors else 200,
    )
    if credentials is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret is not to be kept by the browser
    return response


@router.get(ORGS + "/{org_id}", response_class=HTMLResponse)
async def organisation_page(request: Request, org_id: str, who: OperatorDesk) -> Response:
    return await _organisation(request, who.api, org_id, {}, forms.FormErrors())


class NewUser(BaseModel):
    """The new user form; the API checks the rest (the role against the organisation's kind, the e-mail)."""

    username: str = Field(max_length=63)
    password: str = Field(max_length=128)
    temporary: bool = False
    role: Literal["admin", "sme", "vendor", "public"]
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)


class NewGateway(BaseModel):
    factory_id: str = Field(max_length=100)
    client_id: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=200)


class Nothing(BaseModel):
    """A form with no field of its own (rotate a secret, disable a client): only its tokens."""


async def _org_form(
    request: Request,
    who: OperatorDesk,
    org_id: str,
    model: type[forms.M],
    send: Callable[[PortalApi, forms.M], Awaitable[httpx.Response]],
    *,
    done: str = "",
    secret: bool = False,
) -> Response:
    """One of the organisation page's forms: ``send(api, values)`` makes the API call; a new secret is
    shown once (``secret``), anything else goes back to the page with ``done``."""
    api = who.api
    page = _org_page(org_id)

    async def call(values: forms.M) -> httpx.Response:
        return await send(api, values)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _organisation(request, api, org_id, form, errors)

    async def shown(answer: httpx.Response) -> Response:
        return await _organisation(request, api, org_id, {}, forms.FormErrors(), credentials=answer.json())

    return await forms.handle(
        request,
        model=model,
        call=call,
        done=lambda _: f"{page}?done={done}",
        again=again,
        page=page,
        shown=shown if secret else None,
    )


def _identity_path(org_id: str, rest: str) -> str:
    return f"/organisations/{quote(org_id, safe='')}{rest}"


@router.post(ORGS + "/{org_id}/users", response_class=HTMLResponse)
async def create_user(request: Request, org_id: str, who: OperatorDesk) -> Response:
    async def send(api: PortalApi, user: NewUser) -> httpx.Response:
        return await api.send("POST", "identity", _identity_path(org_id, "/users"), user.model_dump())

    return await _org_form(request, who, org_id, NewUser, send, done="user")


@router.post(ORGS + "/{org_id}/gateways", response_class=HTMLResponse)
async def register_gateway(request: Request, org_id: str, who: OperatorDesk) -> Response:
    async def send(api: PortalApi, gateway: NewGateway) -> httpx.Response:
        body = gateway.model_dump(exclude_none=True)
        return await api.send("POST", "identity", _identity_path(org_id, "/gateway-clients"), body)

    return await _org_form(request, who, org_id, NewGateway, send, secret=True)


@router.post(ORGS + "/{org_id}/gateways/{client_id}/rotate", response_class=HTMLResponse)
async def rotate_secret(request: Request, org_id: str, client_id: str, who: OperatorDesk) -> Response:
    async def send(api: PortalApi, _: Nothing) -> httpx.Response:
        path = _identity_path(org_id, f"/gateway-clients/{quote(client_id, safe='')}/rotate-secret")
        return await api.send("POST", "identity", path)

    return await _org_form(request, who, org_id, Nothing, send, secret=True)


@router.post(ORGS + "/{org_id}/gateways/{client_id}/disable", response_class=HTMLResponse)
async def disable_gateway(request: Request, org_id: str, client_id: str, who: OperatorDesk) -> Response:
    async def send(api: PortalApi, _: Nothing) -> httpx.Response:
        path = _identity_path(org_id, f"/gateway-clients/{quote(client_id, safe='')}/disable")
        return await api.send("POST", "identity", path)

    return await _org_form(request, who, org_id, Nothing, send, done="disabled")
