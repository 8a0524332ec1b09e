"""The charts of an SME's dashboard drawn from the lake: telemetry, KPIs per day, and the peer benchmark.

Lake queries take seconds, so the dashboard page loads without them and fetches each chart as a fragment
(``/me/dashboard/{factory}/{part}``). The period shown is the last ``WINDOW_DAYS`` days, or, for a factory
whose gateway has gone quiet (the demo data is from the past), the ``WINDOW_DAYS`` days from its first
reading; the answer is kept ``WINDOW_TTL_S`` seconds per factory so the three charts agree and ask once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from platform_api.portal import charts
from platform_api.portal.api import PortalApi
from platform_api.portal.labels import Labels
from platform_api.portal.messages import message

WINDOW_DAYS = 30
WINDOW_TTL_S = 300.0
PARTS = ("telemetry", "kpis", "peers", "rank")
RANKED_KPIS = ("oee", "availability", "quality")
KPI_LINES = ("oee", "availability", "quality")


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def points(rows: list[dict[str, Any]], field: str) -> list[tuple[datetime, float]]:
    """(time, value) of rows that carry the field: series and benchmark buckets, or KPI periods."""
    found = []
    for row in rows:
        when = _when(row.get("bucket") or row.get("start"))
        value = row.get(field) if field in row else (row.get("values") or {}).get(field)
        if when is not None and isinstance(value, int | float):
            found.append((when, float(value)))
    return found


def _span(end: datetime) -> dict[str, str]:
    return {"from": (end - timedelta(days=WINDOW_DAYS)).isoformat(), "to": end.isoformat()}


async def window(api: PortalApi, factory_id: str, item_id: str) -> dict[str, str] | None:
    """The period the charts show, or None when the factory has no readings at all."""
    found, known = api.recall(("window", factory_id))
    if found:
        return known
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    recent = _span(now)
    series = await api.maybe(
        "analytics", "/series", {"item_id": item_id, "factory_id": factory_id, **recent, "bucket": "1d"}
    )
    chosen: dict[str, str] | None = recent
    if not (series or {}).get("items"):
        first = await api.maybe("analytics", "/readings", {"factory_id": factory_id, "limit": 1})
        start = _when(((first or {}).get("items") or [{}])[0].get("ts"))
        if start is None:
            chosen = None
        else:
            day = start.replace(hour=0, minute=0, second=0, microsecond=0)
            chosen = {"from": day.isoformat(), "to": (day + timedelta(days=WINDOW_DAYS)).isoformat()}
    api.remember(("window", factory_id), chosen, WINDOW_TTL_S)
    return chosen


async def sampled_item(api: PortalApi, factory: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The first numeric sampled item of the factory's first equipment model: what its charts show."""
    for equipment in factory.get("equipment") or []:
        model_id, version = equipment.get("model_id"), equipment.get("model_version")
        detail = await api.maybe("standards", f"/{model_id}/versions/{version}")
        for item in (detail or {}).get("items") or []:
            if item.get("category") == "SAMPLE" and item.get("data_type") in ("float", "int"):
                return str(model_id), item
    return None


async def chart(api: PortalApi, factory: dict[str, Any], part: str, lang: str) -> Markup | None:
    """One chart of the factory's dashboard, or None when the lake has nothing for it."""
    labels = Labels(lang)
    chosen = await sampled_item(api, factory)
    if chosen is None:
        return None
    model_id, item = chosen
    fid, item_id, unit = factory["id"], str(item["id"]), str(item.get("unit") or "")
    span = await window(api, fid, item_id)
    if span is None:
        return None
    item_name = labels.text(item.get("name")) or item_id
    if part == "rank":
        return await _rank(api, fid, span, labels)
    if part == "telemetry":
        series = await api.maybe(
            "analytics", "/series", {"item_id": item_id, "factory_id": fid, **span, "bucket": "6h"}
        )
        line = points((series or {}).get("items") or [], "mean")
        return charts.lines([charts.Line(item_name, line)], title=item_name, unit=unit) if line else None
    if part == "kpis":
        kpis = await api.maybe("analytics", "/kpis", {"factory_id": fid, **span, "bucket": "day"})
        rows = (kpis or {}).get("items") or []
        lines = [charts.Line(labels("kpi", k), points(rows, k)) for k in KPI_LINES]
        if not any(line.points for line in lines):
            return None
        return charts.lines(lines, title=message("kpis", lang), unit="%")
    bench = await api.maybe(
        "analytics", "/benchmarks", {"model_id": model_id, "item_id": item_id, **span, "bucket": "1d"}
    )
    peers = points((bench or {}).get("items") or [], "median")
    if not peers:
        return None
    daily = await api.maybe(
        "analytics", "/series", {"item_id": item_id, "factory_id": fid, **span, "bucket": "1d"}
    )
    mine = points((daily or {}).get("items") or [], "median")
    return charts.lines(
        [charts.Line(message("my_median", lang), mine), charts.Line(message("peers", lang), peers)],
        title=f"{message('peer_benchmark', lang)} — {item_name}",
        unit=unit,
    )


async def _rank(api: PortalApi, factory_id: str, span: dict[str, str], labels: Labels) -> Markup | None:
    """The factory's KPIs against the mean of all peer factories, with its percentile rank, as a table."""
    answers = await asyncio.gather(
        *(
            api.maybe("analytics", "/kpis/peers", {"factory_id": factory_id, "kpi": kpi, **span})
            for kpi in RANKED_KPIS
        )
    )
    lang = labels.lang
    rows = [
        (labels("kpi", kpi), answer)
        for kpi, answer in zip(RANKED_KPIS, answers, strict=True)
        if answer and not answer.get("suppressed") and answer.get("value") is not None
    ]
    if not rows:
        return None
    head = "".join(
        f'<th scope="col">{escape(message(key, lang))}</th>'
        for key in ("kpi", "mine", "peer_mean", "percentile")
    )
    body = "".join(
        f'<tr><th scope="row">{escape(name)}</th>'
        f'<td class="n">{escape(charts.quantity(a["value"], a.get("unit")))}</td>'
        f'<td class="n">{escape(charts.quantity(a.get("mean"), a.get("unit")))} ({a.get("peers")})</td>'
        f'<td class="n">{escape(charts.number(a.get("percentile_rank")))}</td></tr>'
        for name, a in rows
    )
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
