"""Appending bus messages to an Iceberg table: split by partition once per message, Parquet written as is.

pyiceberg's ``Table.append`` finds the partitions of a whole commit by hashing and filtering every row,
and its Parquet writer re-hashes every string to build dictionary pages. The lake writer knows more: a
message comes from one factory and nearly always covers one day and one model, which the min/max of
its columns prove (the partition transforms used here are monotonic), and its text columns arrive
dictionary-encoded, which Parquet writes without looking at the strings again. The files written are
ordinary Iceberg data files (field ids, statistics for pruning) committed with pyiceberg's fast append.
The statistics and writer options come from pyiceberg's own helpers (``catalog.iceberg_internals``).

Each commit also records the bus offsets its rows came up to (``OFFSETS_KEY``), and every row carries its
tenant columns and stamp (``stamped``): the two things the lake writers' exactly-once guarantee rests on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table
from pyiceberg.transforms import DayTransform, HourTransform, IdentityTransform, MonthTransform, YearTransform

from catalog import iceberg_internals
from catalog.commit_lock import exclusive_commits
from catalog.lake import snapshot_property
from services.kit import arrow
from services.kit.arrow import UTC_US

PartitionValues = tuple[Any, ...]
# The snapshot property holding, per bus partition, the next offset to consume: the rows and the position
# of the stream they came from commit in one snapshot, which is what makes the lake writers exactly once.
OFFSETS_KEY = "smartmfg.bus-offsets"
_MONOTONIC = (IdentityTransform, YearTransform, MonthTransform, DayTransform, HourTransform)
_SEVERAL = object()  # a column whose rows fall in more than one partition


def wire_schema(schema: pa.Schema) -> pa.Schema:
    """The lake schema as the rows travel: text as dictionaries, every field nullable as Arrow makes them."""
    return pa.schema([pa.field(f.name, arrow.TEXT if pa.types.is_string(f.type) else f.type) for f in schema])


def conform(rows: pa.Table, wire: pa.Schema) -> pa.Table:
    """The message's columns in lake order and types (older producers sent plain strings)."""
    return pa.table(
        [
            arrow.as_dictionary(rows[f.name]) if f.type == arrow.TEXT else rows[f.name].cast(f.type)
            for f in wire
        ],
        schema=wire,
    )


def split(table: Table, rows: pa.Table) -> Iterator[tuple[PartitionValues, pa.Table]]:
    """The rows of each partition of the table's spec, by partition values (transformed)."""
    spec, schema = table.spec(), table.schema()
    keys = []
    for field in spec.fields:
        source = schema.find_field(field.source_id)
        column = rows[source.name]
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        keys.append((field.transform.pyarrow_transform(source.field_type), column))
    if all(isinstance(field.transform, _MONOTONIC) for field in spec.fields):
        values = [_only_value(transform, column) for transform, column in keys]
        if all(v is not _SEVERAL for v in values):
            yield tuple(values), rows
            return
    transformed = [transform(column) for transform, column in keys]
    group, combos = arrow.factorize(
        [v if pa.types.is_dictionary(v.type) else pc.dictionary_encode(v) for v in transformed]
    )
    for index, combo in enumerate(combos):
        yield combo, rows.filter(pc.equal(group, index))


def _only_value(transform: Any, column: pa.Array) -> Any:
    """The one transformed value of a column, or _SEVERAL: min and max say it for monotonic transforms."""
    if column.null_count:
        return None if column.null_count == len(column) else _SEVERAL
    if isinstance(column, pa.DictionaryArray):
        bounds = pc.min_max(column.indices)
        lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
        return column.dictionary[lo].as_py() if lo == hi else _SEVERAL
    bounds = pc.min_max(column)
    lo, hi = transform(pa.array([bounds["min"], bounds["max"]], column.type)).to_pylist()
    return lo if lo == hi else _SEVERAL


def write(table: Table, partition: PartitionValues, parts: Sequence[pa.Table]) -> DataFile:
    """One Parquet data file of one partition's rows, described for the manifest (statistics included)."""
    return iceberg_internals.write_data_file(table, partition, pa.concat_tables(parts).unify_dictionaries())


def table_offsets(table: Table) -> dict[int, int]:
    """The bus offsets the table's current snapshot carries: where its writers resume."""
    raw = snapshot_property(table, OFFSETS_KEY)
    return {int(p): int(o) for p, o in json.loads(raw).items()} if raw else {}


def offsets_property(offsets: Mapping[int, int]) -> dict[str, str]:
    return {OFFSETS_KEY: json.dumps({str(p): o for p, o in sorted(offsets.items())})}


def stamped(table: pa.Table, *, factory_id: str, org_id: str, batch_key: str, column: str) -> pa.Table:
    """Add the tenant columns and the ingestion time that every lake row carries."""
    n = table.num_rows
    return (
        table.append_column("factory_id", arrow.constant(factory_id, n))
        .append_column("org_id", arrow.constant(org_id, n))
        .append_column("batch_key", arrow.constant(batch_key, n))
        .append_column(column, pa.repeat(pa.scalar(datetime.now(UTC), UTC_US), n))
    )


def commit(table: Table, files: Sequence[DataFile], properties: Mapping[str, str]) -> None:
    """One snapshot adding ``files`` with ``properties`` in its summary (``offsets_property`` for the bus
    offsets), under the table's commit lock; raises CommitFailedException if another commit landed first."""
    with (
        exclusive_commits(table),
        table.transaction() as transaction,
        transaction.update_snapshot(snapshot_properties=dict(properties)).fast_append() as append,
    ):
        for data_file in files:
            append.append_data_file(data_file)
