"""The ministry's public page (목표 현황): the plan's targets and how far the platform's figures have come —
designated specialist companies (500 by 2027), global ones (200), key equipment types standardised (500),
the SMEs' technology level (+5 % from 74.9) — by region and by the 4×14 taxonomy with the 7 strategic
fields marked, and the CSV of the same figures.

Every figure is the companies service's ``/dashboard/targets`` answer as the public sees it (read through
the portal's shared public cache): this page computes no figure of its own. Counts are as of today; the
technology level is the one figure recorded year by year, so it alone is drawn over time.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from platform_api.portal.pages import public_api
from platform_api.portal.render import render
from services.kit import reference as ref

router = APIRouter(include_in_schema=False)

PATH = "/targets"
CSV = "/api/v1/companies/dashboard/targets.csv"


def by_key(target: dict[str, Any], part: str) -> dict[str, int]:
    return {row["key"]: int(row["count"]) for row in target.get(part) or []}


@router.get(PATH, response_class=HTMLResponse)
async def targets_page(request: Request) -> HTMLResponse:
    answer = await public_api(request).maybe("companies", "/dashboard/targets")
    targets = (answer or {}).get("targets") or []
    omitted = (answer or {}).get("omitted") or {}  # the API says which breakdowns do not exist
    regional = [t for t in targets if f"{t['code']}.by_region" not in omitted]
    return await render(
        request,
        "workspaces/ministry.html",
        {
            "answer": answer,
            "targets": targets,
            "regional": regional,
            "regions": [
                {"code": r.code, "counts": [by_key(t, "by_region").get(r.code, 0) for t in regional]}
                for r in ref.REGIONS
            ],
            "areas": [
                {
                    "area": area,
                    "subfields": [
                        {"code": s.code, "counts": [by_key(t, "by_subfield").get(s.code, 0) for t in targets]}
                        for s in ref.SUBFIELDS
                        if s.area == area.code
                    ],
                }
                for area in ref.AREAS
            ],
            "tech": (answer or {}).get("tech_level"),
            "csv": CSV,
        },
    )
