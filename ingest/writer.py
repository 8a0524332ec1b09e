"""Lake writer: consumes the bus and commits Iceberg snapshots exactly once.

Run one or more with ``python -m ingest.writer``; writers of the same group share the topics' partitions.
The consumed offsets travel inside the snapshot that commits the rows, so a writer that restarts (or takes
over a partition) resumes from the table, never from memory or Kafka's own commits. Batch keys already in
the table are skipped, so a batch published twice lands once.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import GreaterThanOrEqual
from pyiceberg.table import Table

from catalog.lake import DEAD_LETTER_SCHEMA, READINGS_SCHEMA, UTC_US, snapshot_property
from ingest import appends, dictionaries, messages
from ingest.bus import Consumer, Record, TopicPartition
from ingest.runtime import IngestRuntime
from services.kit.settings import PlatformSettings

log = logging.getLogger("ingest.writer")
OFFSETS_KEY = "smartmfg.bus-offsets"
COMMIT_ATTEMPTS = 8


def table_offsets(table: Table) -> dict[int, int]:
    raw = snapshot_property(table, OFFSETS_KEY)
    return {int(p): int(o) for p, o in json.loads(raw).items()} if raw else {}


@dataclass
class Sink:
    """One topic flowing into one Iceberg table."""

    name: str
    catalog: Catalog
    table_id: str
    schema: pa.Schema
    stamped_at: str  # the column holding when the lake got a row
    dedupe_window: timedelta
    pending: dict[appends.PartitionValues, list[pa.Table]] = field(default_factory=dict)
    pending_rows: int = 0
    next_offsets: dict[int, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    oldest: float | None = None
    committed_rows: int = 0
    layout: Table | None = None  # the table as last loaded, for its partition spec

    def __post_init__(self) -> None:
        self.wire = appends.wire_schema(self.schema)

    def table(self) -> Table:
        return self.catalog.load_table(self.table_id)

    def assign(self, partitions: set[int]) -> dict[int, int]:
        """Drop what is buffered and return where every owned partition resumes: the table's offsets."""
        table = self.layout = self.table()
        stored = table_offsets(table)
        self.pending, self.pending_rows, self.oldest = {}, 0, None
        self.next_offsets = {p: stored.get(p, 0) for p in partitions}
        # The keys of what the table holds now, not what this writer had buffered: the buffer was just
        # dropped and will be consumed again, and other writers may have committed these partitions. Only
        # recent rows: a batch is republished within minutes (publish went through, the ledger write did
        # not), and the files' statistics on the stamp column keep this read from growing with the lake.
        since = datetime.now(UTC) - self.dedupe_window
        recent = GreaterThanOrEqual(term=self.stamped_at, value=since.isoformat())
        keys = table.scan(row_filter=recent, selected_fields=("batch_key",)).to_arrow()["batch_key"]
        self.seen = set(pc.unique(keys).to_pylist())
        log.info(
            "%s: resuming partitions %s from lake offsets (%d batch keys known)",
            self.name,
            self.next_offsets,
            len(self.seen),
        )
        return self.next_offsets

    def add(self, record: Record) -> None:
        if record.partition not in self.next_offsets or self.layout is None:
            return  # revoked meanwhile
        self.next_offsets[record.partition] = record.offset + 1
        key = record.headers.get("batch_key", "")
        if key in self.seen:
            return  # a retried batch: already in the table or in this buffer
        self.seen.add(key)
        rows = appends.conform(messages.decode(record.value), self.wire)
        for partition, part in appends.split(self.layout, rows):
            self.pending.setdefault(partition, []).append(part)
        self.pending_rows += rows.num_rows
        self.oldest = self.oldest or time.monotonic()

    def due(self, flush_rows: int, flush_seconds: float) -> bool:
        if self.pending_rows >= flush_rows:
            return True
        return self.oldest is not None and time.monotonic() - self.oldest >= flush_seconds

    def commit(self) -> None:
        table = self.table()
        files = [appends.write(table, partition, parts) for partition, parts in self.pending.items()]
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            offsets = table_offsets(table) | self.next_offsets
            try:
                appends.commit(table, files, {OFFSETS_KEY: json.dumps(offsets)})
                break
            except CommitFailedException:
                log.info("%s: another writer committed first, retrying (%d)", self.name, attempt)
                table = self.table()  # the files written stay valid: only the snapshot is made again
        else:
            raise RuntimeError(f"{self.name}: could not commit after {COMMIT_ATTEMPTS} attempts")
        self.committed_rows += self.pending_rows
        log.info(
            "%s: committed %d rows in %d files (total %d), offsets %s",
            self.name,
            self.pending_rows,
            len(files),
            self.committed_rows,
            self.next_offsets,
        )
        self.pending, self.pending_rows, self.oldest = {}, 0, None


class LakeWriter:
    def __init__(self, runtime: IngestRuntime) -> None:
        settings, lake, topics = runtime.settings, runtime.lake, runtime.topics
        self.runtime = runtime
        self.flush_rows, self.flush_seconds = settings.writer_flush_rows, settings.writer_flush_seconds
        window = timedelta(hours=settings.writer_dedupe_hours)
        self.sinks = {
            topics.telemetry: Sink(
                "readings", lake.catalog, lake.readings_id, READINGS_SCHEMA, "ingested_at", window
            ),
            topics.dead_letters: Sink(
                "dead-letters", lake.catalog, lake.dead_letters_id, DEAD_LETTER_SCHEMA, "rejected_at", window
            ),
        }
        self._new_assignment: set[TopicPartition] | None = None

    def _assigned(self, assigned: set[TopicPartition]) -> None:
        # Only noted here: lake I/O inside the client's rebalance callback stalls the group protocol.
        self._new_assignment = assigned

    def _position(self, consumer: Consumer, assigned: set[TopicPartition]) -> None:
        for topic, sink in self.sinks.items():
            for partition, offset in sink.assign({p for t, p in assigned if t == topic}).items():
                consumer.seek(topic, partition, offset)

    def run(self, stop: threading.Event) -> None:
        group = self.runtime.settings.writer_group
        consumer = self.runtime.bus.consumer(list(self.sinks), group, self._assigned)
        try:
            while not stop.is_set():
                records = consumer.poll(timeout_s=0.2, max_records=500)
                if (assigned := self._new_assignment) is not None:
                    # What this poll fetched predates the positions taken from the lake: never used, and
                    # nothing is consumed until the lake has answered where the new partitions resume.
                    if _attempt(
                        lambda: self._position(consumer, assigned),
                        "cannot read the lake's offsets for new partitions; retrying",
                        stop,
                    ):
                        self._new_assignment = None
                    continue
                for record in records:
                    self.sinks[record.topic].add(record)
                for sink in self.sinks.values():
                    # Nothing counts as written before it is committed: the buffer is kept until then.
                    if sink.due(self.flush_rows, self.flush_seconds):
                        _attempt(
                            sink.commit,
                            f"{sink.name}: commit failed; keeping {sink.pending_rows} rows and retrying",
                            stop,
                        )
            for sink in self.sinks.values():
                if sink.pending:
                    sink.commit()
        finally:
            consumer.close()


def _attempt(action: Callable[[], object], failure: str, stop: threading.Event) -> bool:
    """Run ``action``; if the object store or catalog is down, log, pause and say so (the caller retries)."""
    try:
        action()
    except Exception:  # the lake may be unreachable for a while; the writer outlives it
        log.exception(failure)
        stop.wait(2.0)
        return False
    return True


def stamped(table: pa.Table, *, factory_id: str, org_id: str, batch_key: str, column: str) -> pa.Table:
    """Add the tenant columns and the ingestion time that every lake row carries."""
    n = table.num_rows
    return (
        table.append_column("factory_id", dictionaries.constant(factory_id, n))
        .append_column("org_id", dictionaries.constant(org_id, n))
        .append_column("batch_key", dictionaries.constant(batch_key, n))
        .append_column(column, pa.repeat(pa.scalar(datetime.now(UTC), UTC_US), n))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.writer", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings = PlatformSettings()
    while True:
        try:
            runtime = IngestRuntime.open(settings)
            break
        except Exception:  # the bus or the lake is not up yet: a writer waits rather than dies
            log.exception("bus or lake unreachable; retrying in 5 s")
            if stop.wait(5.0):
                return 0
    LakeWriter(runtime).run(stop)
    runtime.bus.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
