"""The regional AI centre's (지역 특화 제조AI센터) dashboard for its staff: the region's AI cases, deployment
records and their measured KPIs, designated companies, data uploaded per month, and the telemetry KPI
benchmarks of the centre's main industries within its regions.

Centre staff are agency principals whose ``regions`` claim names a centre's regions
(``services.companies.centres``): the centres shown are the companies API's ``/regional-centres/mine`` for
the visitor's token, and the figures its centre dashboard with the public lists of the centre's regions.
The page computes no figure of its own beyond summing the centre's regions per month for the chart. A
benchmark cell the analytics service withheld under its disclosure rule stays withheld here and says
which rule withheld it; it is never shown as zero, and no withheld figure reaches the page.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from platform_api.portal import charts
from platform_api.portal.api import PortalApi
from platform_api.portal.labels import Labels
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import AgencyDesk
from services.kit import reference as ref

router = APIRouter(include_in_schema=False)

HOME = "/me/region"
LATEST_CASES = 5
# The period's days are days in Korea: a day starts at midnight KST, the last day is included.
KST = timezone(timedelta(hours=9))
Answer = dict[str, Any]


class Period(BaseModel):
    """The period form (``from``, ``to``: days); the companies API checks the period itself."""

    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")

    def params(self) -> dict[str, str]:
        """The dashboard's ``from`` and ``to``: the first day's midnight, the day after the last's."""
        bounds = {
            "from": datetime.combine(self.start, time(), KST) if self.start else None,
            "to": datetime.combine(self.end + timedelta(days=1), time(), KST) if self.end else None,
        }
        return {name: moment.isoformat() for name, moment in bounds.items() if moment is not None}


def shown_period(dashboard: Answer) -> tuple[date, date]:
    """The dashboard's period as the days it covers in Korea (its end is the midnight after the last)."""
    start = datetime.fromisoformat(dashboard["period_start"]).astimezone(KST)
    end = datetime.fromisoformat(dashboard["period_end"]).astimezone(KST) - timedelta(microseconds=1)
    return start.date(), end.date()


def monthly(uploads: list[Answer]) -> list[Answer]:
    """The centre's regions summed per month: readings, factories and equipment (a factory lies in one
    region, so the sums count no factory twice)."""
    months: dict[str, Answer] = defaultdict(lambda: {"readings": 0, "factories": 0, "equipment": 0})
    for row in uploads:
        for figure in ("readings", "factories", "equipment"):
            months[row["month"]][figure] += int(row[figure])
    return [{"month": month, **months[month]} for month in sorted(months)]


def benchmark_cells(dashboard: Answer) -> list[Answer]:
    """Per KPI, the published region x industry groups and the withheld ones, in region then industry
    order; a withheld cell carries no figure."""
    shown: dict[tuple[str, str, str], Answer] = {
        (b["kpi"], b["region"], b["industry"]): b for b in dashboard.get("telemetry_benchmarks") or []
    }
    withheld = dashboard.get("telemetry_benchmarks_withheld") or {}
    kpis = list(dict.fromkeys([*(key[0] for key in shown), *withheld]))
    cells = []
    for kpi in kpis:
        keys = [key[1:] for key in shown if key[0] == kpi]
        keys += [tuple(group.split("/", 1)) for group in withheld.get(kpi, [])]
        for region_code, industry in sorted(keys):
            cells.append({"kpi": kpi, "region": region_code, "industry": industry,
                          "figures": shown.get((kpi, region_code, industry))})  # fmt: skip
    return cells


async def _region_lists(api: PortalApi, regions: list[str]) -> dict[str, Any]:
    """The public lists of the centre's regions: record facets, latest cases, designated companies."""

    async def of(code: str) -> tuple[Any, Any, Any]:
        return await asyncio.gather(
            api.maybe("deployments", "/facets", {"region": code}),
            api.maybe("usecases", "", {"region": code, "sort": "newest", "limit": LATEST_CASES}),
            api.all_or_none("companies", "", {"region": code, "designated": "true"}),
        )

    found = await asyncio.gather(*(of(code) for code in regions))
    return {
        "facets": {code: f for code, (f, _, _) in zip(regions, found, strict=True)},
        "cases": [c for _, cases, _ in found for c in (cases or {}).get("items") or []],
        "designated": [c for _, _, companies in found for c in companies or []],
        "available": all(f is not None and d is not None for f, _, d in found),
    }


def _measured(facets: Answer | None) -> int | None:
    """Published records of a region with a KPI measured from telemetry (None: the API did not answer)."""
    if facets is None:
        return None
    return next((int(e["count"]) for e in facets.get("evidence") or [] if e["key"] == "telemetry"), 0)


@router.get(HOME, response_class=HTMLResponse)
async def region_home(request: Request, who: AgencyDesk) -> Response:
    principal, api = who
    lang = chosen_lang(request)
    form = {k: v for k in ("from", "to") if (v := request.query_params.get(k, "").strip())}
    period, errors = forms.checked(Period, form, lang)
    centres = await api.maybe("companies", "/regional-centres/mine")
    asked = request.query_params.get("centre")
    centre = next((c for c in centres or [] if c["id"] == asked), (centres or [None])[0])
    dashboard: Answer | None = None
    if centre is not None and period is not None:
        path = f"/regional-centres/{centre['id']}/dashboard"
        dashboard, errors = await forms.filtered(request, api, "companies", path, period.params())
    covered = [code for code in (centre or {}).get("regions", []) if principal.covers_region(code)]
    lists = await _region_lists(api, covered) if centre is not None else None
    months = monthly((dashboard or {}).get("uploads") or [])
    labels = Labels(lang)
    chart = charts.bars(
        [
            charts.Bar(m["month"], m["readings"], message("rg_factories_n", lang, n=m["factories"]))
            for m in months
        ],
        title=message("rg_uploads_chart", lang, centre=labels.text(centre["name"]) if centre else ""),
    )
    return await render(
        request,
        "workspaces/region.html",
        {
            "centres": centres,
            "centre": centre,
            "covered": covered,
            "dashboard": dashboard,
            "period": shown_period(dashboard) if dashboard else None,
            "lists": lists,
            "months": months,
            "chart": chart if months else None,
            "cells": benchmark_cells(dashboard or {}),
            "kinds": [k.value for k in ref.KpiKind],
            "measured": {code: _measured((lists or {}).get("facets", {}).get(code)) for code in covered},
            "form": form,
            "errors": errors,
        },
        status=errors.status if errors else 200,
    )
