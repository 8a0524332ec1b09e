"""What changed between two versions of a model, and whether uploads made for the old one still pass.

Backward compatible for uploads means: every reading valid against the old version is valid against the
new one. Removing an item, changing its data type, moving its unit to another quantity, narrowing its range
or its allowed values breaks that; adding items, renaming, remapping, new roles or semantic ids do not.
"""

from __future__ import annotations

from typing import Any

from services.kit.units import UNITS, convert
from services.standards.schemas import DataItem, ItemChange, VersionDiff

FIELDS = ("name", "category", "data_type", "unit", "min", "max", "allowed_values", "semantic_id", "role",
          "mappings", "source")  # fmt: skip


def _plain(value: Any) -> Any:
    return value.model_dump() if hasattr(value, "model_dump") else value


def _breaks(old: DataItem, new: DataItem) -> list[str]:
    """Why a reading valid for ``old`` may fail ``new`` (empty: it cannot)."""
    reasons = []
    if old.data_type != new.data_type:
        reasons.append(f"data type {old.data_type} -> {new.data_type}")
    old_min, old_max = old.min, old.max
    if old.unit != new.unit:
        if not (old.unit and new.unit and UNITS[old.unit].quantity == UNITS[new.unit].quantity):
            return [*reasons, f"unit {old.unit} -> {new.unit} cannot be converted"]
        # Compare the ranges in the new unit (°C -> °F moves both bounds).
        old_min = convert(old_min, old.unit, new.unit) if old_min is not None else None
        old_max = convert(old_max, old.unit, new.unit) if old_max is not None else None
    if new.min is not None and (old_min is None or new.min > old_min + 1e-9):
        reasons.append(f"minimum raised to {new.min:g}")
    if new.max is not None and (old_max is None or new.max < old_max - 1e-9):
        reasons.append(f"maximum lowered to {new.max:g}")
    if new.allowed_values is not None:
        lost = sorted(set(old.allowed_values or []) - set(new.allowed_values))
        if old.allowed_values is None:
            reasons.append("allowed values now restricted")
        elif lost:
            reasons.append(f"values no longer allowed: {', '.join(lost)}")
    return reasons


def diff(
    model_id: str, old_version: str | None, old: list[DataItem], new_version: str, new: list[DataItem]
) -> VersionDiff:
    before, after = {i.id: i for i in old}, {i.id: i for i in new}
    changed: list[ItemChange] = []
    incompatible: list[str] = [f"item {item_id} removed" for item_id in before if item_id not in after]
    for item_id, new_item in after.items():
        old_item = before.get(item_id)
        if old_item is None:
            continue
        fields = {
            name: {"from": _plain(getattr(old_item, name)), "to": _plain(getattr(new_item, name))}
            for name in FIELDS
            if getattr(old_item, name) != getattr(new_item, name)
        }
        if fields:
            breaks = _breaks(old_item, new_item)
            changed.append(ItemChange(item_id=item_id, fields=fields, breaks_uploads=breaks))
            incompatible += [f"item {item_id}: {reason}" for reason in breaks]
    return VersionDiff(
        model_id=model_id,
        from_version=old_version,
        to_version=new_version,
        added=[i for i in after if i not in before],
        removed=[i for i in before if i not in after],
        changed=changed,
        backward_compatible=not incompatible,
        incompatibilities=incompatible,
    )
