"""What an import produces: candidate data items, checked one by one, and the mapping report.

A source element becomes an item only if the item validates on its own (``DataItem``); otherwise it is
dropped with the reason. Ids are made unique, and a KPI role the source implies is given to the first
item only (a version holds one item per role, except alarms), the others keep a note saying so.

The report accounts for every element the parser counts (``elements``): each is mapped (to one item or,
for a vector, several), kept as a model attribute, or dropped with its reason, so the counts add up.
Reasons and notes are catalogue messages (``Msg``), rendered in Korean and English when the report is
built; plain text is accepted and shown as it is in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

from pydantic import ValidationError

from services.kit.messages import Msg, Text, Verbatim
from services.standards.roles import REPEATABLE_ROLES
from services.standards.schemas import (
    Attribute,
    DataItem,
    DroppedEntry,
    ImportCounts,
    ImportReport,
    MappedEntry,
)

MAX_ITEMS = 500
MAX_REPORTED_DROPS = 1000
_NON_ID = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
Reason = Text | str


def _text(reason: Reason) -> Text:
    return Verbatim(reason) if isinstance(reason, str) else reason


def snake_id(*parts: str) -> str:
    """``Spindle1/ActualSpeed`` -> ``spindle1_actual_speed``: a valid item id (``^[a-z][a-z0-9_]{0,63}$``)."""
    text = "_".join(_CAMEL.sub("_", p) for p in parts if p)
    ident = _NON_ID.sub("_", text.lower()).strip("_")
    if not ident or not ident[0].isalpha():
        ident = f"item_{ident}".rstrip("_")
    return ident[:64].rstrip("_")


@dataclass(frozen=True)
class _Mapped:
    source: str
    item_id: str
    notes: list[Text]


@dataclass(frozen=True)
class _Dropped:
    source: str
    reason: Text


@dataclass
class Draft:
    """The parsed document: names and type it suggests, items, and what became of every source element."""

    title: str
    title_en: str | None = None
    equipment_type: str | None = None
    description: str | None = None
    ideal_cycle_time_s: float | None = None
    items: list[DataItem] = field(default_factory=list)
    elements: int | None = None  # what the parser counted in the document, independently of its walk
    available: list[str] = field(default_factory=list)  # machines/devices the document offers
    chosen: str | None = None
    notes: list[Reason] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)
    structure: dict[str, Any] | None = None  # an AAS submodel's nesting, for its export (aas_structure)
    dropped_beyond: int = 0
    _mapped: list[_Mapped] = field(default_factory=list)
    _dropped: list[_Dropped] = field(default_factory=list)
    _roles: dict[str, str] = field(default_factory=dict)

    def drop(self, source: str, reason: Reason) -> None:
        if len(self._dropped) < MAX_REPORTED_DROPS:
            self._dropped.append(_Dropped(source[:500], _text(reason)))
        else:  # a huge document of unusable elements must not make a huge answer
            self.dropped_beyond += 1

    def drop_all(self, sources: Iterator[str], count: int, reason: Reason) -> None:
        """Drop ``count`` elements for one reason; only the sources listed are taken from ``sources``, so
        a huge document's rest costs nothing."""
        listed = 0
        for source in islice(sources, max(0, MAX_REPORTED_DROPS - len(self._dropped))):
            self.drop(source, reason)
            listed += 1
        self.dropped_beyond += count - listed

    def attribute(self, source: str, name: str, value: str | None) -> Attribute:
        """A value describing the machine (manufacturer, serial number), not a reading; None when the
        source declares it without a value (a type: each machine gives its own)."""
        kept = value[:500] if value is not None else None
        self.attributes.append(Attribute(source=source[:500], name=name[:200], value=kept))
        return self.attributes[-1]

    def room(self) -> int:
        return MAX_ITEMS - len(self.items)

    def add(
        self, source: str, candidate: dict[str, Any], notes: Sequence[Reason] | None = None
    ) -> DataItem | None:
        """Validate ``candidate`` as a data item and keep it, or drop it with the validator's reason."""
        kept: list[Text] = [_text(n) for n in notes or []]
        if len(self.items) >= MAX_ITEMS:
            self.drop(source, Msg("a version holds at most {limit} items", limit=MAX_ITEMS))
            return None
        candidate = {k: v for k, v in candidate.items() if v is not None}
        base, n = candidate["id"], 2
        taken = {i.id for i in self.items}
        while candidate["id"] in taken:
            suffix = f"_{n}"
            candidate["id"], n = base[: 64 - len(suffix)] + suffix, n + 1
        if candidate["id"] != base:
            kept.append(Msg("id '{base}' was taken; renamed '{item_id}'", base=base, item_id=candidate["id"]))
        role = candidate.get("role")
        if role and role not in REPEATABLE_ROLES and role in self._roles:
            kept.append(
                Msg(
                    "role {role} stays with '{item_id}' (one item per role)",
                    role=role,
                    item_id=self._roles[role],
                )
            )
            candidate.pop("role")
        try:
            item = DataItem.model_validate(candidate)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()
            )
            self.drop(source, Msg("not a valid data item ({problems})", problems=problems[:400]))
            return None
        if item.role and item.role not in REPEATABLE_ROLES:
            self._roles[item.role] = item.id
        self.items.append(item)
        self._mapped.append(_Mapped(source[:500], item.id, kept))
        return item

    def report(self, source_format: Literal["aas", "mtconnect", "opcua"], korean: bool) -> ImportReport:
        notes = [_text(n).render(korean) for n in self.notes]
        if self.dropped_beyond:
            more = Msg("{count} more elements dropped, not listed", count=self.dropped_beyond)
            notes.append(more.render(korean))
        return ImportReport(
            format=source_format,
            document=self.title[:200],
            available=self.available,
            chosen=self.chosen,
            counts=ImportCounts(
                elements=self.elements,
                mapped=len({m.source for m in self._mapped}),
                attributes=len(self.attributes),
                dropped=len(self._dropped) + self.dropped_beyond,
            ),
            mapped=[
                MappedEntry(source=m.source, item_id=m.item_id, notes=[n.render(korean) for n in m.notes])
                for m in self._mapped
            ],
            attributes=self.attributes,
            dropped=[DroppedEntry(source=d.source, reason=d.reason.render(korean)) for d in self._dropped],
            notes=notes,
        )
