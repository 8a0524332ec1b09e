"""Figures this service reads from the other services' public APIs (never their tables).

Every read is anonymous on purpose: what a diagnosis or a dashboard counts is what the public sees —
published deployment records, published equipment models, published AI use cases — so a draft or a record
still waiting for verification never raises a score. The regional telemetry figures are the exception:
the analytics service serves them to agency staff only, so they are read with the caller's own token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.kit.clients import ServiceClient

PAGE = 200
# Lists are walked page by page up to this many items; beyond it a figure would need an aggregate API.
MAX_ITEMS = 20_000


async def all_items(
    client: ServiceClient, service: str, path: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(items) < MAX_ITEMS:
        query = {**(params or {}), "limit": PAGE} | ({"cursor": cursor} if cursor else {})
        page = await client.get_json(service, path, params=query)
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return items


async def supplier_figures(client: ServiceClient, company_id: str) -> dict[str, Any]:
    """The platform-sourced inputs of a capability diagnosis (see diagnosis.platform_values)."""
    record = await client.get_json("deployments", f"/suppliers/{company_id}/track-record")
    models = await all_items(client, "standards", "", {"status": "published"})
    cases = await all_items(client, "usecases", "", {"supplier": company_id})
    return {
        "deployment_count": record.get("deployment_count", 0),
        "median_kpi_improvement_pct": record.get("median_kpi_improvement_pct", {}),
        "telemetry_backed_kpis": record.get("telemetry_backed_kpis", 0),
        # After-care tickets of all its records: {"open", "late", "resolved"}.
        "after_care": record.get("aftercare") or {},
        "standards_published": sum(1 for m in models if m.get("owner_org_id") == company_id),
        "ai_cases": len(cases),
    }


# The telemetry KPIs a regional centre's dashboard benchmarks: productivity, availability and quality.
REGION_KPIS = ("oee", "availability", "defect_rate")


async def region_telemetry(
    client: ServiceClient, token: str | None, regions: list[str], start: datetime, end: datetime
) -> dict[str, Any]:
    """Readings uploaded per month in ``regions`` and, per KPI of ``REGION_KPIS``, the analytics service's
    region x industry benchmarks (disclosure control applied there: small or dominated groups never come)."""
    period = {"from": start.isoformat(), "to": end.isoformat()}
    uploads = await client.get_json(
        "analytics", "/uploads", params={"region": regions, **period}, token=token
    )
    benchmarks = {
        kpi: await client.get_json(
            "analytics",
            "/kpis/benchmarks",
            params={"kpi": kpi, "by": ["region", "industry"], **period},
            token=token,
        )
        for kpi in REGION_KPIS
    }
    return {"uploads": uploads["items"], "benchmarks": benchmarks}
