"""Runnable cases in the portal: the case page's model section with its "apply to my factory" form, and the
SME dashboard's predictions (a part the dashboard loads after itself, so it never slows the page).

Everything is read and done with the visitor's own token: the form lists the visitor's equipment of the
model's equipment model (the companies API), the apply is the analytics API's ``POST /ai-runs``, and the
predictions are what ``/ai-predictions`` shows that organisation (never another's).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from platform_api.portal import charts
from platform_api.portal.api import PortalApi, SignedOut
from platform_api.portal.auth import signed_in
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from services.kit.principal import Principal, Role

router = APIRouter(include_in_schema=False)
SUBSCRIPTIONS_SHOWN = 4  # the dashboard's latest applied cases, one chart each


def _sme(principal: Principal | None) -> bool:
    return principal is not None and Role.SME in principal.roles and bool(principal.org_id)


async def case_model(request: Request, api: PortalApi, case_id: str) -> dict[str, Any] | None:
    """The case page's model section: the model's signature and, for a signed-in SME, the equipment of its
    factories that the model can read (None: not a signed-in SME)."""
    model = await api.maybe("usecases", f"/{case_id}/model")
    if model is None:
        return None
    principal = await signed_in(request)
    targets = None
    if _sme(principal):
        mine = PortalApi(request, principal)
        factories = await mine.all_or_none("companies", f"/{principal.org_id}/factories") or []  # type: ignore[union-attr]
        wanted = model["signature"]["model_id"]
        targets = [
            {
                "value": f"{f['id']}/{e['equipment_id']}",
                "factory": f["name"],
                "equipment": e.get("name") or e["equipment_id"],
            }
            for f in factories
            for e in f.get("equipment") or []
            if e.get("model_id") == wanted
        ]
    return {"model": model, "targets": targets, "tokens": forms.hidden_fields(request) if targets else None}


@router.post("/cases/{case_id}/apply", response_class=HTMLResponse)
async def apply_case(request: Request, case_id: str) -> Response:
    principal = await signed_in(request)
    back = f"/cases/{case_id}"
    if not _sme(principal):
        return RedirectResponse(f"/login?next={back}", status_code=303)
    try:
        form = await forms.posted(request)
    except forms.Refused as refused:
        return await forms.refused_page(request, refused, back)
    if form.repeated:
        return RedirectResponse("/me/dashboard#predictions", status_code=303)
    factory_id, _, equipment_id = form.fields.get("target", "").partition("/")
    body = {"case_id": case_id, "factory_id": factory_id, "equipment_id": equipment_id}
    try:
        answer = await PortalApi(request, principal).send("POST", "analytics", "/ai-runs", body)
    except SignedOut:
        return RedirectResponse(f"/login?next={back}", status_code=303)
    if answer.status_code >= 300:
        form.give_back(request)
        errors = forms.refusal(request, answer)
        return await render(
            request, "case_apply_refused.html", {"errors": errors, "back": back}, status=errors.status
        )
    return RedirectResponse("/me/dashboard?applied=1#predictions", status_code=303)


async def predictions(api: PortalApi, org_id: str, lang: str) -> list[dict[str, Any]]:
    """The organisation's latest applied cases with their predictions as a chart, the case's explanation
    (its summary) beside; the newest run of each (case, equipment) says how the last scoring went."""
    runs = await api.maybe("analytics", "/ai-runs", {"limit": 50})
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for run in (runs or {}).get("items") or []:
        latest.setdefault((run["case_id"], run["factory_id"], run["equipment_id"]), run)
    shown = []
    for (case_id, factory_id, equipment_id), run in list(latest.items())[:SUBSCRIPTIONS_SHOWN]:
        case = await api.maybe("usecases", f"/{case_id}")
        model = await api.maybe("usecases", f"/{case_id}/model")
        series = await api.maybe(
            "analytics",
            "/ai-predictions",
            {"case_id": case_id, "factory_id": factory_id, "equipment_id": equipment_id},
        )
        points = (series or {}).get("points") or []
        outputs = {o["name"]: o for o in ((model or {}).get("signature") or {}).get("outputs") or []}
        lines = []
        for name, output in outputs.items():
            if output["kind"] == "class":
                continue
            line = [
                (datetime.fromisoformat(p["window_start"]), float(p["value"]))
                for p in points
                if p["output"] == name and p["value"] is not None
            ]
            if line:
                lines.append((charts.Line(name, line), output.get("unit") or ""))
        flagged = [p for p in points if p["output"] in outputs and outputs[p["output"]]["kind"] == "class"]
        title = message("ai_predictions_of", lang, equipment=equipment_id)
        shown.append(
            {
                "case": case,
                "case_id": case_id,
                "factory_id": factory_id,
                "equipment_id": equipment_id,
                "run": run,
                "windows": len({p["window_start"] for p in points}),
                "chart": charts.lines([line for line, _ in lines], title=title, unit=lines[0][1])
                if lines
                else None,
                "label_counts": sorted(Counter(str(p["label"]) for p in flagged).items()),
            }
        )
    return shown


@router.get("/me/predictions", response_class=HTMLResponse)
async def predictions_part(request: Request) -> Response:
    """The dashboard's predictions (``?partial=1`` when the dashboard fetches it), or a page of its own."""
    principal = await signed_in(request)
    if not _sme(principal):
        return RedirectResponse("/login?next=/me/dashboard", status_code=303)
    try:
        shown = await predictions(PortalApi(request, principal), str(principal.org_id), chosen_lang(request))  # type: ignore[union-attr]
    except SignedOut:
        return RedirectResponse("/login?next=/me/dashboard", status_code=303)
    return await render(
        request,
        "dashboard_predictions.html",
        {"shown": shown, "partial": request.query_params.get("partial")},
    )
