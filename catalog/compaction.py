"""Compaction of the lake: per partition, many small Parquet files rewritten into few large ones.

Run ``python -m catalog.compaction`` (settings from ``SMARTMFG_*`` as every platform process); it prints its
progress per partition. The writers may keep running: each partition is rewritten in one Iceberg snapshot
of operation ``replace`` that

- deletes exactly the files it read and adds files holding exactly their rows (same rows, sorted so the
  per-file statistics prune better), so nothing is lost or duplicated;
- carries the ``smartmfg.*`` summary properties of the snapshot it was built on forward unchanged, above
  all the bus offsets (``smartmfg.bus-offsets``) the lake writers resume from;
- commits only on top of that very snapshot (pyiceberg's ``AssertRefSnapshotId`` requirement, a
  compare-and-swap in the SQL catalog). Each attempt runs under the table's commit lock
  (``catalog.commit_lock``), which the writers take for their own commits, so writers committing every
  second cannot starve it. Should a commit land meanwhile all the same (a process not taking the lock),
  the attempt fails and is made again on the new snapshot, carrying its newer offsets; the rewritten
  files stay valid as long as the files they replace are live (writers only add files). If another
  compaction removed those, the new files are deleted and the partition is planned again. pyiceberg's
  own commit retry, which would rebase the snapshot with the properties it began with (stale offsets)
  onto the writer's, is refused.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pyiceberg.exceptions import CommitFailedException, ValidationException
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table, TableProperties
from pyiceberg.table.snapshots import Operation, Snapshot
from pyiceberg.typedef import Record

from catalog import iceberg_internals
from catalog.commit_lock import exclusive_commits
from catalog.lake import Lake, LakeConfig
from catalog.rollups import ROLLUPS
from services.kit.settings import PlatformSettings

log = logging.getLogger("catalog.compaction")
CARRIED_PREFIX = "smartmfg."
# Rows sorted within a partition so that a compacted file covers few factories and a short time range.
SORT_KEYS = {
    "readings": ["factory_id", "item_id", "equipment_id", "ts"],
    "dead_letters": ["factory_id", "rejected_at", "batch_id", "row"],
    "item_hours": ["factory_id", "equipment_id", "item_id", "hour"],
    "item_daily": ["factory_id", "equipment_id", "item_id"],
    "peer_daily": ["factory_id", "equipment_id", "item_id"],
}


@dataclass(frozen=True)
class Options:
    target_file_bytes: int | None = None  # None: the table's write.target-file-size-bytes
    min_files: int = 2  # a partition is compacted once it has at least this many small files
    small_ratio: float = 0.75  # files below this share of the target size count as small
    max_attempts: int = 10  # commit attempts per partition before giving up (writers committing nonstop)
    expire_older_than: timedelta | None = None


@dataclass
class PartitionResult:
    table: str
    partition: str
    files_before: int
    files_after: int
    rows: int
    bytes_before: int
    bytes_after: int
    attempts: int
    snapshot_id: int | None


@dataclass
class Report:
    partitions: list[PartitionResult] = field(default_factory=list)
    expired_snapshots: int = 0

    @property
    def files_before(self) -> int:
        return sum(p.files_before for p in self.partitions)

    @property
    def files_after(self) -> int:
        return sum(p.files_after for p in self.partitions)

    @property
    def retries(self) -> int:
        return sum(p.attempts - 1 for p in self.partitions)


Progress = Callable[[str, dict[str, Any]], None]
"""Called with an event name and its details: ``planned``, ``rewritten`` (new files written), ``committing``
(an attempt staged on the newest snapshot), ``conflict``, ``committed``, ``skipped``, ``expired``."""


def _quiet(event: str, details: dict[str, Any]) -> None:
    log.debug("%s %s", event, details)


def _target_size(table: Table, options: Options) -> int:
    if options.target_file_bytes:
        return options.target_file_bytes
    return int(
        table.properties.get(
            TableProperties.WRITE_TARGET_FILE_SIZE_BYTES, TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT
        )
    )


def _partition_name(table: Table, spec_id: int, partition: Record) -> str:
    return table.specs()[spec_id].partition_to_path(partition, table.schema()) or "(unpartitioned)"


def _small_files_by_partition(table: Table, threshold: int) -> dict[tuple[int, Record], list[DataFile]]:
    groups: dict[tuple[int, Record], list[DataFile]] = {}
    with_deletes: set[tuple[int, Record]] = set()
    for task in table.scan().plan_files():
        key = (task.file.spec_id, task.file.partition)
        if task.delete_files:
            # Rows removed by delete files would come back in a rewrite: such partitions stay as they are.
            with_deletes.add(key)
        elif task.file.file_size_in_bytes < threshold:
            groups.setdefault(key, []).append(task.file)
    return {key: files for key, files in groups.items() if key not in with_deletes}


def _carried(table: Table) -> dict[str, str]:
    snapshot = table.current_snapshot()
    if snapshot is None or snapshot.summary is None:
        return {}
    return {k: v for k, v in snapshot.summary.additional_properties.items() if k.startswith(CARRIED_PREFIX)}


def compact_partition(
    load: Callable[[], Table],
    key: tuple[int, Record],
    options: Options,
    progress: Progress = _quiet,
) -> PartitionResult | None:
    """Rewrite the small files of one partition into few files, committed in one ``replace`` snapshot.

    The rows are read and written once. Each commit attempt starts from the newest snapshot and carries its
    ``smartmfg.*`` properties; a commit that lands meanwhile fails the attempt (cheap to repeat: the new files
    stay valid while the files they replace are live). Were those files removed meanwhile (another
    compaction), the new files are deleted and the partition is planned again.
    """
    attempts = 0
    while attempts < options.max_attempts:
        table = load()
        target = _target_size(table, options)
        files = _small_files_by_partition(table, int(target * options.small_ratio)).get(key, [])
        name = _partition_name(table, *key)
        if table.current_snapshot() is None or len(files) < options.min_files:
            progress("skipped", {"table": table.name()[-1], "partition": name, "files": len(files)})
            return None
        rows = iceberg_internals.read_files(table, files)
        expected = sum(f.record_count for f in files)
        if rows.num_rows != expected:
            raise RuntimeError(f"{name}: read {rows.num_rows} rows from files declaring {expected}")
        sort_keys = [k for k in SORT_KEYS.get(table.name()[-1], []) if k in rows.column_names]
        if sort_keys:
            rows = rows.sort_by([(k, "ascending") for k in sort_keys])
        new_files = iceberg_internals.write_files(table, rows, target)
        details = {
            "table": table.name()[-1],
            "partition": name,
            "files_before": len(files),
            "files_after": len(new_files),
            "rows": rows.num_rows,
        }
        progress("rewritten", details)
        while attempts < options.max_attempts:
            attempts += 1
            with exclusive_commits(table):  # writers wait for this attempt, so it commits on the head
                outcome = _commit_rewrite(load, files, new_files, progress)
            if isinstance(outcome, Snapshot):
                result = PartitionResult(
                    table=table.name()[-1],
                    partition=name,
                    files_before=len(files),
                    files_after=len(new_files),
                    rows=rows.num_rows,
                    bytes_before=sum(f.file_size_in_bytes for f in files),
                    bytes_after=sum(f.file_size_in_bytes for f in new_files),
                    attempts=attempts,
                    snapshot_id=outcome.snapshot_id,
                )
                progress("committed", result.__dict__)
                return result
            progress("conflict", {**details, "attempt": attempts, "reason": str(outcome)})
            if isinstance(outcome, _FilesGone):
                break
            time.sleep(random.uniform(0.05, 0.25))
        # Nothing references the new files: the commits that would have did not land.
        for data_file in new_files:
            table.io.delete(data_file.file_path)
    raise RuntimeError(f"{key}: no commit after {options.max_attempts} attempts; writers commit too often")


class _FilesGone(ValidationException):
    """Files the rewrite replaces are no longer in the table."""


def _commit_rewrite(
    load: Callable[[], Table], files: list[DataFile], new_files: list[DataFile], progress: Progress
) -> Snapshot | Exception:
    """One commit attempt on the newest snapshot: the snapshot made, or why it failed and did not land."""
    table = load()
    base = table.current_snapshot()
    carried = _carried(table)
    transaction = table.transaction()
    rewrite = iceberg_internals.RewriteFiles(
        operation=Operation.OVERWRITE, transaction=transaction, io=table.io, snapshot_properties=carried
    )
    for data_file in files:
        rewrite.delete_data_file(data_file)
    for data_file in new_files:
        rewrite.append_data_file(data_file)
    try:
        rewrite.commit()  # stages the snapshot; refuses files the base does not hold
    except ValidationException as exc:
        return _FilesGone(str(exc))
    progress(
        "committing", {"table": table.name()[-1], "base_snapshot_id": base.snapshot_id if base else None}
    )
    try:
        committed = transaction.commit_transaction()
    except (CommitFailedException, ValidationException) as exc:  # another commit landed first
        return exc
    snapshot = committed.current_snapshot()
    if (
        snapshot is None
        or base is None
        or snapshot.parent_snapshot_id != base.snapshot_id
        or _carried(committed) != carried
    ):
        # Cannot happen given the validation of RewriteFiles; should pyiceberg change, stop loudly.
        raise RuntimeError("the compaction snapshot does not sit on its base with the base's offsets")
    return snapshot


def expire_snapshots(load: Callable[[], Table], older_than: timedelta, progress: Progress = _quiet) -> int:
    """Forget snapshots older than ``older_than`` (never the current one). Their files are left in place."""
    cutoff = datetime.now(UTC) - older_than
    for _attempt in range(5):
        table = load()
        current = table.current_snapshot()
        doomed = [
            s.snapshot_id
            for s in table.snapshots()
            if s.timestamp_ms < cutoff.timestamp() * 1000
            and (current is None or s.snapshot_id != current.snapshot_id)
        ]
        if not doomed:
            return 0
        try:
            table.maintenance.expire_snapshots().by_ids(doomed).commit()
        except CommitFailedException:
            continue
        progress("expired", {"table": table.name()[-1], "snapshots": len(doomed)})
        return len(doomed)
    raise RuntimeError("could not expire snapshots: the table kept changing")


def compact_table(load: Callable[[], Table], options: Options, progress: Progress = _quiet) -> Report:
    report = Report()
    table = load()
    threshold = int(_target_size(table, options) * options.small_ratio)
    candidates = {
        k: v for k, v in _small_files_by_partition(table, threshold).items() if len(v) >= options.min_files
    }
    progress(
        "planned",
        {
            "table": table.name()[-1],
            "partitions": len(candidates),
            "files": sum(map(len, candidates.values())),
        },
    )
    for key in candidates:
        result = compact_partition(load, key, options, progress)
        if result is not None:
            report.partitions.append(result)
    if options.expire_older_than is not None:
        report.expired_snapshots = expire_snapshots(load, options.expire_older_than, progress)
    return report


def compact_lake(lake: Lake, options: Options, progress: Progress = _quiet) -> dict[str, Report]:
    """The readings, the dead letters and the rollups (once made). A rollup refresh replaces whole days, so
    its tables rarely have small files; what they gather is two snapshots per refresh, which
    ``expire_older_than`` forgets (the watermark lives in the current one, which is kept)."""
    reports = {
        "readings": compact_table(lake.readings, options, progress),
        "dead_letters": compact_table(lake.dead_letters, options, progress),
    }
    for rollup in ROLLUPS:
        identifier = f"{lake.config.namespace}.{rollup.name}"
        if lake.catalog.table_exists(identifier):
            reports[rollup.name] = compact_table(
                partial(lake.catalog.load_table, identifier), options, progress
            )
    return reports


def _printer(out: Any) -> Progress:
    def show(event: str, d: dict[str, Any]) -> None:
        if event == "planned":
            print(
                f"{d['table']}: {d['partitions']} partition(s) to compact, {d['files']} small file(s)",
                file=out,
            )
        elif event == "committed":
            print(
                f"  {d['partition']}: {d['files_before']} -> {d['files_after']} file(s), {d['rows']} rows, "
                f"{d['bytes_before']} -> {d['bytes_after']} bytes"
                + (f" ({d['attempts']} attempts)" if d["attempts"] > 1 else ""),
                file=out,
            )
        elif event == "conflict":
            print(f"  {d['partition']}: a writer committed meanwhile; planning again", file=out)
        elif event == "expired":
            print(f"{d['table']}: expired {d['snapshots']} snapshot(s)", file=out)
        out.flush()

    return show


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog.compaction", description=__doc__.splitlines()[0])
    parser.add_argument("--target-file-mb", type=int, help="target file size (default: the table's setting)")
    parser.add_argument(
        "--min-files", type=int, default=2, help="compact partitions with this many small files"
    )
    parser.add_argument("--expire-older-than-hours", type=float, help="also expire snapshots older than this")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = Options(
        target_file_bytes=args.target_file_mb * 1024 * 1024 if args.target_file_mb else None,
        min_files=max(2, args.min_files),
        expire_older_than=timedelta(hours=args.expire_older_than_hours)
        if args.expire_older_than_hours is not None
        else None,
    )
    lake = Lake(LakeConfig.from_settings(PlatformSettings()))
    lake.ensure_tables()
    reports = compact_lake(lake, options, _printer(sys.stdout))
    for name, report in reports.items():
        print(
            f"{name}: {len(report.partitions)} partition(s), {report.files_before} -> {report.files_after} "
            f"file(s), {report.retries} retried commit(s), {report.expired_snapshots} snapshot(s) expired"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
