"""What travels on the bus: Arrow IPC streams of normalised readings or dead letters, with headers."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.ipc as ipc

MAX_CHUNK_BYTES = 8 * 1024 * 1024


def encode(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode(value: bytes) -> pa.Table:
    return ipc.open_stream(value).read_all()


def chunks(table: pa.Table, max_bytes: int = MAX_CHUNK_BYTES) -> list[pa.Table]:
    """Slices small enough for one bus message each (at least one row per slice)."""
    if table.num_rows == 0:
        return []
    per_row = max(1, table.nbytes // table.num_rows)
    rows = max(1, max_bytes // per_row)
    return [table.slice(start, rows) for start in range(0, table.num_rows, rows)]
