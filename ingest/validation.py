"""Column-wise validation and normalisation of raw readings against equipment model versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingest.parsing import KIND_BOOL, KIND_NUM, KIND_TEXT
from services.kit.units import UnitError, converter

QUALITIES = ("good", "uncertain", "bad")
SEP = "\x1f"


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    valid: pa.Table  # normalised rows: canonical units, value_num/value_text
    rejections: list[Rejection]  # one per failed check, several per row possible
    rejected_rows: int


@dataclass(frozen=True)
class _Range:
    """A range violation, described per row only for the rows that fail."""

    text: str
    values: pa.Array
    bounds: pa.Array
    units: pa.Array

    def describe(self, row: int) -> str:
        unit = self.units[row].as_py() or ""
        return f"{self.values[row].as_py():g} {unit} is {self.text} {self.bounds[row].as_py():g}".replace(
            "  ", " "
        )


def _key(*columns: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*columns, SEP)


def _item_table(
    models: dict[tuple[str, str], dict[str, Any] | str],
) -> tuple[dict[str, list[Any]], list[str]]:
    """One row per data item of every usable model version, and the allowed ``key|value`` pairs."""
    items: dict[str, list[Any]] = {k: [] for k in ("key", "data_type", "unit", "min", "max")}
    allowed: list[str] = []
    for (model_id, version), doc in models.items():
        if isinstance(doc, str):
            continue
        for item in doc["items"]:
            key = SEP.join((model_id, version, item["id"]))
            items["key"].append(key)
            items["data_type"].append(item["data_type"])
            items["unit"].append(item.get("unit"))
            items["min"].append(item.get("min"))
            items["max"].append(item.get("max"))
            allowed.extend(f"{key}{SEP}{v}" for v in item.get("allowed_values") or [])
    return items, allowed


def _unit_maps(pairs: pa.Array, candidates: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Per row: scale, offset and whether (sent unit -> canonical unit) converts at all."""
    known: dict[str, tuple[float, float] | None] = {}
    for pair in pc.unique(candidates).to_pylist():
        src, dst = pair.split(SEP)
        try:
            known[pair] = converter(src, dst) if src and dst and src != dst else (1.0, 0.0)
        except UnitError:
            known[pair] = None
    index = pc.index_in(pairs, pa.array(list(known), pa.string()))
    scales = pa.array([(s or (1.0, 0.0))[0] for s in known.values()], pa.float64())
    offsets = pa.array([(s or (1.0, 0.0))[1] for s in known.values()], pa.float64())
    ok = pa.array([s is not None for s in known.values()], pa.bool_())
    return pc.take(scales, index), pc.take(offsets, index), pc.fill_null(pc.take(ok, index), True)


def validate(
    table: pa.Table,
    models: dict[tuple[str, str], dict[str, Any] | str],
    now: datetime | None = None,
    future_tolerance: timedelta = timedelta(minutes=5),
) -> Outcome:
    """``models`` maps (model_id, version) to the standards service's version document, or to the reason
    it cannot be used (unknown, unpublished)."""
    n = table.num_rows
    now = now or datetime.now(UTC)
    failures: list[tuple[pa.Array, str, str | list[str | None] | _Range]] = []
    items, allowed = _item_table(models)

    model_ok = pa.repeat(True, n)
    unusable_docs = {f"{m}{SEP}{v}": doc for (m, v), doc in models.items() if isinstance(doc, str)}
    if unusable_docs:
        model_key = _key(table["model_id"], table["model_version"])
        unusable = pc.is_in(model_key, pa.array(list(unusable_docs), pa.string()))
        reasons = [unusable_docs.get(k) for k in model_key.to_pylist()] if pc.any(unusable).as_py() else []
        failures.append((unusable, "model_version", reasons))
        model_ok = pc.invert(unusable)
    item_key = _key(table["model_id"], table["model_version"], table["item_id"])
    index = pc.index_in(item_key, pa.array(items["key"], pa.string()))
    failures.append(
        (pc.and_(model_ok, pc.is_null(index)), "item_id", "unknown data item for this model version")
    )

    data_type = pc.take(pa.array(items["data_type"], pa.string()), index)
    canonical = pc.take(pa.array(items["unit"], pa.string()), index)
    kind, value = table["value_kind"], table["value_num"]
    numeric = pc.fill_null(pc.is_in(data_type, pa.array(["float", "int"])), False)
    is_bool = pc.fill_null(pc.equal(data_type, "bool"), False)
    is_text = pc.fill_null(pc.equal(data_type, "string"), False)
    failures.append((pc.and_(numeric, pc.not_equal(kind, KIND_NUM)), "value", "expected a number"))
    failures.append((pc.and_(is_bool, pc.not_equal(kind, KIND_BOOL)), "value", "expected a boolean"))
    failures.append((pc.and_(is_text, pc.not_equal(kind, KIND_TEXT)), "value", "expected a string"))
    num_ok = pc.and_(numeric, pc.equal(kind, KIND_NUM))
    not_finite = pc.and_(num_ok, pc.invert(pc.fill_null(pc.is_finite(value), False)))
    failures.append((not_finite, "value", "NaN and Infinity are not values"))

    sent = pc.if_else(pc.is_null(table["unit"]), canonical, table["unit"])
    pairs = _key(pc.fill_null(sent, ""), pc.fill_null(canonical, ""))
    scale, offset, convertible = _unit_maps(pairs, pc.filter(pairs, num_ok))
    bad_unit = pc.and_(num_ok, pc.invert(convertible))
    failures.append((bad_unit, "unit", "unit cannot be converted to the item's canonical unit"))
    converted = pc.add(pc.multiply(value, scale), offset)
    int_item = pc.fill_null(pc.equal(data_type, "int"), False)
    checked = pc.and_(pc.and_(num_ok, pc.invert(not_finite)), pc.invert(bad_unit))
    lo = pc.take(pa.array(items["min"], pa.float64()), index)
    hi = pc.take(pa.array(items["max"], pa.float64()), index)
    failures.append(
        (
            pc.and_(checked, pc.less(converted, lo)),
            "value",
            _Range("below the minimum", converted, lo, canonical),
        )
    )
    failures.append(
        (
            pc.and_(checked, pc.greater(converted, hi)),
            "value",
            _Range("above the maximum", converted, hi, canonical),
        )
    )
    failures.append(
        (
            pc.and_(pc.and_(checked, int_item), pc.not_equal(converted, pc.round(converted))),
            "value",
            "expected an integer",
        )
    )

    if allowed:
        with_list = pa.array(sorted({a.rsplit(SEP, 1)[0] for a in allowed}), pa.string())
        text_key = _key(item_key, pc.fill_null(table["value_text"], ""))
        not_allowed = pc.and_(
            pc.and_(is_text, pc.is_in(item_key, with_list)),
            pc.invert(pc.is_in(text_key, pa.array(allowed, pa.string()))),
        )
        failures.append((not_allowed, "value", "not one of the item's allowed values"))

    ts = table["ts"]
    failures.append((pc.is_null(ts), "ts", "timestamp missing, unparsable or without a time zone"))
    failures.append(
        (pc.greater(ts, pa.scalar(now + future_tolerance, type=ts.type)), "ts", "timestamp is in the future")
    )
    failures.append(
        (
            pc.invert(pc.is_in(table["quality"], pa.array(QUALITIES))),
            "quality",
            f"quality must be one of {', '.join(QUALITIES)}",
        )
    )
    failures.append(
        (
            pc.fill_null(pc.equal(pc.utf8_length(table["equipment_id"]), 0), True),
            "equipment_id",
            "equipment_id is required",
        )
    )

    rejections: list[Rejection] = []
    bad = pa.repeat(False, n)
    for mask, field, reason in failures:
        mask = pc.fill_null(mask, False)
        if not pc.any(mask).as_py():
            continue
        bad = pc.or_(bad, mask)
        for row in pc.indices_nonzero(mask).to_pylist():
            text = (
                reason
                if isinstance(reason, str)
                else (reason.describe(row) if isinstance(reason, _Range) else str(reason[row]))
            )
            rejections.append(Rejection(row, field, text))
    rejections.sort(key=lambda r: r.row)
    valid = pa.table(
        {
            **{
                c: table[c] for c in ("equipment_id", "model_id", "model_version", "item_id", "ts", "quality")
            },
            "value_num": pc.if_else(num_ok, converted, pc.if_else(is_bool, value, None)),
            "value_text": pc.if_else(is_text, table["value_text"], None),
            "unit": pc.if_else(numeric, canonical, None),
        }
    ).filter(pc.invert(bad))
    return Outcome(valid, rejections, n - valid.num_rows)
