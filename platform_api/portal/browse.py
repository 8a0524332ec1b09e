"""Facets with counts, sorting and pages of the portal's lists.

A facet's counts are taken over the items that match every *other* selected facet (and the search), so
each count says how many results choosing that value would give; values with no match are kept while
they are selected, so a selection can always be undone. The big lists are counted by their API
(``/facets``, the same rule, see ``services.kit.facets``) and ``served_counts`` only orders the answer;
a small list (the equipment models) is loaded whole and counted here by ``browse``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

Item = dict[str, Any]
PAGE_SIZE = 20


@dataclass(frozen=True)
class Facet:
    key: str  # the query parameter
    title: str  # message key of its heading
    # The codes of one item (several for a list field): only lists faceted in memory need it.
    values: Callable[[Item], Iterable[str]] = lambda item: ()
    vocabulary: str | None = None  # labels.VOCABULARIES name; None = named by ``names``
    order: Callable[[str], Any] | None = None  # fixed order of values (None = by count)
    # A loaded list whose items name their value (a code no vocabulary holds): the item's ko/en name of it.
    named_by: Callable[[Item], Mapping[str, str] | None] | None = None


@dataclass(frozen=True)
class Sort:
    key: Callable[[Item], Any]
    reverse: bool = False


@dataclass
class FacetValue:
    code: str
    count: int
    selected: bool
    name: Mapping[str, str] | None = None  # ko/en, when the items name it (``Facet.named_by``)


@dataclass
class FacetCounts:
    facet: Facet
    values: list[FacetValue] = field(default_factory=list)


@dataclass
class Result:
    items: list[Item]
    total: int
    page: int
    pages: int
    facets: list[FacetCounts]


def _matches(item: Item, facets: Sequence[Facet], selected: Mapping[str, str], skip: str | None) -> bool:
    return all(
        selected[f.key] in set(f.values(item)) for f in facets if f.key != skip and selected.get(f.key)
    )


def _listed(
    facet: Facet,
    counter: Mapping[str, int],
    chosen: str | None,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> FacetCounts:
    codes = list(counter)
    if facet.order is not None:
        codes.sort(key=facet.order)
    else:
        codes.sort(key=lambda c: (-counter[c], c))
    return FacetCounts(
        facet,
        [FacetValue(c, counter[c], c == chosen, (names or {}).get(c)) for c in codes if c != ""],
    )


def _names(items: Sequence[Item], facet: Facet) -> dict[str, Mapping[str, str]]:
    """Each value's name as the items give it; of several, the shortest (models of one equipment type:
    "CNC 선반" rather than one vendor's "대우 CNC 선반 DL-20")."""
    if facet.named_by is None:
        return {}
    names: dict[str, Mapping[str, str]] = {}
    for item in items:
        name = facet.named_by(item)
        if not name or not name.get("ko"):
            continue
        for code in facet.values(item):
            if code not in names or len(name["ko"]) < len(names[code]["ko"]):
                names[code] = name
    return names


def counts(items: Sequence[Item], facets: Sequence[Facet], selected: Mapping[str, str]) -> list[FacetCounts]:
    result = []
    for facet in facets:
        counter: Counter[str] = Counter()
        for item in items:
            if _matches(item, facets, selected, skip=facet.key):
                counter.update(set(facet.values(item)))
        chosen = selected.get(facet.key)
        if chosen and chosen not in counter:
            counter[chosen] = 0
        result.append(_listed(facet, counter, chosen, _names(items, facet)))
    return result


def served_counts(
    facets: Sequence[Facet],
    answered: Mapping[str, Mapping[str, int]],
    selected: Mapping[str, str],
    total: int,
) -> list[FacetCounts]:
    """Facets from the counts an API gave (facet key → code → count). A chosen value the API left out
    (beyond its largest values) counts the whole result: every result has it."""
    result = []
    for facet in facets:
        counter = dict(answered.get(facet.key, {}))
        chosen = selected.get(facet.key)
        if chosen and chosen not in counter:
            counter[chosen] = total
        result.append(_listed(facet, counter, chosen))
    return result


def browse(
    items: Sequence[Item],
    facets: Sequence[Facet],
    selected: Mapping[str, str],
    sort: Sort | None,
    page: int,
    page_size: int = PAGE_SIZE,
) -> Result:
    matching = [i for i in items if _matches(i, facets, selected, skip=None)]
    if sort is not None:
        # None sorts last whichever the direction.
        present = [i for i in matching if sort.key(i) is not None]
        absent = [i for i in matching if sort.key(i) is None]
        matching = sorted(present, key=sort.key, reverse=sort.reverse) + absent
    pages = max(1, ceil(len(matching) / page_size))
    page = min(max(page, 1), pages)
    start = (page - 1) * page_size
    return Result(
        items=matching[start : start + page_size],
        total=len(matching),
        page=page,
        pages=pages,
        facets=counts(items, facets, selected),
    )


def words_match(query: str, *texts: object) -> bool:
    """Every word of ``query`` appears in one of ``texts`` (case-insensitive, bilingual dicts searched)."""
    haystack = " ".join(_flatten(t) for t in texts).casefold()
    return all(word in haystack for word in query.casefold().split())


def _flatten(value: object) -> str:
    if isinstance(value, dict):
        return " ".join(_flatten(v) for v in value.values())
    if isinstance(value, list | tuple):
        return " ".join(_flatten(v) for v in value)
    return "" if value is None else str(value)
