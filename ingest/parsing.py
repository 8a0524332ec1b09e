"""An uploaded body (JSON, CSV, Arrow IPC, Parquet; maybe gzip) as one Arrow table of raw readings."""

from __future__ import annotations

import io
import zlib

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from services.kit.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from services.kit.messages import Msg
from services.standards.readings import (
    KIND_BOOL,
    KIND_NULL,
    KIND_NUM,
    KIND_TEXT,
    NUMBER,
    TEXT_COLUMNS,
    bad,
    frame,
    from_objects,
    kinds,
)

JSON, CSV, ARROW, PARQUET = (
    "application/json",
    "text/csv",
    "application/vnd.apache.arrow.stream",
    "application/vnd.apache.parquet",
)
CONTENT_TYPES = {JSON: JSON, CSV: CSV, ARROW: ARROW, PARQUET: PARQUET, "application/x-parquet": PARQUET}


def media_type(content_type: str | None) -> str:
    base = (content_type or "").split(";")[0].strip().lower()
    if base not in CONTENT_TYPES:
        raise UnsupportedMediaType(
            Msg(
                "Content-Type '{content_type}' is not accepted; use one of {content_types}",
                content_type=base or "(none)",
                content_types=", ".join(sorted(CONTENT_TYPES)),
            )
        )
    return CONTENT_TYPES[base]


def decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(
            Msg("Content-Encoding '{encoding}' is not accepted; use gzip or none", encoding=encoding)
        )
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decoder.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadRequest(Msg("body is not valid gzip: {exc}", exc=exc)) from exc
    if len(out) > max_bytes or decoder.unconsumed_tail:
        raise PayloadTooLarge(
            Msg("decompressed body exceeds the limit of {max_bytes} bytes", max_bytes=max_bytes)
        )
    if not decoder.eof:
        raise BadRequest(Msg("gzip body is truncated"))
    return out


def _from_json(body: bytes) -> pa.Table:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad(Msg("body is not valid UTF-8 JSON: {exc}", exc=exc)) from exc
    return from_objects(document.get("readings") if isinstance(document, dict) else None)


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
        raise bad(Msg("body is not valid UTF-8 CSV: {exc}", exc=exc)) from exc
    if "value" not in table.column_names:
        raise bad(Msg("missing column(s): value"))
    raw = table.column("value").combine_chunks()
    numeric = pc.fill_null(pc.match_substring_regex(raw, NUMBER), False)
    columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    columns["value_num"] = pc.if_else(numeric, raw, None).cast(pa.float64())
    columns["value_text"] = pc.if_else(numeric, None, raw)
    columns["value_kind"] = kinds((numeric, KIND_NUM), (pc.is_null(raw), KIND_NULL), otherwise=KIND_TEXT)
    return frame(columns)


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
            raise bad(Msg("column 'value' must be numeric or boolean; send text in 'value_text'"))
        columns["value_num"] = value.cast(pa.float64())
        if pa.types.is_boolean(value.type):
            columns["value_kind"] = kinds((pc.is_null(value), KIND_NULL), otherwise=KIND_BOOL)
    if "value_kind" not in columns:
        text = columns.get("value_text")
        num = columns.get("value_num")
        has_num = pc.is_valid(num) if num is not None else pa.repeat(False, table.num_rows)
        has_text = pc.is_valid(text) if text is not None else pa.repeat(False, table.num_rows)
        columns["value_kind"] = kinds((has_num, KIND_NUM), (has_text, KIND_TEXT), otherwise=KIND_NULL)
    return frame(columns)


def parse(kind: str, body: bytes) -> pa.Table:
    if not body:
        raise bad(Msg("empty body"))
    if kind == JSON:
        return _from_json(body)
    if kind == CSV:
        return _from_csv(body)
    try:
        table = ipc.open_stream(body).read_all() if kind == ARROW else pq.read_table(io.BytesIO(body))
    except (pa.ArrowInvalid, OSError) as exc:
        raise bad(Msg("body is not a valid {kind} payload: {exc}", kind=kind, exc=exc)) from exc
    return _from_arrow_table(table)
