"""The supplier's application for specialist designation (전문기업 지정): the diagnosis inputs it declares
(the indicators of the current diagnosis model whose source is the company), its fields of expertise and
the evidence documents behind each declaration; then the application's course (submitted, under
evaluation, evaluated, decided) with the committee's decision and reasons. An application the operator
returned for completion shows the operator's note and the same form, filled with what was declared, to
complete and resubmit.

Invariants:
- The form asks what the companies API takes, named as its body (``declared.patents``,
  ``evidence[0].title``), so the API's ``fields[].loc`` lands beside its field; the indicators offered are
  the diagnosis model's, read from the API, never a list of the portal's.
- The API decides: a second application while one is under way is refused there (409), shown here in
  words; the portal's one-time submit token only keeps a double click from sending it twice.
- The figures the platform computes (deployments, KPIs) are not asked: the API reads them at application.
- A resubmission replaces the declaration as a whole (the API's ``resubmit`` takes the application's body),
  so the form starts from the returned application's fields, figures and evidence, never from blanks.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import Desk, SupplierDesk
from platform_api.portal.workspaces.vendor_cases import as_number
from services.companies.repository import OPEN_STATUSES
from services.kit import reference as ref

router = APIRouter(include_in_schema=False)

HOME = "/me/vendor/designation"
EVIDENCE_ROWS = 5
MAX_EVIDENCE_ROWS = 50
EVIDENCE_PARTS = ("indicator", "title", "uri", "issued_on")
_EVIDENCE_ROW = re.compile(r"evidence\[(\d{1,3})\]\.")
WHOLE = {"fields": "vd_fields", "declared": "vd_declared", "evidence": "vd_evidence"}


def declared_indicators(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The indicators of the current diagnosis model that the company declares."""
    current = next((m for m in models if m.get("current")), models[-1] if models else None)
    return [i for i in (current or {}).get("indicators") or [] if i.get("source") == "declared"]


def evidence_rows(form: dict[str, str]) -> int:
    """Rows of the evidence table: at least ``EVIDENCE_ROWS``, and every row a filled form carries (a
    returned application may hold more documents than the blank form's rows)."""
    posted = [int(m.group(1)) for name in form if (m := _EVIDENCE_ROW.match(name))]
    return min(max([EVIDENCE_ROWS, *(i + 1 for i in posted)]), MAX_EVIDENCE_ROWS)


def application_body(form: dict[str, str], fields: list[str]) -> dict[str, Any]:
    declared = {
        name.removeprefix("declared."): as_number(value.strip())
        for name, value in form.items()
        if name.startswith("declared.") and value.strip()
    }
    evidence = []
    for i in range(evidence_rows(form)):
        row = {k: form.get(f"evidence[{i}].{k}", "").strip() for k in EVIDENCE_PARTS}
        if any(row.values()):
            evidence.append({k: v or None for k, v in row.items()})
    return {"fields": fields, "declared": declared, "evidence": evidence}


def form_field(name: str) -> str:
    """The form's names are the body's (``declared.patents``) but for a field of expertise
    (``fields[1]``): the fields picker's."""
    return re.sub(r"^fields\[\d+\]$", "fields", name)


def field_label(name: str, lang: str, indicators: dict[str, dict[str, Any]]) -> str:
    """``declared.patents`` → the indicator's name; ``evidence[1].title`` → "증빙 2 · 문서명"."""
    if name.startswith("declared."):
        code = name.removeprefix("declared.")
        named = (indicators.get(code) or {}).get("name") or {}
        return str(named.get(lang) or named.get("ko") or code)
    row = re.fullmatch(r"evidence\[(\d+)\](?:\.(\w+))?", name)
    if row:
        label = message("vd_evidence_n", lang, n=int(row.group(1)) + 1)
        return f"{label} · {message('vd_evidence_' + row.group(2), lang)}" if row.group(2) else label
    return message(WHOLE[name], lang) if name in WHOLE else name


def form_of(application: dict[str, Any]) -> dict[str, str]:
    """A returned application as the form's fields, to be completed (whole numbers without a ".0")."""
    form = {
        f"declared.{code}": str(int(value)) if float(value).is_integer() else str(value)
        for code, value in (application.get("declared") or {}).items()
    }
    for i, document in enumerate(application.get("evidence") or []):
        form |= {f"evidence[{i}].{k}": str(document.get(k) or "") for k in EVIDENCE_PARTS}
    return form


def return_note(application: dict[str, Any]) -> str | None:
    """What the operator wrote when it last returned the application."""
    returns = [e for e in application.get("events") or [] if e.get("action") == "returned"]
    return returns[-1].get("reason") if returns else None


async def _page(
    request: Request,
    who: Desk,
    form: dict[str, str] | None = None,
    picked: list[str] | None = None,
    answer: httpx.Response | None = None,
) -> Response:
    api, org = who.api, str(who.principal.org_id)
    lang = chosen_lang(request)
    indicators = declared_indicators(await api.maybe("companies", "/diagnosis-model") or [])
    errors = forms.FormErrors()
    if answer is not None:
        errors = forms.refusal(request, answer, form_field, conflict="vd_conflict")
        by_code = {i["code"]: i for i in indicators}
        errors.labels = {name: field_label(name, lang, by_code) for name in errors.fields}
    applications = await api.all_or_none("companies", f"/{org}/designations")
    returned = next((a for a in applications or [] if a["status"] == "returned"), None)
    if returned is not None and form is None:
        form, picked = form_of(returned), list(returned.get("fields") or [])
    return await render(
        request,
        "workspaces/vendor_designation.html",
        {
            "company": await api.maybe("companies", f"/{org}"),
            "applications": sorted(applications or [], key=lambda a: str(a["created_at"]), reverse=True),
            "available": applications is not None,
            # Applications still before the committee: the API takes no new one while one is open.
            "open": [a for a in applications or [] if a["status"] in OPEN_STATUSES],
            "returned": returned,
            "return_note": return_note,
            "indicators": indicators,
            "subfields": ref.SUBFIELDS,
            "picked": set(picked or []),
            "evidence_rows": range(evidence_rows(form or {})),
            "done": request.query_params.get("done"),
            **forms.form_state(request, form or {}, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME, response_class=HTMLResponse)
async def designation_page(request: Request, who: SupplierDesk) -> Response:
    return await _page(request, who)


async def _declare(request: Request, who: Desk, path: str, done: str) -> Response:
    """The application form posted to the companies API at ``path`` (an application, or a resubmission)."""
    try:
        post = await forms.posted(request)
    except forms.Refused as refused:
        return await forms.refused_page(request, refused, HOME)
    if post.repeated:
        return RedirectResponse(f"{HOME}?repeated=1", status_code=303)
    picked = [str(f) for f in (await request.form()).getlist("fields") if str(f)]
    body = application_body(post.fields, picked)
    answer = await who.api.send("POST", "companies", path, body)
    if answer.status_code < 300:
        return RedirectResponse(f"{HOME}?done={done}", status_code=303)
    post.give_back(request)
    return await _page(request, who, post.fields, picked, answer)


@router.post(HOME, response_class=HTMLResponse)
async def apply(request: Request, who: SupplierDesk) -> Response:
    return await _declare(request, who, f"/{who.principal.org_id}/designations", "applied")


@router.post(HOME + "/{application_id}/resubmit", response_class=HTMLResponse)
async def resubmit(request: Request, application_id: str, who: SupplierDesk) -> Response:
    path = f"/{who.principal.org_id}/designations/{application_id}/resubmit"
    return await _declare(request, who, path, "resubmitted")
