"""Checking and normalising readings against a model version's data items (pure functions)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from services.kit.units import UnitError, convert
from services.standards.schemas import DataItem, NormalizedReading, Reading, Violation

FUTURE_TOLERANCE = timedelta(minutes=5)


def _typed(item: DataItem, value: Any) -> tuple[Any, str | None]:
    """The value as the item's data type, or the reason it is not one."""
    if item.data_type == "bool":
        return (value, None) if isinstance(value, bool) else (None, "expected a boolean")
    if item.data_type == "string":
        return (value, None) if isinstance(value, str) else (None, "expected a string")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"expected a number ({item.data_type})"
    if isinstance(value, float) and not math.isfinite(value):
        return None, "NaN and Infinity are not values"
    if item.data_type == "int" and not float(value).is_integer():
        return None, "expected an integer"
    return (int(value) if item.data_type == "int" else float(value)), None


def validate(
    items: list[DataItem], readings: list[Reading], now: datetime | None = None
) -> tuple[list[Violation], list[NormalizedReading]]:
    """Every violation of every reading, and the valid readings converted to their canonical units."""
    by_id = {item.id: item for item in items}
    now = now or datetime.now(UTC)
    violations: list[Violation] = []
    normalized: list[NormalizedReading] = []

    for index, reading in enumerate(readings):

        def violate(field: Any, reason: str, _index: int = index, _reading: Reading = reading) -> None:
            violations.append(Violation(index=_index, item_id=_reading.item_id, field=field, reason=reason))

        before = len(violations)
        item = by_id.get(reading.item_id)
        if item is None:
            violate("item_id", f"unknown data item; known: {', '.join(sorted(by_id))}")
            continue
        if reading.timestamp is not None:
            stamp = reading.timestamp
            if stamp.tzinfo is None:
                violate("timestamp", "timestamp needs a time zone")
            elif stamp - now > FUTURE_TOLERANCE:
                violate("timestamp", "timestamp is in the future")
        value, problem = _typed(item, reading.value)
        if problem:
            violate("value", problem)
        elif item.data_type in ("float", "int"):
            if reading.unit and item.unit and reading.unit != item.unit:
                try:
                    value = convert(value, reading.unit, item.unit)
                    value = round(value) if item.data_type == "int" else value
                except UnitError as exc:
                    violate("unit", str(exc))
            if item.min is not None and value < item.min:
                violate(
                    "value",
                    f"{value:g} {item.unit or ''} is below the minimum {item.min:g}".replace("  ", " "),
                )
            if item.max is not None and value > item.max:
                violate(
                    "value",
                    f"{value:g} {item.unit or ''} is above the maximum {item.max:g}".replace("  ", " "),
                )
        elif item.allowed_values is not None and value not in item.allowed_values:
            violate("value", f"'{value}' is not one of {', '.join(item.allowed_values)}")
        if len(violations) == before:
            normalized.append(NormalizedReading(item_id=item.id, value=value, unit=item.unit))
    return violations, normalized
