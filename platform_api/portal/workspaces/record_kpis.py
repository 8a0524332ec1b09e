"""The KPI rows of the supplier's record form: one row per KPI kind of the deployments API (``KpiKind``,
named in words by the portal's labels) with the figure before, the figure after, the unit picked from units
read in words, and an optional reference to the telemetry behind it. Filling a row adds that KPI, changing
it edits it, emptying it (or ticking "remove") removes it: the rows are sent as the record's ``kpis``.

Invariants:
- The form judges only what a browser sends as text: a figure that is not a number. Every rule of a KPI
  (no negative figure, a unit, one KPI per kind, only a self-reported KPI set by hand) is the deployments
  API's (``records.service``, ``kpis.service``); its refusal is shown beside the row and field it names:
  ``body.kpis[1].after`` is the second row sent, "불량률 · 도입 후".
- A KPI sent back with its stored figures keeps its source and evidence (the API's rule); a measured or
  verified KPI whose figures change becomes self-reported, which its row says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from platform_api.portal.labels import name as label
from platform_api.portal.messages import message
from platform_api.portal.workspaces import forms
from services.kit import reference as ref

KINDS = tuple(k.value for k in ref.KpiKind)
FIGURES = ("baseline", "after")
PARTS = (*FIGURES, "unit", "telemetry_ref")
# The units a deployment KPI is usually given in; a record's other unit is offered beside them.
UNITS = ("%", "ea/h", "ea", "KRW", "day", "h", "min", "kWh", "kWh/ea")
_WORDS = {"baseline": "before", "after": "after", "unit": "unit", "telemetry_ref": "vendor_kpi_ref"}
_API_FIELD = re.compile(r"kpis\[(\d+)\](?:\.(\w+))?")


def field_name(kind: str, part: str) -> str:
    return f"kpi.{kind}.{part}"


def form_of(record: Mapping[str, Any]) -> dict[str, str]:
    """The record's KPIs as the rows show them at first."""
    values = {}
    for kpi in record.get("kpis") or []:
        for part in PARTS:
            value = kpi.get(part)
            shown = _figure(value) if part in FIGURES else str(value or "")
            values[field_name(kpi["kind"], part)] = shown
    return values


def _figure(value: float) -> str:
    """A stored figure as typed: 128, not 128.0; every digit kept, so an unchanged KPI is sent back equal."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Rows:
    """The rows as posted: the API's ``kpis`` body, the figures that are not numbers, and the row and field
    an API error's path names (the n-th KPI sent is the n-th row filled)."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        def value(kind: str, part: str) -> str:
            return str(fields.get(field_name(kind, part)) or "").strip()

        self.filled = [
            (kind, {part: value(kind, part) for part in PARTS})
            for kind in KINDS
            if not fields.get(field_name(kind, "remove")) and any(value(kind, p) for p in (*FIGURES, "unit"))
        ]

    def wrong(self) -> dict[str, str]:
        """The figures that are not numbers, each with the key of its message."""
        return {
            field_name(kind, part): "vendor_kpi_number"
            for kind, row in self.filled
            for part in FIGURES
            if row[part] and _number(row[part]) is None
        }

    def body(self) -> list[dict[str, Any]]:
        """The KPIs as the API's body: a part left empty is left out, so the API names it missing."""
        kpis = []
        for kind, row in self.filled:
            kpi: dict[str, Any] = {
                "kind": kind,
                "unit": row["unit"],
                "telemetry_ref": row["telemetry_ref"] or None,
            }
            kpi |= {part: _number(row[part]) for part in FIGURES if row[part]}
            kpis.append(kpi)
        return kpis

    def field(self, other: Callable[[str], str]) -> Callable[[str], str]:
        """The form's name of an API field: a KPI's part by its row, anything else by ``other``."""

        def named(api_name: str) -> str:
            found = _API_FIELD.fullmatch(api_name)
            if found is None or int(found.group(1)) >= len(self.filled):
                return other(api_name)
            part = found.group(2) if found.group(2) in PARTS else "baseline"  # the row as a whole
            return field_name(self.filled[int(found.group(1))][0], part)

        return named


def _number(text: str) -> float | None:
    try:
        figure = float(text.replace(",", ""))
    except ValueError:
        return None
    return figure if math.isfinite(figure) else None


def labelled(errors: forms.FormErrors, lang: str) -> forms.FormErrors:
    """The errors with each KPI field named by its row and part ("불량률 · 도입 후")."""
    for name in errors.fields:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "kpi" and parts[2] in _WORDS:
            errors.labels[name] = f"{label('kpi', parts[1], lang)} · {message(_WORDS[parts[2]], lang)}"
    return errors


def context(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the rows render: the kinds, the units offered (with a record's own), the stored sources."""
    kpis = (record or {}).get("kpis") or []
    return {
        "kpi_kinds": KINDS,
        "kpi_units": [*UNITS, *sorted({k["unit"] for k in kpis} - set(UNITS))],
        "kpi_sources": {k["kind"]: k["source"] for k in kpis},
    }
