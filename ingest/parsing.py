"""An uploaded body (JSON, CSV, Arrow IPC, Parquet; maybe gzip) as one Arrow table of raw readings."""

from __future__ import annotations

import io
import zlib
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from catalog.lake import UTC_US
from ingest import dictionaries
from services.kit.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, field_error

JSON, CSV, ARROW, PARQUET = (
    "application/json",
    "text/csv",
    "application/vnd.apache.arrow.stream",
    "application/vnd.apache.parquet",
)
CONTENT_TYPES = {JSON: JSON, CSV: CSV, ARROW: ARROW, PARQUET: PARQUET, "application/x-parquet": PARQUET}
TEXT_COLUMNS = ("equipment_id", "model_id", "model_version", "item_id")
MAX_FIELD_CHARS = 1000

# value_kind tells which JSON type a value had, so "1" and 1 and true stay distinguishable.
KIND_NUM, KIND_TEXT, KIND_BOOL, KIND_NULL = "num", "text", "bool", "null"
KINDS = (KIND_NUM, KIND_TEXT, KIND_BOOL, KIND_NULL)
_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


def media_type(content_type: str | None) -> str:
    base = (content_type or "").split(";")[0].strip().lower()
    if base not in CONTENT_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type '{base or '(none)'}' is not accepted; "
            f"use one of {', '.join(sorted(CONTENT_TYPES))}",
            detail_ko="지원하지 않는 Content-Type입니다",
        )
    return CONTENT_TYPES[base]


def decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(f"Content-Encoding '{encoding}' is not accepted; use gzip or none")
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decoder.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadRequest(f"body is not valid gzip: {exc}", detail_ko="gzip 형식이 올바르지 않습니다") from exc
    if len(out) > max_bytes or decoder.unconsumed_tail:
        raise PayloadTooLarge(
            f"decompressed body exceeds the limit of {max_bytes} bytes",
            detail_ko=f"압축 해제 크기가 한도({max_bytes} bytes)를 넘습니다",
        )
    if not decoder.eof:
        raise BadRequest("gzip body is truncated", detail_ko="gzip 본문이 잘렸습니다")
    return out


def _bad(detail: str, loc: str = "body") -> BadRequest:
    return BadRequest(detail, fields=[field_error(loc, detail)])


def _timestamps(values: pa.Array) -> pa.Array:
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
        return dictionaries.as_dictionary(columns[name])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _bad(f"column '{name}' must hold text", f"body.{name}") from exc


def _kinds(*cases: tuple[pa.Array, str], otherwise: str) -> pa.DictionaryArray:
    """value_kind per row: the kind of the first case whose mask holds, else ``otherwise``."""
    codes: pa.Array | pa.Scalar = pa.scalar(KINDS.index(otherwise), pa.int32())
    for mask, kind in reversed(cases):
        codes = pc.if_else(pc.fill_null(mask, False), pa.scalar(KINDS.index(kind), pa.int32()), codes)
    return dictionaries.from_codes(codes, KINDS)


def _frame(columns: dict[str, pa.Array]) -> pa.Table:
    missing = [c for c in (*TEXT_COLUMNS, "ts") if c not in columns]
    if missing:
        raise _bad(f"missing column(s): {', '.join(missing)}")
    rows = len(columns["item_id"])
    out: dict[str, pa.Array] = {c: _text(columns, c) for c in TEXT_COLUMNS}
    for name in TEXT_COLUMNS:
        too_long = dictionaries.per_row(out[name], lambda values: pc.greater(pc.utf8_length(values), 128))
        if pc.any(too_long).as_py():
            row = pc.index(too_long, True).as_py()
            raise _bad(f"{name} longer than 128 characters", f"rows[{row}].{name}")
    out["ts"] = _timestamps(columns["ts"])
    try:
        out["value_num"] = columns.get("value_num", pa.nulls(rows, pa.float64())).cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _bad("column 'value_num' must be numeric", "body.value_num") from exc
    for name in ("value_text", "unit", "quality"):
        out[name] = _text(columns, name) if name in columns else dictionaries.constant(None, rows)
    if out["quality"].null_count:
        out["quality"] = dictionaries.as_dictionary(pc.fill_null(out["quality"].dictionary_decode(), "good"))
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
            raise _bad(f"value longer than {MAX_FIELD_CHARS} characters", f"body.readings[{row}].value")
        return None, value, KIND_TEXT
    if value is None:
        return None, None, KIND_NULL
    raise _bad("value must be a number, a string or a boolean", f"body.readings[{row}].value")


def _json_values_row_by_row(values: list[Any]) -> dict[str, pa.Array]:
    """The exact, slow reading of mixed values: numbers, strings, booleans and nulls in one column."""
    nums, texts, kinds = zip(*(_json_value(row, value) for row, value in enumerate(values)), strict=True)
    return {
        "value_num": pa.array(nums, pa.float64()),
        "value_text": pa.array(texts, pa.string()),
        "value_kind": dictionaries.as_dictionary(pa.array(kinds, pa.string())),
    }


def _json_values(values: list[Any]) -> dict[str, pa.Array]:
    """A column of only numbers (the usual batch) is converted in C; anything else row by row."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return _json_values_row_by_row(values)
    if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        return _json_values_row_by_row(values)
    return {
        "value_num": array.cast(pa.float64()),
        "value_text": pa.nulls(len(array), pa.string()),
        "value_kind": _kinds((pc.is_null(array), KIND_NULL), otherwise=KIND_NUM),
    }


def _json_text_column(readings: list[dict[str, Any]], name: str) -> pa.Array:
    values = [reading.get(name) for reading in readings]
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        row = next(i for i, v in enumerate(values) if v is not None and not isinstance(v, str))
        raise _bad(f"{name} must be a string", f"body.readings[{row}].{name}") from exc


def _from_json(body: bytes) -> pa.Table:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"body is not valid UTF-8 JSON: {exc}") from exc
    readings = document.get("readings") if isinstance(document, dict) else None
    if not isinstance(readings, list) or not readings:
        raise _bad('expected {"readings": [ ... ]} with at least one reading', "body.readings")
    not_object = next((row for row, r in enumerate(readings) if not isinstance(r, dict)), None)
    if not_object is not None:
        raise _bad("each reading must be an object", f"body.readings[{not_object}]")
    arrays = {name: _json_text_column(readings, name) for name in (*TEXT_COLUMNS, "ts", "unit", "quality")}
    return _frame(arrays | _json_values([reading.get("value") for reading in readings]))


def _from_csv(body: bytes) -> pa.Table:
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in (*TEXT_COLUMNS, "ts", "value", "unit", "quality")},
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _bad(f"body is not valid UTF-8 CSV: {exc}") from exc
    if "value" not in table.column_names:
        raise _bad("missing column(s): value")
    raw = table.column("value").combine_chunks()
    numeric = pc.fill_null(pc.match_substring_regex(raw, _NUMBER), False)
    columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    columns["value_num"] = pc.if_else(numeric, raw, None).cast(pa.float64())
    columns["value_text"] = pc.if_else(numeric, None, raw)
    columns["value_kind"] = _kinds((numeric, KIND_NUM), (pc.is_null(raw), KIND_NULL), otherwise=KIND_TEXT)
    return _frame(columns)


def _from_arrow_table(table: pa.Table) -> pa.Table:
    columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    columns.pop("value_kind", None)  # derived from the values below, never taken from the client
    value = columns.pop("value", None)
    if value is not None:
        if not (
            pa.types.is_floating(value.type)
            or pa.types.is_integer(value.type)
            or pa.types.is_boolean(value.type)
        ):
            raise _bad("column 'value' must be numeric or boolean; send text in 'value_text'")
        columns["value_num"] = value.cast(pa.float64())
        if pa.types.is_boolean(value.type):
            columns["value_kind"] = _kinds((pc.is_null(value), KIND_NULL), otherwise=KIND_BOOL)
    if "value_kind" not in columns:
        text = columns.get("value_text")
        num = columns.get("value_num")
        has_num = pc.is_valid(num) if num is not None else pa.repeat(False, table.num_rows)
        has_text = pc.is_valid(text) if text is not None else pa.repeat(False, table.num_rows)
        columns["value_kind"] = _kinds((has_num, KIND_NUM), (has_text, KIND_TEXT), otherwise=KIND_NULL)
    return _frame(columns)


def parse(kind: str, body: bytes) -> pa.Table:
    if not body:
        raise _bad("empty body")
    if kind == JSON:
        return _from_json(body)
    if kind == CSV:
        return _from_csv(body)
    try:
        table = ipc.open_stream(body).read_all() if kind == ARROW else pq.read_table(io.BytesIO(body))
    except (pa.ArrowInvalid, OSError) as exc:
        raise _bad(f"body is not a valid {kind} payload: {exc}") from exc
    return _from_arrow_table(table)
