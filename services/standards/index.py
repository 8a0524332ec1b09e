"""What a model is found by: its search text and its terms (pure functions over plain data).

Search by name reads ``search_text`` (names of the model and of its newest version's items, lower-cased);
search by sub-field, industry, data item or semantic id reads exact terms, indexed by (kind, term), so a
catalogue of 500 models x 100 items answers from an index, not by scanning every version's JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TERM_KINDS = ("subfield", "industry", "item", "semantic_id")
MAX_TERM = 200


def search_text(
    model_id: str,
    equipment_type: str,
    name: dict[str, Any],
    description: dict[str, Any] | None,
    items: Iterable[dict[str, Any]],
) -> str:
    parts: list[str | None] = [model_id, equipment_type, name.get("ko"), name.get("en")]
    if description:
        parts += [description.get("ko"), description.get("en")]
    for item in items:
        parts += [item["id"], item["name"].get("ko"), item["name"].get("en")]
    return " ".join(p for p in parts if p).lower()


def terms(
    subfields: Iterable[str], industries: Iterable[str], versions_items: Iterable[Iterable[dict[str, Any]]]
) -> set[tuple[str, str]]:
    """(kind, term) pairs, lower-cased; item terms are the item ids and MTConnect types of every version."""
    found = {("subfield", code) for code in subfields} | {("industry", code) for code in industries}
    for items in versions_items:
        for item in items:
            found.add(("item", item["id"].lower()))
            mtconnect = (item.get("mappings") or {}).get("mtconnect_type")
            if mtconnect:
                found.add(("item", mtconnect.lower()))
            if item.get("semantic_id"):
                found.add(("semantic_id", item["semantic_id"].lower()))
    return {(kind, term.lower()[:MAX_TERM]) for kind, term in found}
