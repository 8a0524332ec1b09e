"""A published dataset version as bytes in the object store, and the one way to read it back.

This module is the contract between the datasets (which write a snapshot once, at publication) and every
reader of one (downloads, the claim measurements, the model runner of ``catalog.ai_runs``). A version lives
under ``datasets/<dataset id>/<version>/``:

- ``readings.parquet``: ``equipment`` (pseudonym), ``item``, ``ts`` (UTC, µs), ``value`` (float64), sorted by
  (equipment, item, ts), so the same rows always make the same bytes;
- ``labels.parquet`` (optional): ``equipment``, ``window_start``, ``window_end``, ``label``, sorted alike;
- ``manifest.json``: the model and version, the object keys and the content hash.

The content hash is SHA-256 over ``readings.parquet`` followed by ``labels.parquet`` (when there is one). The
manifest that holds it is written last, once the files are in the store, and :func:`load_snapshot` refuses
files whose bytes no longer hash to it: a figure measured on a snapshot (a claim) names the hash, and a
snapshot that reads at all is the one the figure was measured on. A version is never rewritten: a change is a
new version.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from services.kit.arrow import UTC_US
from services.kit.objects import ObjectStore
from services.kit.objects import open_store as open_object_store
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot

READINGS_SCHEMA = pa.schema(
    [
        pa.field("equipment", pa.string(), nullable=False),
        pa.field("item", pa.string(), nullable=False),
        pa.field("ts", UTC_US, nullable=False),
        pa.field("value", pa.float64(), nullable=False),
    ]
)
LABELS_SCHEMA = pa.schema(
    [
        pa.field("equipment", pa.string(), nullable=False),
        pa.field("window_start", UTC_US, nullable=False),
        pa.field("window_end", UTC_US, nullable=False),
        pa.field("label", pa.string(), nullable=False),
    ]
)
PARQUET = "application/vnd.apache.parquet"
FILES = ("readings", "labels")


class SnapshotCorrupt(RuntimeError):
    """The stored files do not hash to the manifest's content hash."""


@dataclass(frozen=True)
class DatasetSnapshot:
    dataset_id: str
    version: int
    model_id: str
    model_version: str
    content_hash: str
    readings: pa.Table
    labels: pa.Table | None


DATASETS: Slot[ObjectStore] = Slot("dataset_store")  # opened by the datasets service


def open_store(settings: PlatformSettings) -> ObjectStore:
    """Where snapshots live: next to the lake, in its bucket on MinIO when the warehouse is there, else in
    ``data_dir/objects``."""
    kind = "minio" if settings.warehouse.startswith("s3://") else "local"
    return open_object_store(settings, kind, settings.lake.bucket, "objects")


def prefix(dataset_id: str, version: int) -> str:
    return f"datasets/{dataset_id}/{version}"


def file_key(dataset_id: str, version: int, name: str) -> str:
    """The object key of ``readings`` or ``labels`` of a version."""
    return f"{prefix(dataset_id, version)}/{name}.parquet"


def parquet_bytes(table: pa.Table) -> bytes:
    """The deterministic Parquet encoding of a snapshot table (no timestamps or writer ids in the file
    beyond the library's version, one row group)."""
    sink = io.BytesIO()
    pq.write_table(
        table, sink, compression="zstd", row_group_size=max(1, table.num_rows), write_statistics=True
    )
    return sink.getvalue()


def content_hash(readings: bytes, labels: bytes | None) -> str:
    digest = hashlib.sha256(readings)
    if labels is not None:
        digest.update(labels)
    return digest.hexdigest()


def sorted_readings(table: pa.Table) -> pa.Table:
    return (
        table.select(READINGS_SCHEMA.names)
        .cast(READINGS_SCHEMA)
        .sort_by([("equipment", "ascending"), ("item", "ascending"), ("ts", "ascending")])
    )


def sorted_labels(table: pa.Table) -> pa.Table:
    return (
        table.select(LABELS_SCHEMA.names)
        .cast(LABELS_SCHEMA)
        .sort_by([("equipment", "ascending"), ("window_start", "ascending"), ("window_end", "ascending")])
    )


@dataclass(frozen=True)
class Written:
    content_hash: str
    sizes: dict[str, int]  # bytes of each file written


def write_snapshot(
    store: ObjectStore,
    dataset_id: str,
    version: int,
    model_id: str,
    model_version: str,
    readings: pa.Table,
    labels: pa.Table | None,
) -> Written:
    """Store a version's files, then its manifest (the version exists for readers once the manifest does)."""
    files = {"readings": parquet_bytes(sorted_readings(readings))}
    if labels is not None:
        files["labels"] = parquet_bytes(sorted_labels(labels))
    digest = content_hash(files["readings"], files.get("labels"))
    for name, data in files.items():
        store.put(file_key(dataset_id, version, name), data, PARQUET)
    manifest = {
        "dataset_id": dataset_id,
        "version": version,
        "model_id": model_id,
        "model_version": model_version,
        "content_hash": digest,
        "files": {name: file_key(dataset_id, version, name) for name in files},
    }
    store.put(f"{prefix(dataset_id, version)}/manifest.json", orjson.dumps(manifest), "application/json")
    return Written(digest, {name: len(data) for name, data in files.items()})


def load_snapshot(store: ObjectStore, dataset_id: str, version: int | str) -> DatasetSnapshot:
    """A published version's tables, checked against its content hash (:class:`SnapshotCorrupt` if not).

    Raises ``KeyError``-like errors of the store (a missing object) for a version that was never published.
    """
    number = int(version)
    manifest = orjson.loads(store.get(f"{prefix(dataset_id, number)}/manifest.json"))
    files = {name: store.get(key) for name, key in manifest["files"].items()}
    if content_hash(files["readings"], files.get("labels")) != manifest["content_hash"]:
        raise SnapshotCorrupt(f"dataset {dataset_id} version {number}: files do not match the content hash")
    labels = pq.read_table(io.BytesIO(files["labels"])) if "labels" in files else None
    return DatasetSnapshot(
        dataset_id=dataset_id,
        version=number,
        model_id=manifest["model_id"],
        model_version=manifest["model_version"],
        content_hash=manifest["content_hash"],
        readings=pq.read_table(io.BytesIO(files["readings"])).cast(READINGS_SCHEMA),
        labels=labels.cast(LABELS_SCHEMA) if labels is not None else None,
    )
