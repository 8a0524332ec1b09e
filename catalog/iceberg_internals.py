"""Every use of pyiceberg's internals, in one place (hence the exact pin of pyiceberg in pyproject.toml).

pyiceberg's public API appends Arrow tables and overwrites by filter; the lake needs two things it does not
offer: writing a data file from rows already split by partition (text kept dictionary-encoded, statistics
for pruning), and a ``replace`` snapshot that commits only on the snapshot it was planned on (compaction
must not carry stale bus offsets onto a newer head). The tests of ``catalog.appends`` and
``catalog.compaction`` exercise each function here, so a pyiceberg upgrade that changes them fails there.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.exceptions import ValidationException
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import (
    ArrowScan,
    _dataframe_to_data_files,
    _get_parquet_writer_kwargs,
    compute_statistics_plan,
    data_file_statistics_from_parquet_metadata,
    parquet_path_to_id_mapping,
    schema_to_pyarrow,
)
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
from pyiceberg.table import FileScanTask, Table, TableProperties
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.snapshots import Operation, Summary
from pyiceberg.table.update.snapshot import _OverwriteFiles
from pyiceberg.typedef import EMPTY_DICT
from pyiceberg.utils.properties import property_as_int
from sqlalchemy import Engine


class ConcurrentCommit(ValidationException):
    """Another commit landed after the snapshot the rewrite was planned on."""


class RewriteFiles(_OverwriteFiles):
    """A ``replace`` snapshot: the same rows in other files, committed only on its own base snapshot.

    pyiceberg retries a failed commit by rebuilding the snapshot on the newer head with the summary
    properties given at the start; for this table those include the bus offsets, which would then go back in
    time. The rebuild validates first, and this validation refuses any newer head: the caller then makes a
    new attempt on that head, with its properties.
    """

    def _validate_concurrency(self) -> None:
        if self._commit_window is not None and not self._commit_window.is_empty():
            raise ConcurrentCommit("another commit landed first; the rewrite is committed again on it")

    def _summary(self, snapshot_properties: dict[str, str] = EMPTY_DICT) -> Summary:
        # The totals are computed as for an overwrite (pyiceberg knows no other); the operation is replace.
        summary = super()._summary(snapshot_properties)
        return Summary(Operation.REPLACE, **summary.additional_properties)


def write_data_file(table: Table, partition: tuple[Any, ...], rows: pa.Table) -> DataFile:
    """One Parquet data file of one partition's rows, described for the manifest (statistics included)."""
    metadata = table.metadata
    spec, schema = metadata.spec(), metadata.schema()
    key = PartitionKey(
        field_values=[PartitionFieldValue(f, v) for f, v in zip(spec.fields, partition, strict=True)],
        partition_spec=spec,
        schema=schema,
    )
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


def read_files(table: Table, files: Iterable[DataFile]) -> pa.Table:
    scan = ArrowScan(table.metadata, table.io, table.schema(), AlwaysTrue())
    return scan.to_table([FileScanTask(data_file) for data_file in files])


def write_files(table: Table, rows: pa.Table, target: int) -> list[DataFile]:
    properties = {**table.metadata.properties, TableProperties.WRITE_TARGET_FILE_SIZE_BYTES: str(target)}
    metadata = table.metadata.model_copy(update={"properties": properties})
    return list(_dataframe_to_data_files(metadata, rows, table.io, uuid.uuid4(), itertools.count(0)))


def catalog_engine(table: Table) -> Engine:
    """The SQL catalog's own database engine (``SqlCatalog.engine``): the commit lock lives beside the
    catalog's rows, where every process that commits to the table already connects."""
    engine = getattr(table.catalog, "engine", None)
    if not isinstance(engine, Engine):
        raise TypeError(f"{table.name()}: the lake needs pyiceberg's SQL catalog, not {type(table.catalog)}")
    return engine
