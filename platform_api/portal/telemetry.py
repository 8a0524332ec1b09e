"""The charts of an SME's dashboard drawn from the lake: telemetry, KPIs per day, and the peer benchmark.

Lake queries take seconds, so the dashboard page loads without them and fetches each chart as a fragment
(``/me/dashboard/{factory}/{part}``). The period shown is the last 7, 30 or 90 days (``View``, 30 unless
chosen), or, for a factory whose gateway has gone quiet (the demo data is from the past), as many days
from its first reading; the answer is kept ``WINDOW_TTL_S`` seconds per factory and period so the charts
agree and ask once. A part is drawn from its ``Figures``, and the same figures are its CSV export, so the
file holds exactly what the chart shows. The telemetry and peer charts draw means (``stats=basic``), which
the hourly rollup answers: the peer chart never reads the other factories' readings.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from platform_api.portal import charts
from platform_api.portal.api import PortalApi
from platform_api.portal.labels import Labels
from platform_api.portal.messages import message

WINDOW_DAYS = 30
PERIODS = (7, 30, 90)  # the dashboard's period choices, in days
WINDOW_TTL_S = 300.0
PARTS = ("telemetry", "kpis", "peers", "rank")
RANKED_KPIS = ("oee", "availability", "quality")
KPI_LINES = ("oee", "availability", "quality")


@dataclass(frozen=True)
class View:
    """What the visitor chose to see: the period in days and the equipment (None: the factory's first)."""

    days: int = WINDOW_DAYS
    equipment_id: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> View:
        """From a URL's ``days`` and ``equipment``; an unknown period is the default one."""
        days = params.get("days", "")
        chosen = int(days) if days.isdigit() and int(days) in PERIODS else WINDOW_DAYS
        return cls(chosen, params.get("equipment") or None)

    def params(self) -> dict[str, str]:
        return {"days": str(self.days)} | ({"equipment": self.equipment_id} if self.equipment_id else {})


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


def _span(end: datetime, days: int) -> dict[str, str]:
    return {"from": (end - timedelta(days=days)).isoformat(), "to": end.isoformat()}


async def window(
    api: PortalApi, factory_id: str, item_id: str, days: int = WINDOW_DAYS
) -> dict[str, str] | None:
    """The period the charts show, or None when the factory has no readings at all."""
    found, known = api.recall(("window", factory_id, days))
    if found:
        return known
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    recent = _span(now, days)
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
            chosen = {"from": day.isoformat(), "to": (day + timedelta(days=days)).isoformat()}
    api.remember(("window", factory_id, days), chosen, WINDOW_TTL_S)
    return chosen


async def sampled_item(
    api: PortalApi, factory: dict[str, Any], equipment_id: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The first numeric sampled item of the chosen equipment's model (by default the factory's first
    equipment that has one): what its charts show."""
    owned = factory.get("equipment") or []
    if equipment_id not in {e.get("equipment_id") for e in owned}:
        equipment_id = None  # another factory's choice: this one shows its default
    for equipment in owned:
        if equipment_id is not None and equipment.get("equipment_id") != equipment_id:
            continue
        model_id, version = equipment.get("model_id"), equipment.get("model_version")
        detail = await api.maybe("standards", f"/{model_id}/versions/{version}")
        for item in (detail or {}).get("items") or []:
            if item.get("category") == "SAMPLE" and item.get("data_type") in ("float", "int"):
                return str(model_id), item
    return None


@dataclass(frozen=True)
class Figures:
    """One part of the dashboard as data: lines over time (a chart) or rows (the rank table)."""

    title: str
    unit: str  # in the words of the page's language
    lines: list[charts.Line] = field(default_factory=list)
    table: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (KPI name, peers answer)


async def figures(
    api: PortalApi, factory: dict[str, Any], part: str, lang: str, view: View
) -> Figures | None:
    """The numbers of one part of the factory's dashboard, or None when the lake has nothing for it."""
    labels = Labels(lang)
    chosen = await sampled_item(api, factory, view.equipment_id)
    if chosen is None:
        return None
    model_id, item = chosen
    fid, item_id, unit = factory["id"], str(item["id"]), labels.unit(str(item.get("unit") or ""))
    span = await window(api, fid, item_id, view.days)
    if span is None:
        return None
    item_name = labels.text(item.get("name")) or item_id
    if part == "rank":
        rows = await _rank(api, fid, span, labels)
        return Figures(message("part_rank", lang), "", table=rows) if rows else None
    if part == "telemetry":
        # the mean is what the chart draws: the hourly rollup answers it (quantiles would read the readings)
        series = await api.maybe(
            "analytics",
            "/series",
            {"item_id": item_id, "factory_id": fid, **span, "bucket": "6h", "stats": "basic"},
        )
        line = points((series or {}).get("items") or [], "mean")
        return Figures(item_name, unit, [charts.Line(item_name, line)]) if line else None
    if part == "kpis":
        kpis = await api.maybe("analytics", "/kpis", {"factory_id": fid, **span, "bucket": "day"})
        days = (kpis or {}).get("items") or []
        lines = [charts.Line(labels("kpi", k), points(days, k)) for k in KPI_LINES]
        if not any(line.points for line in lines):
            return None
        return Figures(message("kpis", lang), "%", lines)
    # daily means on both sides: what the hourly rollup answers without reading the peers' readings
    basic = {"item_id": item_id, **span, "bucket": "1d", "stats": "basic"}
    bench, daily = await asyncio.gather(
        api.maybe("analytics", "/benchmarks", {"model_id": model_id, **basic}),
        api.maybe("analytics", "/series", {"factory_id": fid, **basic}),
    )
    peers = points((bench or {}).get("items") or [], "mean")
    if not peers:
        return None
    mine = points((daily or {}).get("items") or [], "mean")
    return Figures(
        f"{message('peer_benchmark', lang)} — {item_name}",
        unit,
        [charts.Line(message("my_mean", lang), mine), charts.Line(message("peers", lang), peers)],
    )


async def chart(
    api: PortalApi, factory: dict[str, Any], part: str, lang: str, view: View | None = None
) -> Markup | None:
    """One chart of the factory's dashboard, or None when the lake has nothing for it."""
    found = await figures(api, factory, part, lang, view or View())
    if found is None:
        return None
    if found.table:
        return _rank_table(found.table, Labels(lang))
    return charts.lines(found.lines, title=found.title, unit=found.unit)


def as_csv(found: Figures | None, lang: str) -> str:
    """The figures a part shows, as CSV: one row per point (series, time, value, unit) or per ranked KPI."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if found is not None and found.table:
        writer.writerow([message(k, lang) for k in ("kpi", "mine", "peer_mean", "peer_count", "percentile")])
        for name, a in found.table:
            writer.writerow([name, a.get("value"), a.get("mean"), a.get("peers"), a.get("percentile_rank")])
        return out.getvalue()
    writer.writerow([message(k, lang) for k in ("series", "time", "value", "unit")])
    for line in found.lines if found is not None else []:
        for when, value in sorted(line.points):
            writer.writerow([line.name, when.isoformat(), value, found.unit if found else ""])
    return out.getvalue()


async def _rank(
    api: PortalApi, factory_id: str, span: dict[str, str], labels: Labels
) -> list[tuple[str, dict[str, Any]]]:
    """The factory's KPIs against the mean of all peer factories, with its percentile rank."""
    answers = await asyncio.gather(
        *(
            api.maybe("analytics", "/kpis/peers", {"factory_id": factory_id, "kpi": kpi, **span})
            for kpi in RANKED_KPIS
        )
    )
    return [
        (labels("kpi", kpi), answer)
        for kpi, answer in zip(RANKED_KPIS, answers, strict=True)
        if answer and not answer.get("suppressed") and answer.get("value") is not None
    ]


def _rank_table(rows: list[tuple[str, dict[str, Any]]], labels: Labels) -> Markup:
    lang = labels.lang
    head = "".join(
        f'<th scope="col">{escape(message(key, lang))}</th>'
        for key in ("kpi", "mine", "peer_mean", "percentile")
    )
    body = "".join(
        f'<tr><th scope="row">{escape(name)}</th>'
        f'<td class="n">{escape(charts.quantity(a["value"], labels.unit(a.get("unit"))))}</td>'
        f'<td class="n">{escape(charts.quantity(a.get("mean"), labels.unit(a.get("unit"))))} '
        f"({escape(message('peer_n', lang, n=a.get('peers')))})</td>"
        f'<td class="n">{escape(charts.number(a.get("percentile_rank")))}</td></tr>'
        for name, a in rows
    )
    return Markup(
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )
