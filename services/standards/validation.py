"""The one check of readings against equipment model versions, column-wise: uploads and ``/validate`` use it.

Input is the readings table of ``services.standards.readings``; each model version is given typed (its
``DataItem`` list) or as the reason it cannot take data. Every check on a model, item or unit is made once
per distinct (model, version, item, sent unit) combination and spread to its rows, so the cost of a batch
grows with its rows only through vectorised Arrow kernels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from services.kit import arrow
from services.kit.units import UnitError, converter
from services.standards import readings
from services.standards.readings import KIND_BOOL, KIND_NUM, KIND_TEXT
from services.standards.schemas import DataItem, NormalizedReading, Reading, ValidateResult, Violation

QUALITIES = ("good", "uncertain", "bad")
_TEXT = (
    "equipment_id",
    "model_id",
    "model_version",
    "item_id",
    "unit",
    "quality",
    "value_text",
    "value_kind",
)
_NOT_ALLOWED = "not one of the item's allowed values"
# A value converted to an int item's unit counts as an integer within this relative error (1.1 cm is 11 mm,
# although 1.1 * 10 is 11.000000000000002 in binary floating point).
_INT_TOLERANCE = 1e-9
Models = Mapping[tuple[str, str], Sequence[DataItem] | str]


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


@dataclass(frozen=True)
class _Items:
    """What the rows' (model, version, item, sent unit) combinations mean, one entry per combination."""

    unusable: list[str | None]  # why the model version cannot take data
    known: list[bool]  # the item exists in a usable model version
    data_type: list[str | None]
    canonical: list[str | None]
    lo: list[float | None]
    hi: list[float | None]
    scale: list[float]
    offset: list[float]
    convertible: list[bool]  # the sent unit converts to the canonical one (or none was sent)
    choices: list[frozenset[str] | None]  # allowed text values, where the item restricts them


def _conversion(sent: str | None, canonical: str | None) -> tuple[float, float] | None:
    if not sent or not canonical or sent == canonical:
        return 1.0, 0.0
    try:
        return converter(sent, canonical)
    except UnitError:
        return None


def _describe(combos: list[tuple[Any, ...]], models: Models) -> _Items:
    fields: dict[str, list[Any]] = {name: [] for name in _Items.__dataclass_fields__}
    for model_id, version, item_id, sent in combos:
        contract = models.get((model_id or "", version or ""), "")
        item = next((i for i in contract if i.id == item_id), None) if not isinstance(contract, str) else None
        conversion = _conversion(sent, item.unit if item else None)
        fields["unusable"].append(contract if isinstance(contract, str) else None)
        fields["known"].append(item is not None)
        fields["data_type"].append(item.data_type if item else None)
        fields["canonical"].append(item.unit if item else None)
        fields["lo"].append(item.min if item else None)
        fields["hi"].append(item.max if item else None)
        fields["scale"].append((conversion or (1.0, 0.0))[0])
        fields["offset"].append((conversion or (1.0, 0.0))[1])
        fields["convertible"].append(conversion is not None)
        fields["choices"].append(frozenset(item.allowed_values) if item and item.allowed_values else None)
    return _Items(**fields)


def _spread(values: list[Any], group: pa.Array, type_: pa.DataType) -> pa.Array:
    return pc.take(pa.array(values, type_), group)


def _not_allowed(text: pa.DictionaryArray, group: pa.Array, items: _Items, is_text: pa.Array) -> pa.Array:
    """Text values outside their item's list of allowed values, judged once per (item, text) pair."""
    groups = arrow.from_codes(group, [str(g) for g in range(len(items.choices))])
    pair, combos = arrow.factorize([groups, text])
    outside = []
    for g, value in combos:
        choices = items.choices[int(g)]
        outside.append(choices is not None and value not in choices)
    return pc.and_(is_text, _spread(outside, pair, pa.bool_()))


def validate(table: pa.Table, models: Models, now: datetime, future_tolerance: timedelta) -> Outcome:
    """``models`` maps (model_id, version) to the version's data items, or to the reason it cannot be used
    (unknown, unpublished). ``now`` and ``future_tolerance`` bound how far ahead a timestamp may be."""
    n = table.num_rows
    failures: list[tuple[pa.Array, str, str | list[str | None] | _Range]] = []
    columns = {name: arrow.as_dictionary(table[name]) for name in _TEXT}
    group, combos = arrow.factorize([columns[c] for c in ("model_id", "model_version", "item_id", "unit")])
    items = _describe(combos, models)

    unusable = _spread([r is not None for r in items.unusable], group, pa.bool_())
    if any(r is not None for r in items.unusable):
        reasons = [items.unusable[g] for g in group.to_pylist()]
        failures.append((unusable, "model_version", reasons))
    known = _spread(items.known, group, pa.bool_())
    failures.append(
        (
            pc.and_(pc.invert(unusable), pc.invert(known)),
            "item_id",
            "unknown data item for this model version",
        )
    )

    def kind_is(kind: str) -> pa.Array:
        return arrow.per_row(columns["value_kind"], lambda values: pc.equal(values, kind))

    data_types = items.data_type
    numeric = _spread([t in ("float", "int") for t in data_types], group, pa.bool_())
    is_bool = _spread([t == "bool" for t in data_types], group, pa.bool_())
    is_text = _spread([t == "string" for t in data_types], group, pa.bool_())
    is_num_kind = kind_is(KIND_NUM)
    value = table["value_num"]
    failures.append((pc.and_(numeric, pc.invert(is_num_kind)), "value", "expected a number"))
    failures.append((pc.and_(is_bool, pc.invert(kind_is(KIND_BOOL))), "value", "expected a boolean"))
    failures.append((pc.and_(is_text, pc.invert(kind_is(KIND_TEXT))), "value", "expected a string"))
    num_ok = pc.and_(numeric, is_num_kind)
    not_finite = pc.and_(num_ok, pc.invert(pc.fill_null(pc.is_finite(value), False)))
    failures.append((not_finite, "value", "NaN and Infinity are not values"))

    bad_unit = pc.and_(num_ok, pc.invert(_spread(items.convertible, group, pa.bool_())))
    failures.append((bad_unit, "unit", "unit cannot be converted to the item's canonical unit"))
    converted = value
    if any(s != 1.0 for s in items.scale) or any(o != 0.0 for o in items.offset):
        scale = _spread(items.scale, group, pa.float64())
        converted = pc.add(pc.multiply(value, scale), _spread(items.offset, group, pa.float64()))
    checked = pc.and_(pc.and_(num_ok, pc.invert(not_finite)), pc.invert(bad_unit))
    units = sorted({c for c in items.canonical if c})
    unit_codes = _spread([units.index(c) if c else None for c in items.canonical], group, pa.int32())
    canonical = arrow.from_codes(pc.if_else(numeric, unit_codes, None), units)
    if any(v is not None for v in items.lo):
        lo = _spread(items.lo, group, pa.float64())
        below = _Range("below the minimum", converted, lo, canonical)
        failures.append((pc.and_(checked, pc.less(converted, lo)), "value", below))
    if any(v is not None for v in items.hi):
        hi = _spread(items.hi, group, pa.float64())
        above = _Range("above the maximum", converted, hi, canonical)
        failures.append((pc.and_(checked, pc.greater(converted, hi)), "value", above))
    if "int" in data_types:
        int_item = _spread([t == "int" for t in data_types], group, pa.bool_())
        nearest = pc.round(converted)
        off = pc.abs(pc.subtract(converted, nearest))
        allowed = pc.multiply(pc.max_element_wise(pc.abs(converted), 1.0), _INT_TOLERANCE)
        failures.append(
            (pc.and_(pc.and_(checked, int_item), pc.greater(off, allowed)), "value", "expected an integer")
        )
        converted = pc.if_else(int_item, nearest, converted)
    if any(items.choices):
        failures.append((_not_allowed(columns["value_text"], group, items, is_text), "value", _NOT_ALLOWED))

    ts = table["ts"]
    failures.append((pc.is_null(ts), "ts", "timestamp missing, unparsable or without a time zone"))
    failures.append(
        (pc.greater(ts, pa.scalar(now + future_tolerance, type=ts.type)), "ts", "timestamp is in the future")
    )
    failures.append(
        (
            pc.invert(
                arrow.per_row(columns["quality"], lambda values: pc.is_in(values, pa.array(QUALITIES)))
            ),
            "quality",
            f"quality must be one of {', '.join(QUALITIES)}",
        )
    )
    no_equipment = arrow.per_row(columns["equipment_id"], lambda values: pc.equal(pc.utf8_length(values), 0))
    failures.append((pc.fill_null(no_equipment, True), "equipment_id", "equipment_id is required"))

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
            **{c: columns[c] for c in ("equipment_id", "model_id", "model_version", "item_id")},
            "ts": ts,
            "quality": columns["quality"],
            "value_num": pc.if_else(num_ok, converted, pc.if_else(is_bool, value, None)),
            "value_text": pc.if_else(is_text, columns["value_text"], None),
            "unit": canonical,
        }
    ).filter(pc.invert(bad))
    return Outcome(valid, rejections, n - valid.num_rows)


def validate_samples(
    items: list[DataItem], samples: list[Reading], now: datetime, future_tolerance: timedelta
) -> ValidateResult:
    """``/validate``: sample readings of one model version through the same check as an upload."""
    table = readings.from_objects(
        [
            {
                "equipment_id": "sample",
                "model_id": "m",
                "model_version": "v",
                "item_id": sample.item_id,
                # A sample without a time is checked as if read now; a naive one fails like in an upload.
                "ts": (sample.timestamp or now).isoformat(),
                "value": sample.value,
                "unit": sample.unit,
            }
            for sample in samples
        ]
    )
    outcome = validate(table, {("m", "v"): items}, now, future_tolerance)
    violations = [
        Violation(
            index=r.row,
            item_id=samples[r.row].item_id,
            field="timestamp" if r.field == "ts" else r.field,
            reason=r.reason,
        )
        for r in outcome.rejections
    ]
    types = {item.id: item.data_type for item in items}
    normalized = [
        NormalizedReading(item_id=row["item_id"], value=_typed(types[row["item_id"]], row), unit=row["unit"])
        for row in outcome.valid.select(["item_id", "value_num", "value_text", "unit"]).to_pylist()
    ]
    return ValidateResult(valid=not violations, violations=violations, normalized=normalized)


def _typed(data_type: str, row: dict[str, Any]) -> float | int | bool | str:
    if data_type == "string":
        return str(row["value_text"])
    if data_type == "bool":
        return bool(row["value_num"])
    return int(row["value_num"]) if data_type == "int" else float(row["value_num"])
