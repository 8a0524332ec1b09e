"""What the readings gained since a rollup's watermark: the ``append`` snapshots after it and the data files
they added, with each file's ``ts`` bounds read from the manifests (no data read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pyiceberg.conversions import from_bytes
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation, Snapshot
from pyiceberg.types import TimestamptzType

from catalog.duck import readable_path
from catalog.rollups.tables import DAY, EPOCH, Span, start_of
from services.kit.cache import PUBLIC, Cache, Key


@dataclass(frozen=True)
class Since:
    """The readings since a rollup's watermark."""

    current: Snapshot | None  # the readings' current snapshot
    appends: list[Snapshot]  # its ``append`` snapshots after the watermark, oldest first
    found: bool  # the watermark is in its ancestry or none was set (False: expired, so everything is new)


def appended_since(table: Table, watermark: int | None, head: int | None = None) -> Since:
    """The readings since ``watermark`` up to ``head`` (by default the current snapshot)."""
    current = table.current_snapshot() if head is None else table.snapshot_by_id(head)
    appends = []
    snapshot = current
    while snapshot is not None and snapshot.snapshot_id != watermark:
        if snapshot.summary is not None and snapshot.summary.operation == Operation.APPEND:
            appends.append(snapshot)
        snapshot = table.snapshot_by_id(snapshot.parent_snapshot_id) if snapshot.parent_snapshot_id else None
    # a head that was expired meanwhile says nothing of what came since: everything is new
    return Since(current, appends[::-1], current is not None and (snapshot is not None or watermark is None))


@dataclass(frozen=True)
class Added:
    """A data file an ``append`` snapshot added, and the least and greatest ``ts`` in it."""

    path: str
    first: datetime
    last: datetime


def _added_key(table: Table, snapshot: Snapshot) -> Key:
    """The one key of what a snapshot added: that never changes, whoever reads it."""
    return Key("iceberg.added-files", PUBLIC, None, (str(table.metadata.table_uuid), snapshot.snapshot_id))


def added_files(table: Table, snapshots: Sequence[Snapshot], manifests: Cache[Any] | None) -> list[Added]:
    """The data files the snapshots added with their ``ts`` bounds, from the manifests (no data read); a file
    without bounds spans its whole ``ts_day`` partition. Kept in ``manifests`` (the process's cache of
    immutable lake metadata, when there is one), so readers asking again and again whether the daily rollup
    is still good read each new snapshot's manifests once."""
    files = []
    for snapshot in snapshots:
        known: list[Added] | None = None if manifests is None else manifests.get(_added_key(table, snapshot))
        if known is None:
            known = _snapshot_files(table, snapshot)
            if manifests is not None:
                manifests.put(_added_key(table, snapshot), known)
        files += known
    return files


def spans_of(files: Sequence[Added]) -> list[Span]:
    return [(f.first, f.last) for f in files]


def _snapshot_files(table: Table, snapshot: Snapshot) -> list[Added]:
    position = next(i for i, f in enumerate(table.spec().fields) if f.name == "ts_day")
    ts = table.schema().find_field("ts")
    files = []
    for manifest in snapshot.manifests(table.io):
        if manifest.added_snapshot_id != snapshot.snapshot_id:
            continue
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            if entry.snapshot_id != snapshot.snapshot_id:
                continue
            data = entry.data_file
            path = readable_path(data.file_path)
            low, high = (data.lower_bounds or {}).get(ts.field_id), (data.upper_bounds or {}).get(ts.field_id)
            if low is not None and high is not None:
                first, last = (int(from_bytes(TimestamptzType(), bound)) for bound in (low, high))
                files.append(
                    Added(path, EPOCH + timedelta(microseconds=first), EPOCH + timedelta(microseconds=last))
                )
            else:
                day = start_of(date(1970, 1, 1) + timedelta(days=data.partition[position]))
                files.append(Added(path, day, day + DAY - timedelta(microseconds=1)))
    return files


def all_days(table: Table) -> set[date]:
    """Every ``ts_day`` partition with data in the current snapshot."""
    position = next(i for i, f in enumerate(table.spec().fields) if f.name == "ts_day")
    return {
        date(1970, 1, 1) + timedelta(days=task.file.partition[position]) for task in table.scan().plan_files()
    }
