"""The four browsable lists: where each comes from, its facets, sorts and search.

Use cases, deployment records and companies grow with the country (10,000 cases, 100,000 records,
30,000 companies), so their APIs do the work: a page asks ``/facets`` (the total and every facet's counts
under the chosen filters and search) and one page of the list itself (its filters, ``sort`` and a
position cursor), two calls whatever the size of the catalogue: at once for a first page; for a later one
(reached by a link from the page before it, whose ``/facets`` answer the portal still keeps) the list after
the facets, whose total says which page exists, so nothing is listed when nothing matches.
Search goes to the owning API (use cases: the ranked Korean/English search; deployments and companies:
``q``) and runs within the filters.
A company is also found by what it supplies: the companies list's search widens to the suppliers of the
use cases and records the same words find (``also``), so "용접" lists the vendors of welding solutions.
The equipment models stay few (the plan targets 500 types) and are loaded whole and faceted in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from platform_api.portal.api import PortalApi
from platform_api.portal.browse import (
    PAGE_SIZE,
    Facet,
    Item,
    Result,
    Sort,
    browse,
    served_counts,
    words_match,
)
from platform_api.portal.labels import LEVEL_RANK, VOCABULARIES
from services.kit.pagination import encode_cursor

Params = dict[str, Any]


def _one(*path: str) -> Callable[[Item], Iterable[str]]:
    def values(item: Item) -> Iterable[str]:
        value: Any = item
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return [] if value is None else [str(value)]

    return values


def _vocabulary_order(vocabulary: str) -> Callable[[str], Any]:
    order = {code: i for i, code in enumerate(VOCABULARIES[vocabulary])}
    return lambda code: (order.get(code, len(order)), code)


def _level_order(code: str) -> Any:
    before, _, after = code.partition(">")
    return (LEVEL_RANK.get(before, 9), LEVEL_RANK.get(after, 9))


def _year_order(year: str) -> Any:
    return -int(year) if year.isdigit() else 0


@dataclass(frozen=True)
class Filter:
    """A facet of a served list: its name in the API's ``/facets`` answer, the list's parameters for a
    chosen value, and the URL's code of an API key (the same unless the URL says it otherwise)."""

    facet: Facet
    field: str
    params: Callable[[str], Params] | None = None  # None: ``{field: code}``
    code: Callable[[str], str] = str

    def to_params(self, code: str) -> Params:
        return self.params(code) if self.params is not None else {self.field: code}


def _level_params(code: str) -> Params:
    before, _, after = code.partition(">")
    return {"level_before": before, "level_after": after}


_DESIGNATED = {"true": "yes", "false": "no"}


@dataclass(frozen=True)
class Served:
    """A list browsed through its API: one page and the facets per view."""

    name: str  # path segment and message suffix
    service: str
    filters: tuple[Filter, ...]
    sorts: tuple[str, ...]  # the API's ``sort`` values, shown in this order
    default_sort: str
    relevance: bool = False  # the API ranks by ``relevance`` to ``q``
    # More parameters of a search ``q`` (the companies' ``also``), asked of other lists first.
    widen: Callable[[PortalApi, str], Awaitable[Params]] | None = None
    # A facet's value when the URL chooses none: the companies list is the specialist (supplier)
    # companies unless SMEs are asked for, so the two kinds are two lists, not one mixed.
    defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def facets(self) -> tuple[Facet, ...]:
        return tuple(f.facet for f in self.filters)

    async def page(self, api: PortalApi, selected: dict[str, str], q: str, sort: str, page: int) -> Result:
        params: Params = {"q": q} if q else {}
        if q and self.widen is not None:
            params.update(await self.widen(api, q))
        for f in self.filters:
            if selected.get(f.facet.key):
                params.update(f.to_params(selected[f.facet.key]))
        wanted = max(page, 1)
        facets = api.maybe(self.service, "/facets", params)
        listing: list[Item] | None = None
        if wanted == 1:  # a new search or filter: neither call waits for the other
            answer, listing = await asyncio.gather(facets, self._items(api, params, sort, wanted))
        else:  # a later page: its facets are mostly those its link's page kept, their total says if it exists
            answer = await facets
        total = int((answer or {}).get("total") or 0)
        pages = max(1, ceil(total / PAGE_SIZE))
        if wanted > pages:  # past the end (an old link): the last page instead (none when nothing matches)
            wanted = pages
            listing = None
        if listing is None:
            listing = await self._items(api, params, sort, wanted) if total else []
        answered = {
            f.facet.key: {f.code(v["key"]): int(v["count"]) for v in (answer or {}).get(f.field) or []}
            for f in self.filters
        }
        return Result(
            items=listing,
            total=total,
            page=wanted,
            pages=pages,
            facets=served_counts(self.facets, answered, selected, total),
        )

    async def _items(self, api: PortalApi, params: Params, sort: str, page: int) -> list[Item]:
        query = {**params, "sort": sort, "limit": PAGE_SIZE}
        if page > 1:
            query["cursor"] = encode_cursor([(page - 1) * PAGE_SIZE])  # the sorted lists page by position
        answer = await api.maybe(self.service, "", query)
        return list((answer or {}).get("items") or [])


@dataclass(frozen=True)
class Loaded:
    """A short list loaded whole and faceted, sorted and paged in memory."""

    name: str
    facets: tuple[Facet, ...]
    sort_keys: dict[str, Sort]
    default_sort: str
    load: Callable[[PortalApi, str], Awaitable[list[Item]]]
    relevance: bool = False
    defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def sorts(self) -> tuple[str, ...]:
        return tuple(self.sort_keys)

    async def page(self, api: PortalApi, selected: dict[str, str], q: str, sort: str, page: int) -> Result:
        return browse(await self.load(api, q), self.facets, selected, self.sort_keys[sort], page)


Collection = Served | Loaded


def _filter(key: str, title: str, field: str, vocabulary: str | None = None, **kw: Any) -> Filter:
    order = _vocabulary_order(vocabulary) if vocabulary else None
    return Filter(Facet(key, title, vocabulary=vocabulary, order=order), field, **kw)


CASES = Served(
    name="cases",
    service="usecases",
    filters=(
        _filter("region", "region", "region", "region"),
        _filter("industry", "industry", "industry", "industry"),
        Filter(Facet("problem", "problem", vocabulary="problem"), "problem_type"),
        Filter(Facet("technique", "technique", vocabulary="technique"), "technique"),
        Filter(Facet("supplier", "supplier"), "supplier"),
    ),
    sorts=("relevance", "newest", "effect", "title"),
    default_sort="newest",
    relevance=True,
)

DEPLOYMENTS = Served(
    name="deployments",
    service="deployments",
    filters=(
        _filter("region", "region", "region", "region"),
        _filter("industry", "industry", "industry", "industry"),
        _filter("subfield", "subfield", "subfield", "subfield"),
        Filter(Facet("level", "level", order=_level_order), "level", params=_level_params),
        Filter(Facet("supplier", "supplier"), "supplier"),
        _filter("evidence", "evidence", "evidence", "evidence"),
        Filter(Facet("year", "year", order=_year_order), "year"),
    ),
    sorts=("newest", "effect"),
    default_sort="newest",
)

# The companies API takes up to this many ``also`` ids; the facets name the largest suppliers first.
MAX_ALSO = 200


async def _suppliers_found(api: PortalApi, q: str) -> Params:
    """``also``: the suppliers of the published use cases and records that ``q`` finds."""
    answers = await asyncio.gather(
        api.maybe("usecases", "/facets", {"q": q}),
        api.maybe("deployments", "/facets", {"q": q, "only": "supplier"}),  # a seventh of the counting
    )
    found = dict.fromkeys(str(v["key"]) for a in answers for v in (a or {}).get("supplier") or [])
    return {"also": tuple(found)[:MAX_ALSO]} if found else {}


COMPANIES = Served(
    name="companies",
    service="companies",
    filters=(
        Filter(Facet("kind", "kind", vocabulary="company_kind"), "kind"),
        _filter("region", "region", "region", "region"),
        _filter("industry", "industry", "industry", "industry"),
        _filter("subfield", "company_fields", "expertise", "subfield"),
        _filter("growth", "growth", "growth_stage", "growth"),
        Filter(
            Facet("designated", "designated"),
            "designated",
            params=lambda code: {"designated": "true" if code == "yes" else "false"},
            code=lambda key: _DESIGNATED.get(key, key),
        ),
    ),
    sorts=("name", "capability", "newest"),
    default_sort="name",
    widen=_suppliers_found,
    defaults={"kind": "vendor"},
)


async def _load_standards(api: PortalApi, q: str) -> list[Item]:
    models = await api.all("standards", "")
    if not q:
        return models
    return [m for m in models if words_match(q, m.get("id"), m.get("name"), m.get("equipment_type"))]


STANDARDS = Loaded(
    name="standards",
    facets=(
        Facet("type", "equipment_type", _one("equipment_type"), named_by=lambda m: m.get("name")),
        Facet(
            "status",
            "status",
            lambda m: {str(v.get("status")) for v in m.get("versions") or []},
            "status",
        ),
    ),
    sort_keys={
        "name": Sort(lambda m: str((m.get("name") or {}).get("ko", ""))),
        "newest": Sort(lambda m: str(m.get("created_at") or ""), reverse=True),
    },
    default_sort="name",
    load=_load_standards,
)

COLLECTIONS: dict[str, Collection] = {c.name: c for c in (CASES, DEPLOYMENTS, COMPANIES, STANDARDS)}


def supplier_ids(items: Sequence[Item]) -> set[str]:
    """The companies an item names: a case's supplier, a record's suppliers and its SME (shown by its
    registered name in the page's language; a record's ``sme_name`` is the Korean one it was written with)."""
    ids = {str(i[key]) for i in items for key in ("supplier_company_id", "sme_company_id") if i.get(key)}
    return ids | {str(s) for i in items for s in i.get("supplier_company_ids") or []}
