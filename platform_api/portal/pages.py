"""The public pages: the map, the four browsable lists and the detail pages."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from platform_api.portal import ai_runs, charts, datasets
from platform_api.portal.api import PortalApi
from platform_api.portal.auth import signed_in
from platform_api.portal.browse import FacetCounts, Item
from platform_api.portal.catalogue import COLLECTIONS, Collection, supplier_ids
from platform_api.portal.kept import kept_pages, page_key, record_reads
from platform_api.portal.labels import LEVEL_RANK, REGION_SHORT, Labels, name
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render, url_with, with_lang_cookie
from platform_api.portal.tilemap import legend, tile_map
from services.kit import reference as ref
from services.kit.errors import NotFound

router = APIRouter(include_in_schema=False)

MEASURES = ("cases", "deployments", "kpi")
LATEST_CASES = 6
NAMES_PER_CALL = 200  # the companies list's largest page
Region = Annotated[str | None, Query(max_length=2, pattern=r"^\d{2}$")]


def public_api(request: Request) -> PortalApi:
    """The map and the lists show what everyone sees (and share one cache): published data only."""
    return PortalApi(request)


async def portal_api(request: Request) -> PortalApi:
    """Detail pages read as the visitor when signed in (owners open their drafts), else anonymously."""
    return PortalApi(request, await signed_in(request))


async def company_names(request: Request, ids: Iterable[str]) -> dict[str, Any]:
    """The names of the companies ``ids`` (those a page shows): kept by company, the others asked for in
    one batch call, never the registry."""
    return await public_api(request).names("companies", ids, NAMES_PER_CALL)


def _region_of_deployment(record: Item) -> str | None:
    return (record.get("factory") or {}).get("region_code")


def _counted(answer: Any, facet: str) -> dict[str, int]:
    """A facet's counts in a ``/facets`` answer (none when the API could not answer)."""
    return {v["key"]: int(v["count"]) for v in (answer or {}).get(facet) or []}


def _medians(answer: Any, kind: str) -> dict[str, tuple[float | None, int]]:
    """(median improvement of the KPI ``kind``, records) per group of an ``/aggregates`` answer."""
    return {
        g["key"]: ((g.get("median_kpi_improvement_pct") or {}).get(kind), int(g["count"]))
        for g in (answer or {}).get("groups") or []
        if g.get("count")
    }


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request,
    region: Region = None,
    measure: Annotated[str, Query(pattern="^(cases|deployments|kpi)$")] = "cases",
    kpi: Annotated[str, Query(pattern="^[a-z_]{1,40}$")] = "productivity",
) -> HTMLResponse:
    lang = chosen_lang(request)
    labels = Labels(lang)
    api = public_api(request)
    if region is not None and region not in REGION_SHORT:
        region = None
    # Counts, not records: a facet of region ignores the region chosen, so the map keeps every figure.
    in_region = {"region": region} if region else {}
    case_facets, record_facets, region_groups, subfield_groups, latest = await asyncio.gather(
        api.maybe("usecases", "/facets", in_region),
        api.maybe("deployments", "/facets", in_region),
        api.maybe("deployments", "/aggregates", {"by": "region"}),
        api.maybe("deployments", "/aggregates", {"by": "subfield", **in_region}),
        api.maybe("usecases", "", {**in_region, "sort": "newest", "limit": LATEST_CASES}),
    )
    case_counts = Counter(_counted(case_facets, "region"))
    record_counts = Counter(_counted(record_facets, "region"))
    kpi_by_region = _medians(region_groups, kpi)
    if measure == "cases":
        values: dict[str, float | None] = {code: float(case_counts[code]) for code in REGION_SHORT}
        unit = ""
    elif measure == "deployments":
        values = {code: float(record_counts[code]) for code in REGION_SHORT}
        unit = ""
    else:
        values = {code: kpi_by_region.get(code, (None, 0))[0] for code in REGION_SHORT}
        unit = "%"
    measure_name = message(f"measure_{measure}", lang) + (
        f" ({labels('kpi', kpi)})" if measure == "kpi" else ""
    )

    def tooltip(code: str) -> str:
        median_value = kpi_by_region.get(code, (None, 0))[0]
        figures = [
            message("cases_count", lang, n=case_counts[code]),
            message("deployments_count", lang, n=record_counts[code]),
            message(
                "median_kpi", lang, v=f"{charts.number(median_value)}%" if median_value is not None else "–"
            ),
        ]
        return f"{labels('region', code)}: " + ", ".join(figures)

    the_map = tile_map(
        values,
        title=message("map_label", lang, measure=measure_name),
        short_name=lambda code: labels("region_short", code),
        tooltip=tooltip,
        href=lambda code: url_with(request, region=None if code == region else code),
        selected=region,
        unit=unit,
    )
    present = [v for v in values.values() if v is not None]
    scale = legend(min(present), max(present), unit, whole=measure != "kpi") if present else []

    latest_cases = list((latest or {}).get("items") or [])
    region_chart = charts.bars(
        [
            charts.Bar(
                labels("region_short", code),
                kpi_by_region[code][0],
                message("n_records", lang, n=kpi_by_region[code][1]),
                strong=code == region,
            )
            for code in REGION_SHORT
            if code in kpi_by_region
        ],
        title=f"{message('kpi_by_region', lang)} — {labels('kpi', kpi)}",
        unit="%",
    )
    by_subfield = _medians(subfield_groups, kpi)
    subfield_chart = charts.bars(
        [
            charts.Bar(
                ("■ " if labels.strategic(s.code) else "") + labels("subfield", s.code),
                by_subfield[s.code][0],
                message("n_records", lang, n=by_subfield[s.code][1]),
            )
            for s in ref.SUBFIELDS
            if s.code in by_subfield
        ],
        title=f"{message('kpi_by_subfield', lang)} — {labels('kpi', kpi)}",
        unit="%",
    )
    transitions = Counter(
        {tuple(pair.split(">", 1)): n for pair, n in _counted(record_facets, "level").items() if ">" in pair}
    )
    levels = sorted(LEVEL_RANK, key=lambda lv: LEVEL_RANK[lv])
    top = max(transitions.values(), default=0)
    return await render(
        request,
        "home.html",
        {
            "region": region,
            "measure": measure,
            "measures": MEASURES,
            "kpi": kpi,
            "kpi_kinds": [k.value for k in ref.KpiKind],
            "measure_name": measure_name,
            "map": the_map,
            "scale": scale,
            "case_total": int((case_facets or {}).get("total") or 0),
            "record_total": int((record_facets or {}).get("total") or 0),
            "latest_cases": latest_cases,
            "region_chart": region_chart,
            "subfield_chart": subfield_chart,
            "levels": levels,
            "transitions": transitions,
            "transition_top": top,
            "suppliers": await company_names(request, supplier_ids(latest_cases)),
        },
    )


def _facet_view(
    request: Request, lang: str, counts: FacetCounts, suppliers: dict[str, Any]
) -> dict[str, Any]:
    facet = counts.facet
    values = []
    for value in counts.values:
        if facet.vocabulary:
            label = name(facet.vocabulary, value.code, lang)
        elif facet.key == "supplier":
            label = Labels(lang).text(suppliers.get(value.code)) or value.code
        elif facet.key == "level":
            before, _, after = value.code.partition(">")
            label = f"{name('level', before, lang)} → {name('level', after, lang)}"
        elif facet.key == "designated":
            label = message("designated_yes" if value.code == "yes" else "designated_no", lang)
        elif value.name:
            label = Labels(lang).text(value.name) or value.code
        else:
            label = value.code
        values.append(
            {
                "code": value.code,
                "label": label,
                "count": value.count,
                "selected": value.selected,
                "strategic": facet.vocabulary == "subfield" and Labels(lang).strategic(value.code),
                "href": url_with(request, **{facet.key: None if value.selected else value.code}),
            }
        )
    return {"key": facet.key, "title": message(facet.title, lang), "values": values}


async def _browse(request: Request, collection: Collection) -> HTMLResponse:
    lang = chosen_lang(request)
    api = public_api(request)
    reads = record_reads(request)
    q = (request.query_params.get("q") or "").strip()[:100]
    selected = {f.key: request.query_params.get(f.key, "") for f in collection.facets}
    for facet_key, code in collection.defaults.items():
        selected[facet_key] = selected[facet_key] or code
    sort_key = request.query_params.get("sort") or ("relevance" if q and collection.relevance else None)
    if sort_key not in collection.sorts or (sort_key == "relevance" and not q):
        sort_key = collection.default_sort
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    result = await collection.page(api, selected, q, sort_key, page)
    shown = supplier_ids(result.items) | {
        v.code for c in result.facets if c.facet.key == "supplier" for v in c.values
    }
    suppliers = await company_names(request, shown)
    key = page_key(request, lang) if await signed_in(request) is None else None
    if key is not None and (body := kept_pages(request).get(key, reads)) is not None:
        return with_lang_cookie(request, HTMLResponse(body))
    sorts = [s for s in collection.sorts if s != "relevance" or q]
    facets = [_facet_view(request, lang, c, suppliers) for c in result.facets]
    chosen = [
        {
            "label": next((v["label"] for v in f["values"] if v["selected"]), selected[f["key"]]),
            "href": url_with(request, **{f["key"]: None}),
        }
        for f in facets
        if request.query_params.get(f["key"])  # a default choice is the list itself, not a filter to undo
    ]
    html = await render(
        request,
        "browse.html",
        {
            "collection": collection.name,
            "q": q,
            "result": result,
            "facets": facets,
            "chosen": chosen,
            "selected": selected,
            "sort": sort_key,
            "sorts": sorts,
            "suppliers": suppliers,
            "region": selected.get("region"),
        },
    )
    if key is not None:
        kept_pages(request).keep(key, reads, bytes(html.body))
    return html


def _browse_route(collection: Collection) -> None:
    async def browse_page(request: Request) -> HTMLResponse:
        return await _browse(request, collection)

    router.add_api_route(
        f"/{collection.name}", browse_page, methods=["GET"], response_class=HTMLResponse, name=collection.name
    )


for _collection in COLLECTIONS.values():  # /cases, /deployments, /companies, /standards
    _browse_route(_collection)


async def _not_found(request: Request) -> HTMLResponse:
    return await render(request, "not_found.html", {}, status=404)


async def _one(request: Request, service: str, path: str) -> tuple[PortalApi, Item] | HTMLResponse:
    """A detail page's item, read as the visitor; the not-found page when the API has none for them."""
    api = await portal_api(request)
    try:
        return api, await api.get(service, path)
    except NotFound:
        return await _not_found(request)


def before_after_chart(pairs: list[charts.Pair], title: str, lang: str) -> Markup:
    """Pairs of figures before and after, their units in words and their changes as directions."""
    labels = Labels(lang)
    return charts.before_after(
        [dataclasses.replace(p, unit=labels.unit(p.unit)) for p in pairs],
        title=title,
        before=message("before", lang),
        after=message("after", lang),
        change=labels.change,
    )


def _effect_pairs(effects: list[Item], labels: Labels) -> list[charts.Pair]:
    return [
        charts.Pair(
            labels.text(e.get("metric")),
            float(e.get("before") or 0),
            float(e.get("after") or 0),
            str(e.get("unit") or ""),
            e.get("improvement_pct"),
        )
        for e in effects
    ]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_detail(request: Request, case_id: str) -> HTMLResponse:
    lang = chosen_lang(request)
    labels = Labels(lang)
    found = await _one(request, "usecases", f"/{case_id}")
    if isinstance(found, HTMLResponse):
        return found
    api, case = found
    record = (
        await api.maybe("deployments", f"/{case['deployment_id']}") if case.get("deployment_id") else None
    )
    supplier = (
        await api.maybe("companies", f"/{case['supplier_company_id']}")
        if case.get("supplier_company_id")
        else None
    )
    chart = before_after_chart(
        _effect_pairs(case.get("effects") or [], labels), message("effects", lang), lang
    )
    return await render(
        request,
        "case.html",
        {
            "case": case,
            "record": record,
            "supplier": supplier,
            "chart": chart,
            "model_names": await model_names(
                request, (m["model_id"] for m in case.get("equipment_model_refs") or [])
            ),
            "region": case.get("region_code"),
            "claims": await datasets.case_claims(api, case_id),
            "runnable": await ai_runs.case_model(request, api, case_id),
        },
    )


async def model_names(request: Request, ids: Iterable[str]) -> dict[str, Any]:
    """The ko/en names of the equipment models ``ids`` (a page shows a name, not an id like "spot-welder")."""
    wanted = list(dict.fromkeys(ids))
    api = public_api(request)
    found = await asyncio.gather(*(api.maybe("standards", f"/{model_id}") for model_id in wanted))
    return {model_id: model.get("name") for model_id, model in zip(wanted, found, strict=True) if model}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def stage_spans(stages: list[Item], labels: Labels) -> list[charts.Span]:
    spans = []
    for stage in stages:
        p0, p1 = _day(stage.get("planned_start")), _day(stage.get("planned_end"))
        if p0 is None or p1 is None:
            continue
        a0, a1 = _day(stage.get("actual_start")), _day(stage.get("actual_end"))
        # A record names its own stages (the process it follows); older ones only carry the code.
        label = labels.text(stage.get("name")) or labels("stage", stage.get("code"))
        spans.append(charts.Span(label, (p0, p1), (a0, a1) if a0 and a1 else None))
    return spans


def record_figures(record: Item, lang: str) -> dict[str, Any]:
    """The stage timeline against the process's target and the KPI chart of a deployment record: what
    ``_deployment_parts.html`` draws, on the public page and on an agency's review page alike."""
    labels = Labels(lang)
    target_months = int(record.get("target_months") or ref.TARGET_PROJECT_MONTHS)
    timeline = charts.timeline(
        stage_spans(record.get("stages") or [], labels),
        title=message("stage_timeline", lang),
        target_months=target_months,
        planned=message("planned", lang),
        actual=message("actual", lang),
        target=f"{message('target', lang)} {message('months', lang, v=target_months)}",
    )
    kpi_chart = before_after_chart(
        [
            charts.Pair(
                labels("kpi", k.get("kind")),
                float(k.get("baseline") or 0),
                float(k.get("after") or 0),
                str(k.get("unit") or ""),
                k.get("improvement_pct"),
            )
            for k in record.get("kpis") or []
        ],
        message("kpis", lang),
        lang,
    )
    return {"timeline": timeline, "target_months": target_months, "kpi_chart": kpi_chart}


@router.get("/deployments/{record_id}", response_class=HTMLResponse)
async def deployment_detail(request: Request, record_id: str) -> HTMLResponse:
    lang = chosen_lang(request)
    found = await _one(request, "deployments", f"/{record_id}")
    if isinstance(found, HTMLResponse):
        return found
    _, record = found
    cases = await public_api(request).all_or_none("usecases", "", {"deployment_id": record_id}) or []
    return await render(
        request,
        "deployment.html",
        {
            "record": record,
            **record_figures(record, lang),
            "suppliers": await company_names(request, supplier_ids([record, *cases])),
            "cases": cases,
            "region": _region_of_deployment(record),
        },
    )


@router.get("/companies/{company_id}", response_class=HTMLResponse)
async def company_detail(request: Request, company_id: str) -> HTMLResponse:
    lang = chosen_lang(request)
    labels = Labels(lang)
    found = await _one(request, "companies", f"/{company_id}")
    if isinstance(found, HTMLResponse):
        return found
    api, company = found
    track = await api.maybe("companies", f"/{company_id}/track-record")
    track_chart = charts.bars(
        [
            charts.Bar(labels("kpi", kind), value)
            for kind, value in ((track or {}).get("median_kpi_improvement_pct") or {}).items()
        ],
        title=message("track_record", lang),
        unit="%",
    )
    cases = await public_api(request).all_or_none("usecases", "", {"supplier": company_id}) or []
    return await render(
        request,
        "company.html",
        {
            "company": company,
            "track": track,
            "track_chart": track_chart,
            "cases": cases,
            "region": company.get("region_code"),
        },
    )


@router.get("/standards/{model_id}", response_class=HTMLResponse)
async def standard_detail(
    request: Request,
    model_id: str,
    version: Annotated[str | None, Query(pattern=r"^\d+\.\d+\.\d+$")] = None,
) -> HTMLResponse:
    found = await _one(request, "standards", f"/{model_id}")
    if isinstance(found, HTMLResponse):
        return found
    api, model = found
    versions = model.get("versions") or []
    chosen = (
        version or model.get("latest_published_version") or (versions[-1]["version"] if versions else None)
    )
    detail = await api.maybe("standards", f"/{model_id}/versions/{chosen}") if chosen else None
    # Only a version made by importing a document has a mapping report (others answer 404: None).
    report = (
        await api.maybe(
            "standards", f"/{model_id}/versions/{chosen}/import-report", {"lang": chosen_lang(request)}
        )
        if detail
        else None
    )
    return await render(
        request, "standard.html", {"model": model, "version": chosen, "detail": detail, "report": report}
    )
