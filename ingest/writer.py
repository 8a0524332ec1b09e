"""Lake writer: consumes the bus and commits Iceberg snapshots exactly once.

Run one per pod/process with ``python -m ingest.writer``; writers of the same group share the topic's
partitions. The consumed offsets travel inside the snapshot that commits the rows, so a writer that
restarts (or takes over a partition) resumes from the table, never from memory or Kafka's own commits.
Batch keys already in the table are skipped, so a batch published twice lands once.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table

from catalog.lake import DEAD_LETTER_SCHEMA, READINGS_SCHEMA, UTC_US, snapshot_property
from ingest import messages
from ingest.bus import Consumer, Record
from ingest.runtime import IngestRuntime
from services.kit.settings import PlatformSettings

log = logging.getLogger("ingest.writer")
OFFSETS_KEY = "smartmfg.bus-offsets"
COMMIT_ATTEMPTS = 8


def table_offsets(table: Table) -> dict[int, int]:
    raw = snapshot_property(table, OFFSETS_KEY)
    return {int(p): int(o) for p, o in json.loads(raw).items()} if raw else {}


@dataclass
class LakeWriter:
    name: str
    runtime: IngestRuntime
    topic: str
    table_id: str
    schema: pa.Schema
    flush_rows: int
    flush_seconds: float
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0
    next_offsets: dict[int, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    oldest: float | None = None
    committed_rows: int = 0
    _consumer: Consumer = field(init=False)

    @classmethod
    def both(cls, runtime: IngestRuntime) -> list[LakeWriter]:
        s = runtime.settings
        return [
            cls("readings", runtime, runtime.topics.telemetry, runtime.lake.readings_id, READINGS_SCHEMA,
                s.writer_flush_rows, s.writer_flush_seconds),
            cls("dead-letters", runtime, runtime.topics.dead_letters, runtime.lake.dead_letters_id,
                DEAD_LETTER_SCHEMA, s.writer_flush_rows, s.writer_flush_seconds),
        ]

    def _table(self) -> Table:
        return self.runtime.lake.catalog.load_table(self.table_id)

    def _position(self, partitions: set[int]) -> None:
        """Called on (re)assignment: drop what is buffered and resume every partition from the table."""
        table = self._table()
        stored = table_offsets(table)
        self.pending, self.pending_rows, self.oldest = [], 0, None
        self.next_offsets = {p: stored.get(p, 0) for p in partitions}
        if not self.seen:
            keys = table.scan(selected_fields=("batch_key",)).to_arrow()["batch_key"]
            self.seen = set(pc.unique(keys).to_pylist())
        for partition, offset in self.next_offsets.items():
            self._consumer.seek(partition, offset)
        log.info("%s: resuming partitions %s from lake offsets %s (%d batch keys known)", self.name,
                 sorted(partitions), self.next_offsets, len(self.seen))

    def _add(self, record: Record) -> None:
        self.next_offsets[record.partition] = record.offset + 1
        key = record.headers.get("batch_key", "")
        if key in self.seen:
            return  # a retried batch: already in the table or in this buffer
        self.seen.add(key)
        table = messages.decode(record.value)
        self.pending.append(table.select(self.schema.names).cast(self.schema))
        self.pending_rows += table.num_rows
        self.oldest = self.oldest or time.monotonic()

    def _due(self) -> bool:
        if self.pending_rows >= self.flush_rows:
            return True
        return self.oldest is not None and time.monotonic() - self.oldest >= self.flush_seconds

    def commit(self) -> None:
        data = pa.concat_tables(self.pending) if self.pending else None
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            table = self._table()
            offsets = table_offsets(table) | self.next_offsets
            try:
                if data is not None:
                    table.append(data, snapshot_properties={OFFSETS_KEY: json.dumps(offsets)})
                break
            except CommitFailedException:
                log.info("%s: concurrent commit, retrying (%d)", self.name, attempt)  # another writer won
        else:
            raise RuntimeError(f"{self.name}: could not commit after {COMMIT_ATTEMPTS} attempts")
        self.committed_rows += self.pending_rows
        log.info("%s: committed %d rows (total %d), offsets %s", self.name, self.pending_rows,
                 self.committed_rows, self.next_offsets)
        self.pending, self.pending_rows, self.oldest = [], 0, None

    def run(self, stop: threading.Event) -> None:
        group = f"{self.runtime.settings.writer_group}-{self.name}"
        self._consumer = self.runtime.bus.consumer(self.topic, group, self._position)
        try:
            while not stop.is_set():
                for record in self._consumer.poll(timeout_s=0.2, max_records=500):
                    if record.partition in self.next_offsets:
                        self._add(record)
                if self._due():
                    self._commit_or_wait(stop)
            if self.pending:
                self.commit()
        finally:
            self._consumer.close()

    def _commit_or_wait(self, stop: threading.Event) -> None:
        """Keep the buffer when the lake is unreachable; nothing is acknowledged before it is committed."""
        try:
            self.commit()
        except Exception:  # the object store or catalog may be down for a while: keep the rows, retry
            log.exception("%s: commit failed; keeping %d rows and retrying", self.name, self.pending_rows)
            stop.wait(2.0)


def stamped(table: pa.Table, *, factory_id: str, org_id: str, batch_key: str, column: str) -> pa.Table:
    """Add the tenant columns and the ingestion time that every lake row carries."""
    n = table.num_rows
    now = pa.array([datetime.now(UTC)] * n, UTC_US) if n else pa.array([], UTC_US)
    return (table.append_column("factory_id", pa.array([factory_id] * n, pa.string()))
            .append_column("org_id", pa.array([org_id] * n, pa.string()))
            .append_column("batch_key", pa.array([batch_key] * n, pa.string()))
            .append_column(column, now))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.writer", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["readings", "dead-letters"], help="run one of the two writers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = IngestRuntime.open(PlatformSettings())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    writers = [w for w in LakeWriter.both(runtime) if args.only in (None, w.name)]
    threads = [threading.Thread(target=w.run, args=(stop,), name=w.name) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runtime.bus.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
