"""Request bodies: backfill files cut into Arrow slices sent as Parquet or Arrow IPC, live records as JSON or
CSV, in the shapes ``POST /api/v1/ingest/batches`` reads (see ``ingest/parsing.py``)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

JSON, CSV = "application/json", "text/csv"
ARROW, PARQUET = "application/vnd.apache.arrow.stream", "application/vnd.apache.parquet"
FORMATS = {"parquet": PARQUET, "arrow": ARROW}
KEY_COLUMNS = ("equipment_id", "model_id", "model_version", "item_id", "ts")
READING_COLUMNS = (*KEY_COLUMNS, "value", "value_num", "value_text", "unit", "quality")
# The platform's rule for CSV text that is a number (ingest/parsing.py): a CSV sent as Parquet means the same.
NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
HASH_CHUNK = 1 << 20


class InputError(Exception):
    """A file or stream the gateway cannot turn into readings."""


@dataclass(frozen=True)
class Body:
    data: bytes
    content_type: str
    content_encoding: str | None


@dataclass(frozen=True)
class FileInfo:
    path: Path
    digest: str  # of the content: the same data yields the same batch ids wherever the file lies
    approx_rows: int
    columns: tuple[str, ...]  # the reading columns the file has


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _header(path: Path) -> list[str]:
    if _is_parquet(path):
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path}: not a Parquet file: {exc}") from exc
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 CSV file: {exc}") from exc


def inspect(path: Path) -> FileInfo:
    """Check every file before the first batch leaves, and fingerprint it (one pass over the bytes)."""
    if path.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise InputError(f"{path}: only .csv and .parquet files are uploaded")
    names = _header(path)
    missing = [c for c in KEY_COLUMNS if c not in names]
    if not {"value", "value_num", "value_text"} & set(names):
        missing.append("value")
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    sha, lines = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            sha.update(chunk)
            lines += chunk.count(b"\n")
    # CSV: lines minus the header (approximate with quoted newlines; only the progress bar uses it).
    rows = pq.ParquetFile(path).metadata.num_rows if _is_parquet(path) else max(0, lines - 1)
    return FileInfo(path, sha.hexdigest(), rows, tuple(c for c in names if c in READING_COLUMNS))


def _csv_batches(info: FileInfo) -> Iterator[pa.RecordBatch]:
    # Every column read as text: a block-wise reader would otherwise infer "value" as a number from the
    # first block and fail on the first text value further down.
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(info.columns, pa.string()),
        strings_can_be_null=True,
        include_columns=list(info.columns),
    )
    try:
        yield from pacsv.open_csv(info.path, convert_options=options)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"{info.path}: not a readable UTF-8 CSV file: {exc}") from exc


def _record_batches(info: FileInfo, rows: int) -> Iterator[pa.RecordBatch]:
    if _is_parquet(info.path):
        return pq.ParquetFile(info.path).iter_batches(batch_size=rows, columns=list(info.columns))
    return _csv_batches(info)


def _text_values_split(table: pa.Table) -> pa.Table:
    """A text ``value`` column (CSV, or Parquet written from it) becomes value_num/value_text, the way the
    platform reads a CSV body: Arrow bodies take only numbers or booleans in ``value``."""
    value = table["value"]
    if pa.types.is_dictionary(value.type) or pa.types.is_large_string(value.type):
        value = value.cast(pa.string())
    if not pa.types.is_string(value.type):
        return table
    numeric = pc.fill_null(pc.match_substring_regex(value, NUMBER), False)
    number = pc.if_else(numeric, pc.utf8_trim_whitespace(value), pa.scalar(None, pa.string())).cast(
        pa.float64()
    )
    text = pc.if_else(numeric, pa.scalar(None, pa.string()), value)
    index = table.schema.get_field_index("value")
    return table.remove_column(index).append_column("value_num", number).append_column("value_text", text)


def slices(info: FileInfo, rows: int) -> Iterator[pa.Table]:
    """The file's readings in tables of exactly ``rows`` rows (the last one shorter), streamed, so a
    backfill larger than memory goes through."""
    buffered: list[pa.RecordBatch] = []
    count = 0
    for batch in _record_batches(info, rows):
        buffered.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(buffered)
            yield _prepared(table.slice(0, rows))
            rest = table.slice(rows)
            buffered, count = rest.to_batches(), rest.num_rows
    if count:
        yield _prepared(pa.Table.from_batches(buffered))


def _prepared(table: pa.Table) -> pa.Table:
    return _text_values_split(table) if "value" in table.column_names else table


def encode_table(table: pa.Table, fmt: str) -> Body:
    if fmt == "parquet":
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        return Body(sink.getvalue(), PARQUET, None)
    stream = pa.BufferOutputStream()
    with ipc.new_stream(stream, table.schema) as writer:
        writer.write_table(table)
    # Arrow IPC is uncompressed; gzip on the wire is what the platform's Content-Encoding accepts.
    return Body(gzip.compress(stream.getvalue().to_pybytes(), compresslevel=5), ARROW, "gzip")


def encode_json(readings: list[dict[str, Any]]) -> Body:
    return Body(gzip.compress(orjson.dumps({"readings": readings}), compresslevel=5), JSON, "gzip")


def encode_csv(header: str, lines: list[str]) -> Body:
    text = "\n".join([header, *lines]) + "\n"
    return Body(gzip.compress(text.encode(), compresslevel=5), CSV, "gzip")
