"""Readings as one Arrow table: the columns every check and the lake rely on, built from any payload.

The contract between an upload (``ingest.parsing`` decodes JSON, CSV, Arrow or Parquet into it), the
``/validate`` endpoint of this service and the one validator (``services.standards.validation``): text
columns as dictionary arrays, ``ts`` as UTC microseconds (null where missing, unparsable or zone-less),
``value_num`` / ``value_text`` with ``value_kind`` telling which JSON type the value had.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from services.kit import arrow
from services.kit.arrow import UTC_US
from services.kit.errors import BadRequest, field_error
from services.kit.messages import Msg

TEXT_COLUMNS = ("equipment_id", "model_id", "model_version", "item_id")
MAX_FIELD_CHARS = 1000

# value_kind tells which JSON type a value had, so "1" and 1 and true stay distinguishable.
KIND_NUM, KIND_TEXT, KIND_BOOL, KIND_NULL = "num", "text", "bool", "null"
KINDS = (KIND_NUM, KIND_TEXT, KIND_BOOL, KIND_NULL)
NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


def bad(detail: Msg, loc: str = "body") -> BadRequest:
    return BadRequest(detail, fields=[field_error(loc, detail)])


def timestamps(values: pa.Array) -> pa.Array:
    """UTC timestamps; unparsable or zone-less values become null (reported by validation)."""
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            return pa.nulls(len(values), UTC_US)
        return values.cast(UTC_US)
    try:
        return values.cast(pa.string()).cast(UTC_US)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed: list[datetime | None] = []
        for text in values.cast(pa.string()).to_pylist():
            try:
                stamp = datetime.fromisoformat(text) if text else None
            except ValueError:
                stamp = None
            parsed.append(stamp if stamp is not None and stamp.tzinfo is not None else None)
        return pa.array(parsed, UTC_US)


def _text(columns: dict[str, pa.Array], name: str) -> pa.DictionaryArray:
    try:
        return arrow.as_dictionary(columns[name])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise bad(Msg("column '{name}' must hold text", name=name), f"body.{name}") from exc


def kinds(*cases: tuple[pa.Array, str], otherwise: str) -> pa.DictionaryArray:
    """value_kind per row: the kind of the first case whose mask holds, else ``otherwise``."""
    codes: pa.Array | pa.Scalar = pa.scalar(KINDS.index(otherwise), pa.int32())
    for mask, kind in reversed(cases):
        codes = pc.if_else(pc.fill_null(mask, False), pa.scalar(KINDS.index(kind), pa.int32()), codes)
    return arrow.from_codes(codes, KINDS)


def frame(columns: dict[str, pa.Array]) -> pa.Table:
    missing = [c for c in (*TEXT_COLUMNS, "ts") if c not in columns]
    if missing:
        raise bad(Msg("missing column(s): {missing}", missing=", ".join(missing)))
    rows = len(columns["item_id"])
    out: dict[str, pa.Array] = {c: _text(columns, c) for c in TEXT_COLUMNS}
    for name in TEXT_COLUMNS:
        too_long = arrow.per_row(out[name], lambda values: pc.greater(pc.utf8_length(values), 128))
        if pc.any(too_long).as_py():
            row = pc.index(too_long, True).as_py()
            raise bad(Msg("{name} longer than 128 characters", name=name), f"rows[{row}].{name}")
    out["ts"] = timestamps(columns["ts"])
    try:
        out["value_num"] = columns.get("value_num", pa.nulls(rows, pa.float64())).cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise bad(Msg("column 'value_num' must be numeric"), "body.value_num") from exc
    for name in ("value_text", "unit", "quality"):
        out[name] = _text(columns, name) if name in columns else arrow.constant(None, rows)
    if out["quality"].null_count:
        out["quality"] = arrow.as_dictionary(pc.fill_null(out["quality"].dictionary_decode(), "good"))
    out["value_kind"] = columns["value_kind"]
    return pa.table(out)


def _json_value(row: int, value: Any) -> tuple[float | None, str | None, str]:
    """One JSON value as (number, text, kind)."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), None, KIND_BOOL
    if isinstance(value, int | float):
        return float(value), None, KIND_NUM
    if isinstance(value, str):
        if len(value) > MAX_FIELD_CHARS:
            raise bad(
                Msg("value longer than {max_field_chars} characters", max_field_chars=MAX_FIELD_CHARS),
                f"body.readings[{row}].value",
            )
        return None, value, KIND_TEXT
    if value is None:
        return None, None, KIND_NULL
    raise bad(Msg("value must be a number, a string or a boolean"), f"body.readings[{row}].value")


def _json_values_row_by_row(values: list[Any]) -> dict[str, pa.Array]:
    """The exact, slow reading of mixed values: numbers, strings, booleans and nulls in one column."""
    nums, texts, kinds = zip(*(_json_value(row, value) for row, value in enumerate(values)), strict=True)
    return {
        "value_num": pa.array(nums, pa.float64()),
        "value_text": pa.array(texts, pa.string()),
        "value_kind": arrow.as_dictionary(pa.array(kinds, pa.string())),
    }


def json_values(values: list[Any]) -> dict[str, pa.Array]:
    """A column of only numbers (the usual batch) is converted in C; anything else row by row."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return _json_values_row_by_row(values)
    if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        return _json_values_row_by_row(values)
    if any(type(value) is bool for value in values):
        # pyarrow reads [3000.0, true] as two doubles: the boolean would pass as the number 1.
        return _json_values_row_by_row(values)
    return {
        "value_num": array.cast(pa.float64()),
        "value_text": pa.nulls(len(array), pa.string()),
        "value_kind": kinds((pc.is_null(array), KIND_NULL), otherwise=KIND_NUM),
    }


def json_text_column(readings: list[dict[str, Any]], name: str) -> pa.Array:
    values = [reading.get(name) for reading in readings]
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        row = next(i for i, v in enumerate(values) if v is not None and not isinstance(v, str))
        raise bad(Msg("{name} must be a string", name=name), f"body.readings[{row}].{name}") from exc


def from_objects(readings: Any) -> pa.Table:
    """``[{"equipment_id": …, "model_id": …, "model_version": …, "item_id": …, "ts": …, "value": …,
    "unit": …, "quality": …}, …]`` (the JSON upload's ``readings``) as the readings table."""
    if not isinstance(readings, list) or not readings:
        raise bad(Msg('expected {{"readings": [ ... ]}} with at least one reading'), "body.readings")
    not_object = next((row for row, r in enumerate(readings) if not isinstance(r, dict)), None)
    if not_object is not None:
        raise bad(Msg("each reading must be an object"), f"body.readings[{not_object}]")
    arrays = {name: json_text_column(readings, name) for name in (*TEXT_COLUMNS, "ts", "unit", "quality")}
    return frame(arrays | json_values([reading.get("value") for reading in readings]))
