"""The evaluator's (평가위원) workspace: the designation applications assigned to them and nothing else,
a conflict-of-interest declaration (which withdraws the assignment), and the scoring form: each evaluator
indicator with its definition, and beside it the evidence of its area (the declared and platform
indicators the diagnosis read, with the documents the company named).

What an evaluator sees is what the companies API gives their token: ``/evaluators/me/assignments`` and
the applications they are assigned to; another application is a 404 there, and so here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from platform_api.portal.api import PortalApi
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import EvaluatorDesk
from services.kit.errors import NotFound

router = APIRouter(include_in_schema=False)

HOME = "/me/evaluator"
# An application still open to the evaluators' judgements (companies.designation: evaluate).
SCORING = "in_review"


@router.get(HOME, response_class=HTMLResponse)
async def evaluator_home(request: Request, who: EvaluatorDesk) -> Response:
    assigned = await who.api.all_or_none("companies", "/evaluators/me/assignments")
    done = request.query_params.get("done")
    return await render(
        request,
        "workspaces/evaluator.html",
        {
            "available": assigned is not None,
            "assigned": assigned or [],
            "to_score": [a for a in assigned or [] if a.get("status") == SCORING],
            "done": done if done in ("scored", "conflict") else None,
        },
    )


def _application_path(company_id: str, application_id: str) -> str:
    return f"/{company_id}/designations/{application_id}"


def indicator_rows(application: dict[str, Any], model: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each evaluator indicator of the application's model with the other indicators of its area (their
    values, points and evidence documents) beside it."""
    version = application.get("model_version")
    exact = [m for m in model if m["version"] == version]
    chosen = (exact or [m for m in model if m.get("current")] or [{"indicators": []}])[0]
    indicators: list[dict[str, Any]] = chosen["indicators"]
    scored = {i["code"]: i for i in (application.get("diagnosis") or {}).get("indicators") or []}
    documents: dict[str, list[str]] = {}
    for doc in application.get("evidence") or []:
        documents.setdefault(str(doc.get("indicator")), []).append(str(doc.get("title")))
    rows = []
    for judged in (i for i in indicators if i["source"] == "evaluator"):
        beside = [
            {"indicator": i, "score": scored.get(i["code"]), "documents": documents.get(i["code"], [])}
            for i in indicators
            if i["area"] == judged["area"] and i["source"] != "evaluator"
        ]
        rows.append({"indicator": judged, "beside": beside})
    return rows


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
    model = await api.maybe("companies", "/diagnosis-model") or []
    return await render(
        request,
        "workspaces/evaluator_application.html",
        {
            "application": application,
            "company": await api.maybe("companies", f"/{company_id}"),
            "rows": indicator_rows(application, model),
            "scoring": application.get("status") == SCORING,
            "form": form,
            "errors": errors,
            "which": form.get("_form"),
            "tokens": forms.hidden_fields(request),
            "repeated": request.query_params.get("repeated") == "1",
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME + "/{company_id}/{application_id}", response_class=HTMLResponse)
async def application_page(
    request: Request, company_id: str, application_id: str, who: EvaluatorDesk
) -> Response:
    return await _application(request, who.api, company_id, application_id, {}, forms.FormErrors())


class Scores(BaseModel):
    """The scoring form: ``<indicator>.score`` and ``<indicator>.reason`` per evaluator indicator; the
    companies API checks them (which indicators, 0-100, a written reason)."""

    model_config = ConfigDict(extra="allow")


class Conflict(BaseModel):
    reason: str = Field(max_length=2000)


def _judgements(scores: Scores) -> dict[str, dict[str, Any]]:
    """The API's ``judgements`` from the form: a blank score is left out, so it is reported missing."""
    judgements: dict[str, dict[str, Any]] = {}
    for name, value in (scores.model_extra or {}).items():
        code, _, part = str(name).partition(".")
        if part not in ("score", "reason") or not str(value).strip():
            continue
        judgement = judgements.setdefault(code, {})
        judgement[part] = str(value).strip()  # the API reads "80" as the number it is, or names the field
    return judgements


def _form_field(loc: str) -> str:
    """The form field of the API's ``judgements.<code>[.part]``: a judgement missing as a whole is its
    score's to report (where the evaluator starts filling it in)."""
    name = loc.removeprefix("judgements.")
    return name if "." in name or name == loc else f"{name}.score"


def _label(name: str, lang: str, rows: list[dict[str, Any]]) -> str:
    """``judgements.technology_judgement.reason`` → "기술력 평가 · 사유"."""
    code, _, part = name.removeprefix("judgements.").partition(".")
    judged = next((r["indicator"] for r in rows if r["indicator"]["code"] == code), None)
    if judged is None:
        return forms.label_of(name, lang)
    title = judged["name"].get(lang) or judged["name"].get("ko")
    return f"{title} · {message('ws_' + part, lang)}" if part in ("score", "reason") else title


async def _post(
    request: Request,
    who: EvaluatorDesk,
    company_id: str,
    application_id: str,
    model: type[forms.M],
    send: Callable[[PortalApi, forms.M], Awaitable[httpx.Response]],
    done: str,
) -> Response:
    api = who.api
    page = f"{HOME}/{company_id}/{application_id}"

    async def call(values: forms.M) -> httpx.Response:
        return await send(api, values)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        if errors.fields:
            model_rows = indicator_rows(
                await api.get("companies", _application_path(company_id, application_id)),
                await api.maybe("companies", "/diagnosis-model") or [],
            )
            lang = chosen_lang(request)
            errors.fields = {_form_field(k): v for k, v in errors.fields.items()}
            errors.labels = {k: _label(k, lang, model_rows) for k in errors.fields}
        return await _application(request, api, company_id, application_id, form, errors)

    return await forms.handle(
        request, model=model, call=call, done=lambda _: f"{HOME}?done={done}", again=again, page=page
    )


@router.post(HOME + "/{company_id}/{application_id}", response_class=HTMLResponse)
async def score(request: Request, company_id: str, application_id: str, who: EvaluatorDesk) -> Response:
    async def send(api: PortalApi, scores: Scores) -> httpx.Response:
        path = _application_path(company_id, application_id) + "/evaluation"
        return await api.send("PUT", "companies", path, {"judgements": _judgements(scores)})

    return await _post(request, who, company_id, application_id, Scores, send, "scored")


@router.post(HOME + "/{company_id}/{application_id}/conflict", response_class=HTMLResponse)
async def declare_conflict(
    request: Request, company_id: str, application_id: str, who: EvaluatorDesk
) -> Response:
    async def send(api: PortalApi, conflict: Conflict) -> httpx.Response:
        body = {"company_id": company_id, "reason": conflict.reason}
        return await api.send("POST", "companies", "/evaluators/me/conflicts", body)

    return await _post(request, who, company_id, application_id, Conflict, send, "conflict")
