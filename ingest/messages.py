"""What travels on the bus: Arrow IPC streams of normalised readings or dead letters, with headers."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.ipc as ipc

from services.kit import arrow

MAX_CHUNK_BYTES = 8 * 1024 * 1024


# Readings repeat their factory, model, item and unit strings on every row: dictionary-encoded (as
# services.kit.arrow keeps them) and zstd-compressed inside Arrow (multithreaded C++), a message is ~8x
# smaller than plain IPC, so the bus itself needs no compression of its own.
_OPTIONS = ipc.IpcWriteOptions(compression="zstd")


def encode(table: pa.Table) -> bytes:
    compact = pa.table(
        {
            name: arrow.as_dictionary(column) if pa.types.is_string(column.type) else column
            for name, column in zip(table.column_names, table.columns, strict=True)
        }
    )
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, compact.schema, options=_OPTIONS) as writer:
        writer.write_table(compact)
    return sink.getvalue().to_pybytes()


def decode(value: bytes) -> pa.Table:
    """The table as sent, text still in dictionary columns (the lake writer writes them as they are)."""
    return ipc.open_stream(value).read_all()


def chunks(table: pa.Table, max_bytes: int = MAX_CHUNK_BYTES) -> list[pa.Table]:
    """Slices small enough for one bus message each (at least one row per slice)."""
    if table.num_rows == 0:
        return []
    per_row = max(1, table.nbytes // table.num_rows)
    rows = max(1, max_bytes // per_row)
    return [table.slice(start, rows) for start in range(0, table.num_rows, rows)]
