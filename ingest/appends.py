"""Appending bus messages to an Iceberg table: split by partition once per message, Parquet written as is.

pyiceberg's ``Table.append`` finds the partitions of a whole commit by hashing and filtering every row,
and its Parquet writer re-hashes every string to build dictionary pages. The lake writer knows more: a
message comes from one factory and nearly always covers one day and one model, which the min/max of
its columns prove (the partition transforms used here are monotonic), and its text columns arrive
dictionary-encoded, which Parquet writes without looking at the strings again. The files written are
ordinary Iceberg data files (field ids, statistics for pruning) committed with pyiceberg's fast append.
The statistics and writer options come from pyiceberg's own helpers (one private, hence the exact pin of
pyiceberg in pyproject.toml; tests/catalog/test_appends.py guards an upgrade).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.io.pyarrow import (
    _get_parquet_writer_kwargs,
    compute_statistics_plan,
    data_file_statistics_from_parquet_metadata,
    parquet_path_to_id_mapping,
    schema_to_pyarrow,
)
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
from pyiceberg.table import Table, TableProperties
from pyiceberg.table.locations import load_location_provider
from pyiceberg.transforms import DayTransform, HourTransform, IdentityTransform, MonthTransform, YearTransform
from pyiceberg.utils.properties import property_as_int

from ingest import dictionaries

PartitionValues = tuple[Any, ...]
_MONOTONIC = (IdentityTransform, YearTransform, MonthTransform, DayTransform, HourTransform)
_SEVERAL = object()  # a column whose rows fall in more than one partition


def wire_schema(schema: pa.Schema) -> pa.Schema:
    """The lake schema as the rows travel: text as dictionaries, every field nullable as Arrow makes them."""
    return pa.schema(
        [pa.field(f.name, dictionaries.TEXT if pa.types.is_string(f.type) else f.type) for f in schema]
    )


def conform(rows: pa.Table, wire: pa.Schema) -> pa.Table:
    """The message's columns in lake order and types (older producers sent plain strings)."""
    return pa.table(
        [
            dictionaries.as_dictionary(rows[f.name])
            if f.type == dictionaries.TEXT
            else rows[f.name].cast(f.type)
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
    group, combos = dictionaries.factorize(
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
    metadata = table.metadata
    spec, schema = metadata.spec(), metadata.schema()
    key = PartitionKey(
        field_values=[PartitionFieldValue(f, v) for f, v in zip(spec.fields, partition, strict=True)],
        partition_spec=spec,
        schema=schema,
    )
    rows = pa.concat_tables(parts).unify_dictionaries()
    file_schema = pa.schema(
        [
            f.with_type(rows.schema.field(f.name).type)
            for f in schema_to_pyarrow(schema, include_field_ids=True)
        ]
    )
    locations = load_location_provider(table_location=metadata.location, table_properties=metadata.properties)
    path = locations.new_data_location(data_file_name=f"{uuid.uuid4()}.parquet", partition_key=key)
    with table.io.new_output(path).create(overwrite=True) as stream:
        # The Arrow schema is not stored: readers would otherwise get dictionary columns back.
        writer = pq.ParquetWriter(
            stream, file_schema, store_schema=False, **_get_parquet_writer_kwargs(metadata.properties)
        )
        writer.write_table(
            rows.select(file_schema.names).cast(file_schema),
            row_group_size=property_as_int(
                metadata.properties,
                TableProperties.PARQUET_ROW_GROUP_LIMIT,
                TableProperties.PARQUET_ROW_GROUP_LIMIT_DEFAULT,
            ),
        )
        writer.close()
        size = stream.tell()
    statistics = data_file_statistics_from_parquet_metadata(
        parquet_metadata=writer.writer.metadata,
        stats_columns=compute_statistics_plan(schema, metadata.properties),
        parquet_column_mapping=parquet_path_to_id_mapping(schema),
    )
    return DataFile.from_args(
        content=DataFileContent.DATA,
        file_path=path,
        file_format=FileFormat.PARQUET,
        partition=key.partition,
        file_size_in_bytes=size,
        sort_order_id=None,
        spec_id=metadata.default_spec_id,
        equality_ids=None,
        key_metadata=None,
        **statistics.to_serialized_dict(),
    )


def commit(table: Table, files: Sequence[DataFile], properties: Mapping[str, str]) -> None:
    """One snapshot adding ``files``; raises CommitFailedException if another commit landed first."""
    with (
        table.transaction() as transaction,
        transaction.update_snapshot(snapshot_properties=dict(properties)).fast_append() as append,
    ):
        for data_file in files:
            append.append_data_file(data_file)
