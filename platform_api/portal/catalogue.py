"""The four browsable lists: how each is loaded from its API, its facets, sorts and search.

Search goes to the owning API where it has one (use cases: ranked Korean/English full text;
deployments and companies: ``q``); the portal then applies the facets in memory, so a search always runs
within the current filters and every facet shows counts for the results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from statistics import median
from typing import Any

import httpx

from platform_api.portal.api import PortalApi
from platform_api.portal.browse import Facet, Item, Sort, words_match
from platform_api.portal.labels import LEVEL_RANK, VOCABULARIES
from services.kit.errors import PlatformError


def _one(*path: str) -> Callable[[Item], Iterable[str]]:
    def values(item: Item) -> Iterable[str]:
        value: Any = item
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return [] if value is None else [str(value)]

    return values


def _many(key: str, sub: str | None = None) -> Callable[[Item], Iterable[str]]:
    def values(item: Item) -> Iterable[str]:
        return [str(v.get(sub) if sub else v) for v in item.get(key) or [] if (v.get(sub) if sub else v)]

    return values


def _vocabulary_order(vocabulary: str) -> Callable[[str], Any]:
    order = {code: i for i, code in enumerate(VOCABULARIES[vocabulary])}
    return lambda code: (order.get(code, len(order)), code)


def _level_pair(item: Item) -> Iterable[str]:
    before, after = item.get("level_before"), item.get("level_after")
    return [f"{before}>{after}"] if before and after else []


def _level_order(code: str) -> Any:
    before, _, after = code.partition(">")
    return (LEVEL_RANK.get(before, 9), LEVEL_RANK.get(after, 9))


def _kpi_sources(item: Item) -> Iterable[str]:
    return [str(k.get("source") or "self_reported") for k in item.get("kpis") or []]


def best_effect(case: Item) -> float | None:
    gains = [e.get("improvement_pct") for e in case.get("effects") or []]
    present = [g for g in gains if g is not None]
    return max(present) if present else None


def median_gain(record: Item, kind: str | None = None) -> float | None:
    gains = [
        k.get("improvement_pct")
        for k in record.get("kpis") or []
        if (kind is None or k.get("kind") == kind) and k.get("improvement_pct") is not None
    ]
    return median(gains) if gains else None


@dataclass(frozen=True)
class Collection:
    name: str  # path segment and message suffix: cases, deployments, companies, standards
    facets: tuple[Facet, ...]
    sorts: dict[str, Sort]
    default_sort: str
    load: Callable[[PortalApi, str], Awaitable[list[Item]]]
    relevance: bool = False  # the loader returns items in ranked order when searching


async def _load_cases(api: PortalApi, q: str) -> list[Item]:
    if not q:
        return await api.all("usecases", "")
    cases: list[Item] = []
    cursor: str | None = None
    while len(cases) < 1000:
        params: dict[str, Any] = {"q": q, "limit": 50}
        if cursor:
            params["cursor"] = cursor
        try:
            page = await api.get("usecases", "/search", params)
        except (PlatformError, httpx.HTTPStatusError):
            return []  # a query with no searchable word finds nothing
        cases.extend(
            {**hit["case"], "_score": hit.get("score"), "_rank": len(cases)} for hit in page["items"]
        )
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return cases


async def _load_deployments(api: PortalApi, q: str) -> list[Item]:
    return await api.all("deployments", "", {"q": q} if q else None)


async def _load_companies(api: PortalApi, q: str) -> list[Item]:
    return await api.all("companies", "", {"q": q} if q else None)


async def _load_standards(api: PortalApi, q: str) -> list[Item]:
    models = await api.all("standards", "")
    if not q:
        return models
    return [m for m in models if words_match(q, m.get("id"), m.get("name"), m.get("equipment_type"))]


def _created(item: Item) -> str:
    return str(item.get("published_at") or item.get("created_at") or "")


CASES = Collection(
    name="cases",
    facets=(
        Facet("region", "region", _one("region_code"), "region", _vocabulary_order("region")),
        Facet("industry", "industry", _one("industry_code"), "industry", _vocabulary_order("industry")),
        Facet("problem", "problem", _one("problem_type"), "problem"),
        Facet("technique", "technique", _one("technique"), "technique"),
        Facet("supplier", "supplier", _one("supplier_company_id")),
    ),
    sorts={
        "relevance": Sort(lambda c: c.get("_rank", 0)),
        "newest": Sort(_created, reverse=True),
        "effect": Sort(best_effect, reverse=True),
        "title": Sort(lambda c: str((c.get("title") or {}).get("ko", ""))),
    },
    default_sort="newest",
    load=_load_cases,
    relevance=True,
)

DEPLOYMENTS = Collection(
    name="deployments",
    facets=(
        Facet("region", "region", _one("factory", "region_code"), "region", _vocabulary_order("region")),
        Facet(
            "industry",
            "industry",
            _one("factory", "industry_code"),
            "industry",
            _vocabulary_order("industry"),
        ),
        Facet(
            "subfield",
            "subfield",
            _many("solutions", "subfield_code"),
            "subfield",
            _vocabulary_order("subfield"),
        ),
        Facet("level", "level", _level_pair, None, _level_order),
        Facet("supplier", "supplier", _many("supplier_company_ids")),
        Facet("evidence", "evidence", _kpi_sources, "evidence", _vocabulary_order("evidence")),
        Facet("year", "year", _one("year"), None, lambda y: -int(y) if y.isdigit() else 0),
    ),
    sorts={
        "newest": Sort(lambda d: str(d.get("created_at") or ""), reverse=True),
        "effect": Sort(median_gain, reverse=True),
        "duration": Sort(lambda d: d.get("actual_months") or d.get("planned_months")),
        "support": Sort(lambda d: d.get("support_amount_krw"), reverse=True),
    },
    default_sort="newest",
    load=_load_deployments,
)

COMPANIES = Collection(
    name="companies",
    facets=(
        Facet("kind", "kind", _one("kind"), "company_kind"),
        Facet("region", "region", _one("region_code"), "region", _vocabulary_order("region")),
        Facet("industry", "industry", _one("industry_code"), "industry", _vocabulary_order("industry")),
        Facet("subfield", "company_fields", _many("expertise"), "subfield", _vocabulary_order("subfield")),
        Facet("growth", "growth", _one("growth_stage"), "growth", _vocabulary_order("growth")),
        Facet("designated", "designated", lambda c: ["yes" if c.get("designated") else "no"]),
    ),
    sorts={
        "name": Sort(lambda c: str((c.get("name") or {}).get("ko", ""))),
        "capability": Sort(lambda c: c.get("capability_level"), reverse=True),
        "newest": Sort(lambda c: str(c.get("created_at") or ""), reverse=True),
    },
    default_sort="name",
    load=_load_companies,
)

STANDARDS = Collection(
    name="standards",
    facets=(
        Facet("type", "equipment_type", _one("equipment_type")),
        Facet(
            "status", "status", lambda m: {str(v.get("status")) for v in m.get("versions") or []}, "status"
        ),
    ),
    sorts={
        "name": Sort(lambda m: str((m.get("name") or {}).get("ko", ""))),
        "newest": Sort(lambda m: str(m.get("created_at") or ""), reverse=True),
    },
    default_sort="name",
    load=_load_standards,
)

COLLECTIONS = {c.name: c for c in (CASES, DEPLOYMENTS, COMPANIES, STANDARDS)}
