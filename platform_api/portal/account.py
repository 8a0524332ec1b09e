"""The signed-in views: the landing that sends each role home, and an SME's factory dashboard.

Each page reads with the visitor's own token, so it shows exactly what the APIs let that person see;
a section whose API is missing or refuses is shown as unavailable rather than failing the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from platform_api.portal import charts, telemetry, workspaces
from platform_api.portal.api import PortalApi, SignedOut
from platform_api.portal.auth import signed_in
from platform_api.portal.labels import Labels
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.pages import before_after_chart, model_names
from platform_api.portal.render import render
from platform_api.portal.workspaces.guard import FactoryDesk, to_login
from services.kit.errors import NotFound
from services.kit.principal import Principal, Role

router = APIRouter(include_in_schema=False)

MAX_FACTORIES = 5


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
        return to_login("/me")
    home = workspaces.home_of(principal)
    if home is not None:
        return RedirectResponse(home, status_code=303)
    if Role.SME in principal.roles:
        return RedirectResponse("/me/dashboard", status_code=303)
    return await render(request, "me.html", {})


@router.get("/me/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, who: FactoryDesk) -> Response:
    lang = chosen_lang(request)
    return await _dashboard(request, *who, lang, Labels(lang))


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
async def dashboard_part(request: Request, factory_id: str, part: str, who: FactoryDesk) -> Response:
    """One lake chart of the dashboard, fetched by the page (``?partial=1``) or opened on its own; signed
    out while drawing it, the visitor comes back to the whole dashboard."""
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
        return to_login("/me/dashboard")
    return await render(
        request,
        "dashboard_part.html",
        {"chart": drawn, "part": part, "factory": factory, "partial": request.query_params.get("partial")},
    )


@router.get("/me/dashboard/{factory_id}/{part}/csv")
async def dashboard_part_csv(request: Request, factory_id: str, part: str, who: FactoryDesk) -> Response:
    """What one part of the dashboard shows, for the same period and equipment, as a CSV file."""
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
        return to_login("/me/dashboard")
    # A byte-order mark, so that a spreadsheet opens the Korean names as UTF-8.
    return Response(
        "\ufeff" + telemetry.as_csv(found, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{factory_id}-{part}.csv"'},
    )
