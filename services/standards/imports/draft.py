"""What an import produces: candidate data items, checked one by one, and the mapping report.

A source element becomes an item only if the item validates on its own (``DataItem``); otherwise it is
dropped with the reason. Ids are made unique, and a KPI role the source implies is given to the first
item only (a version holds one item per role, except alarms), the others keep a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.standards.roles import REPEATABLE_ROLES
from services.standards.schemas import DataItem, DroppedEntry, MappedEntry

MAX_ITEMS = 500
MAX_REPORTED_DROPS = 1000
_NON_ID = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_id(*parts: str) -> str:
    """``Spindle1/ActualSpeed`` -> ``spindle1_actual_speed``: a valid item id (``^[a-z][a-z0-9_]{0,63}$``)."""
    text = "_".join(_CAMEL.sub("_", p) for p in parts if p)
    ident = _NON_ID.sub("_", text.lower()).strip("_")
    if not ident or not ident[0].isalpha():
        ident = f"item_{ident}".rstrip("_")
    return ident[:64].rstrip("_")


@dataclass
class Draft:
    """The parsed document: names and type it suggests, items, and what became of every source element."""

    title: str
    title_en: str | None = None
    equipment_type: str | None = None
    description: str | None = None
    ideal_cycle_time_s: float | None = None
    items: list[DataItem] = field(default_factory=list)
    mapped: list[MappedEntry] = field(default_factory=list)
    dropped: list[DroppedEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped_beyond: int = 0
    _roles: dict[str, str] = field(default_factory=dict)

    def drop(self, source: str, reason: str) -> None:
        if len(self.dropped) < MAX_REPORTED_DROPS:
            self.dropped.append(DroppedEntry(source=source[:500], reason=reason))
        else:  # a huge document of unusable elements must not make a huge answer
            self.dropped_beyond += 1

    def add(self, source: str, candidate: dict[str, Any], notes: list[str] | None = None) -> DataItem | None:
        """Validate ``candidate`` as a data item and keep it, or drop it with the validator's reason."""
        notes = list(notes or [])
        if len(self.items) >= MAX_ITEMS:
            self.drop(source, f"a version holds at most {MAX_ITEMS} items")
            return None
        candidate = {k: v for k, v in candidate.items() if v is not None}
        base, n = candidate["id"], 2
        taken = {i.id for i in self.items}
        while candidate["id"] in taken:
            suffix = f"_{n}"
            candidate["id"], n = base[: 64 - len(suffix)] + suffix, n + 1
        if candidate["id"] != base:
            notes.append(f"id '{base}' was taken; renamed '{candidate['id']}'")
        role = candidate.get("role")
        if role and role not in REPEATABLE_ROLES and role in self._roles:
            notes.append(f"role {role} stays with '{self._roles[role]}' (one item per role)")
            candidate.pop("role")
        try:
            item = DataItem.model_validate(candidate)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()
            )
            self.drop(source, f"not a valid data item ({problems})"[:500])
            return None
        if item.role and item.role not in REPEATABLE_ROLES:
            self._roles[item.role] = item.id
        self.items.append(item)
        self.mapped.append(MappedEntry(source=source[:500], item_id=item.id, notes=notes))
        return item
