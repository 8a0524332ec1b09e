"""The signed-in views: an SME's factory dashboard, a supplier's page, and the use-case form.

Each page reads with the visitor's own token, so it shows exactly what the APIs let that person see;
a section whose API is missing or refuses is shown as unavailable rather than failing the page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from platform_api.portal import charts, telemetry, workspaces
from platform_api.portal.api import PortalApi, SignedOut
from platform_api.portal.auth import SESSION_COOKIE, signed_in
from platform_api.portal.labels import VOCABULARIES, Labels
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.pages import before_after_chart, model_names
from platform_api.portal.render import render
from services.kit import reference as ref
from services.kit.errors import NotFound
from services.kit.principal import Principal, Role

router = APIRouter(include_in_schema=False)

MAX_FACTORIES = 5
EFFECT_ROWS = 3


def _to_login(path: str) -> RedirectResponse:
    response = RedirectResponse(f"/login?next={path}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _who(request: Request, role: Role) -> tuple[Principal, PortalApi] | Response:
    principal = await signed_in(request)
    if principal is None:
        return _to_login(request.url.path)
    if not principal.has_any(role) or not principal.org_id:
        return RedirectResponse("/me", status_code=303)
    return principal, PortalApi(request, principal)


async def _records(api: PortalApi, public_filter: dict[str, str]) -> list[dict[str, Any]] | None:
    """The deployment records the caller takes part in, in any state (the deployments workspace); the
    published ones only where the service has no workspace."""
    own = await api.all_or_none("deployments", "/workspace")
    if own is not None:
        return own
    return await api.all_or_none("deployments", "", public_filter)


@router.get("/me")
async def me(request: Request) -> Response:
    principal = await signed_in(request)
    if principal is None:
        return _to_login("/me")
    home = workspaces.home_of(principal)
    if home is not None:
        return RedirectResponse(home, status_code=303)
    if Role.SME in principal.roles:
        return RedirectResponse("/me/dashboard", status_code=303)
    if Role.VENDOR in principal.roles:
        return RedirectResponse("/me/vendor", status_code=303)
    return await render(request, "me.html", {})


@router.get("/me/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    who = await _who(request, Role.SME)
    if isinstance(who, Response):
        return who
    principal, api = who
    lang = chosen_lang(request)
    labels = Labels(lang)
    try:
        return await _dashboard(request, principal, api, lang, labels)
    except SignedOut:
        return _to_login("/me/dashboard")


async def _dashboard(
    request: Request, principal: Principal, api: PortalApi, lang: str, labels: Labels
) -> Response:
    org = str(principal.org_id)
    company = await api.maybe("companies", f"/{org}")
    factories = await api.all_or_none("companies", f"/{org}/factories")
    records = await _records(api, {"sme_company_id": org})
    panels = []
    for factory in (factories or [])[:MAX_FACTORIES]:
        dead = await api.maybe("ingest", "/dead-letters", {"factory_id": factory["id"], "limit": 10})
        uploads = await api.maybe("ingest", "/batches", {"factory_id": factory["id"], "limit": 5})
        panels.append(
            {
                "factory": factory,
                "dead": (dead or {}).get("items"),
                "dead_available": dead is not None,
                "uploads": (uploads or {}).get("items"),
                "uploads_available": uploads is not None,
            }
        )
    kpi_pairs = [
        charts.Pair(
            f"{labels('kpi', k.get('kind'))} ({n})",  # (n): the record's number in the list above
            float(k.get("baseline") or 0),
            float(k.get("after") or 0),
            str(k.get("unit") or ""),
            k.get("improvement_pct"),
        )
        for n, r in enumerate(records or [], start=1)
        for k in r.get("kpis") or []
    ]
    view = telemetry.View.of(request.query_params)
    return await render(
        request,
        "dashboard.html",
        {
            "company": company,
            "factories": factories,
            "records": records,
            "panels": panels,
            "parts": telemetry.PARTS,
            "view": view,
            "model_names": await model_names(
                request, (e["model_id"] for f in factories or [] for e in f.get("equipment") or [])
            ),
            "view_query": "&".join(f"{k}={quote(v, safe='')}" for k, v in view.params().items()),
            "periods": telemetry.PERIODS,
            "kpi_chart": before_after_chart(kpi_pairs[:12], message("my_kpis", lang), lang),
        },
    )


@router.get("/me/dashboard/{factory_id}/{part}", response_class=HTMLResponse)
async def dashboard_part(request: Request, factory_id: str, part: str) -> Response:
    """One lake chart of the dashboard, fetched by the page (``?partial=1``) or opened on its own."""
    who = await _who(request, Role.SME)
    if isinstance(who, Response):
        return who
    principal, api = who
    if part not in telemetry.PARTS:
        return await render(request, "not_found.html", {}, status=404)
    try:
        factory = await api.get("companies", f"/{principal.org_id}/factories/{factory_id}")
        drawn = await telemetry.chart(
            api, factory, part, chosen_lang(request), telemetry.View.of(request.query_params)
        )
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    except SignedOut:
        return _to_login("/me/dashboard")
    return await render(
        request,
        "dashboard_part.html",
        {"chart": drawn, "part": part, "factory": factory, "partial": request.query_params.get("partial")},
    )


@router.get("/me/dashboard/{factory_id}/{part}/csv")
async def dashboard_part_csv(request: Request, factory_id: str, part: str) -> Response:
    """What one part of the dashboard shows, for the same period and equipment, as a CSV file."""
    who = await _who(request, Role.SME)
    if isinstance(who, Response):
        return who
    principal, api = who
    if part not in telemetry.PARTS:
        return await render(request, "not_found.html", {}, status=404)
    lang = chosen_lang(request)
    try:
        factory = await api.get("companies", f"/{principal.org_id}/factories/{factory_id}")
        found = await telemetry.figures(api, factory, part, lang, telemetry.View.of(request.query_params))
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    except SignedOut:
        return _to_login("/me/dashboard")
    # A byte-order mark, so that a spreadsheet opens the Korean names as UTF-8.
    return Response(
        "\ufeff" + telemetry.as_csv(found, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{factory_id}-{part}.csv"'},
    )


@router.get("/me/vendor", response_class=HTMLResponse)
async def vendor_page(request: Request) -> Response:
    who = await _who(request, Role.VENDOR)
    if isinstance(who, Response):
        return who
    principal, api = who
    org = str(principal.org_id)
    try:
        company = await api.maybe("companies", f"/{org}")
        records = await _records(api, {"supplier": org})
        cases = await api.all_or_none("usecases", "", {"owner_org_id": org})
        designations = await api.all_or_none("companies", f"/{org}/designations")
    except SignedOut:
        return _to_login("/me/vendor")
    published = request.query_params.get("published")
    return await render(
        request,
        "vendor.html",
        {
            "org": org,
            "company": company,
            "records": records,
            "cases": cases,
            "drafts": [c for c in cases or [] if c.get("status") == "draft"],
            "designations": designations,
            "published": next((c for c in cases or [] if c.get("id") == published), None),
            "created": request.query_params.get("created"),
        },
    )


@router.post("/me/cases/{case_id}/publish")
async def publish_case(request: Request, case_id: str) -> Response:
    who = await _who(request, Role.VENDOR)
    if isinstance(who, Response):
        return who
    _, api = who
    try:
        answer = await api.send("POST", "usecases", f"/{case_id}/publish")
    except SignedOut:
        return _to_login("/me/vendor")
    if answer.status_code >= 300:
        return await render(
            request,
            "vendor_error.html",
            {"error": answer.json(), "case_id": case_id},
            status=answer.status_code,
        )
    return RedirectResponse(f"/me/vendor?published={case_id}", status_code=303)


def _case_body(form: dict[str, str]) -> dict[str, Any]:
    """The API body from the form's fields, named after the body's own paths (``effects[0].before``)."""

    def text(prefix: str) -> dict[str, str]:
        return {lang: form.get(f"{prefix}.{lang}", "").strip() for lang in ("ko", "en")}

    body: dict[str, Any] = {
        "title": text("title"),
        "summary": text("summary"),
        "problem_type": form.get("problem_type") or None,
        "technique": form.get("technique") or None,
        "region_code": form.get("region_code") or None,
        "industry_code": form.get("industry_code") or None,
        "data_used": [d.strip() for d in form.get("data_used", "").split(",") if d.strip()],
        "effects": [],
    }
    for i in range(EFFECT_ROWS):
        row = {k: form.get(f"effects[{i}].{k}", "").strip() for k in ("metric.ko", "metric.en", "unit")}
        numbers = {k: form.get(f"effects[{i}].{k}", "").strip() for k in ("before", "after")}
        if not any(row.values()) and not any(numbers.values()):
            continue
        body["effects"].append(
            {
                "metric": {"ko": row["metric.ko"], "en": row["metric.en"]},
                "unit": row["unit"],
                "before": _number(numbers["before"]),
                "after": _number(numbers["after"]),
                "higher_is_better": form.get(f"effects[{i}].higher_is_better") == "on",
            }
        )
    if form.get("deployment_id", "").strip():
        body["deployment_id"] = form["deployment_id"].strip()
    return body


def _number(value: str) -> float | str | None:
    """A number for the API, or the text as typed so the API names the field that is not one."""
    if not value:
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return value


def _field_errors(answer: dict[str, Any]) -> dict[str, str]:
    """The API's ``fields[].loc`` (``body.effects[0].before``) as form field names (``effects[0].before``)."""
    errors: dict[str, str] = {}
    for entry in answer.get("fields") or []:
        loc = str(entry.get("loc", ""))
        name = loc.removeprefix("body.") if loc.startswith("body.") else loc
        errors.setdefault(name or "_", str(entry.get("msg", "")))
    return errors


def _field_label(name: str, lang: str) -> str:
    """What the form calls a field, for the error summary (``effects[0].before`` → "효과 1 · 도입 전")."""
    effect = re.fullmatch(r"effects\[(\d+)\](?:\.(.+))?", name)
    if effect:
        row = message("effect_n", lang, n=int(effect.group(1)) + 1)
        part = _FIELD_KEYS.get(effect.group(2) or "")
        return f"{row} · {message(part, lang)}" if part else row
    key = _FIELD_KEYS.get(name)
    return message(key, lang) if key else name


_FIELD_KEYS = {
    "title.ko": "title_ko",
    "title.en": "title_en",
    "summary.ko": "summary_ko",
    "summary.en": "summary_en",
    "problem_type": "problem",
    "technique": "technique",
    "region_code": "region",
    "industry_code": "industry",
    "data_used": "data_used",
    "effects": "effects",
    "deployment_id": "deployment_id",
    "metric.ko": "metric_ko",
    "metric.en": "metric_en",
    "unit": "unit",
    "before": "before",
    "after": "after",
}


def _form_context(
    form: dict[str, str], errors: dict[str, str], detail: str | None, lang: str
) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "error_labels": {name: _field_label(name, lang) for name in errors},
        "detail": detail,
        "effect_rows": range(EFFECT_ROWS),
        "problems": list(VOCABULARIES["problem"]),
        "techniques": list(VOCABULARIES["technique"]),
        "regions": [r.code for r in ref.REGIONS],
        "industries": [i.code for i in ref.INDUSTRIES],
    }


@router.get("/me/cases/new", response_class=HTMLResponse)
async def new_case_form(request: Request) -> Response:
    who = await _who(request, Role.VENDOR)
    if isinstance(who, Response):
        return who
    return await render(request, "case_form.html", _form_context({}, {}, None, chosen_lang(request)))


@router.post("/me/cases/new", response_class=HTMLResponse)
async def create_case(request: Request) -> Response:
    who = await _who(request, Role.VENDOR)
    if isinstance(who, Response):
        return who
    _, api = who
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        answer = await api.send("POST", "usecases", "", _case_body(form))
    except SignedOut:
        return _to_login("/me/cases/new")
    if answer.status_code == 201:
        return RedirectResponse(f"/me/vendor?created={answer.json()['id']}", status_code=303)
    body = answer.json()
    errors = _field_errors(body)
    context = _form_context(form, errors, str(body.get("detail", "")), chosen_lang(request))
    return await render(request, "case_form.html", context, status=answer.status_code)
