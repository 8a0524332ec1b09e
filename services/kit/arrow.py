"""Arrow types and helpers shared by upload, validation and the lake: UTC timestamps, and text columns as
dictionary arrays from the upload to the Parquet file.

A batch repeats a handful of factory, model, item, unit and quality strings on every row. Kept
dictionary-encoded end to end, validation looks at each distinct string once, the bus message needs no
re-encoding and the Parquet writer writes the dictionary pages as they are: hashing strings row by row was
most of the cost of ingesting a reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.dictionary(pa.int32(), pa.string())
UTC_US = pa.timestamp("us", tz="UTC")
_MAX_CODE = 2**62  # mixed-radix row codes stay below this, so int64 arithmetic never overflows


def as_dictionary(values: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """One dictionary array of strings, whatever text (or dictionary of text) came in."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if pa.types.is_dictionary(values.type):
        if values.type == TEXT:
            return values
        if pa.types.is_string(values.type.value_type) or pa.types.is_large_string(values.type.value_type):
            return values.cast(TEXT)
        values = values.dictionary_decode()
    encoded: pa.DictionaryArray = pc.dictionary_encode(values.cast(pa.string()))
    return encoded


def constant(value: str | None, rows: int) -> pa.DictionaryArray:
    """``rows`` times the same string, as one dictionary entry."""
    if value is None:
        return pa.DictionaryArray.from_arrays(pa.nulls(rows, pa.int32()), pa.array([], pa.string()))
    return pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), rows), pa.array([value]))


def per_row(column: pa.DictionaryArray, on_values: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``on_values`` computed once per distinct string, spread to the rows (null rows stay null)."""
    return pc.take(on_values(column.dictionary), column.indices)


def from_codes(codes: pa.Array, values: Sequence[str | None]) -> pa.DictionaryArray:
    """Rows given as positions in ``values`` (null position: null row)."""
    return pa.DictionaryArray.from_arrays(codes.cast(pa.int32()), pa.array(values, pa.string()))


def factorize(columns: Sequence[pa.DictionaryArray]) -> tuple[pa.Array, list[tuple[Any, ...]]]:
    """Per row, the index of its combination of values; and the distinct combinations, in that order.

    The columns' dictionary indices are mixed into one integer per row, so that only integers are hashed.
    """
    code: pa.Array = pa.repeat(pa.scalar(0, pa.int64()), len(columns[0]))
    # code = index into prefix, followed by one digit per column in radices
    span = 1
    prefix: list[tuple[Any, ...]] = [()]
    radices: list[list[Any]] = []
    for column in columns:
        values = column.dictionary.to_pylist()
        width = len(values) + 1  # the last digit stands for null
        if span * width >= _MAX_CODE:
            group, prefix = _distinct(code, prefix, radices)
            code, span, radices = group.cast(pa.int64()), len(prefix), []
        code = pc.add(pc.multiply(code, width), pc.fill_null(column.indices.cast(pa.int64()), width - 1))
        span *= width
        radices.append(values)
    return _distinct(code, prefix, radices)


def _distinct(
    code: pa.Array, prefix: list[tuple[Any, ...]], radices: list[list[Any]]
) -> tuple[pa.Array, list[tuple[Any, ...]]]:
    distinct = pc.unique(code)
    combos = []
    for value in distinct.to_pylist():
        digits = []
        for values in reversed(radices):
            value, slot = divmod(value, len(values) + 1)
            digits.append(values[slot] if slot < len(values) else None)
        combos.append(prefix[value] + tuple(reversed(digits)))
    return pc.index_in(code, distinct), combos
