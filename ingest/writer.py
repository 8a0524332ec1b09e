"""Lake writer: consumes the bus and commits Iceberg snapshots exactly once.

Run one or more with ``python -m ingest.writer``; writers of the same group share the topics' partitions.
The consumed offsets travel inside the snapshot that commits the rows, so a writer that restarts (or takes
over a partition) resumes from the table, never from memory or Kafka's own commits. Batch keys already in
the table are skipped, so a batch published twice lands once. A commit is fenced: it lands only if the
table's offsets of the writer's partitions are still those its buffer continues from. A writer that lost a
partition in a rebalance it has not heard of yet (stalled, or thrown out of the group under load) would
otherwise commit rows the partition's new owner commits too; fenced, it drops its buffer and consumes again
from the table.

Errors split in two. A message that cannot be decoded or does not fit the table is terminal: it becomes a
dead letter (field ``message``, the reason, its topic/partition/offset), its offset advances and a metric
counts it; its dead letter commits no later than the offsets that skip it. Everything else (the object
store or catalog down, a lost commit race) is transient: the buffer is kept and retried with bounded
exponential backoff, shown in ``/readyz`` (embedded) or the writer's own ``/readyz`` (``--port``).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import GreaterThanOrEqual
from pyiceberg.table import Table

from catalog import appends
from catalog.appends import table_offsets
from catalog.lake import DEAD_LETTER_SCHEMA, READINGS_SCHEMA
from ingest import messages
from ingest.bus import Consumer, Record, TopicPartition
from ingest.runtime import IngestRuntime
from services.kit.settings import PlatformSettings

log = logging.getLogger("ingest.writer")
COMMIT_ATTEMPTS = 8
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 30.0
# A writer that has failed this many times in a row, or has not come round its loop for this long, is not
# ready: its partitions are better served by another member of the group.
UNHEALTHY_FAILURES, STALLED_S = 5, 120.0
# A consumer that is behind its partitions' ends yet fetches nothing for this long is rejoined: seen with
# kafka-python after two back-to-back rebalances at start-up (positions set, fetches empty for ever).
FETCH_STALL_S = 20.0
MAX_KNOWN_KEYS = 2_000_000

POISON = Counter(
    "smartmfg_writer_poison_messages_total",
    "bus messages that could not be decoded (dead-lettered)",
    ["sink"],
)
FAILURES = Counter(
    "smartmfg_writer_failures_total", "transient lake failures (commit or positioning)", ["sink"]
)
COMMITTED = Counter("smartmfg_writer_committed_rows_total", "rows committed to the lake", ["sink"])
LAST_COMMIT = Gauge("smartmfg_writer_last_commit_timestamp_seconds", "time of the last commit", ["sink"])
FENCED = Counter(
    "smartmfg_writer_fenced_total", "commits refused: another writer had committed the partition meanwhile"
)
METRICS = (POISON, FAILURES, COMMITTED, LAST_COMMIT, FENCED)


class PoisonMessage(Exception):
    """A bus message that can never be written: terminal, it becomes a dead letter."""


class Fenced(Exception):
    """Another writer committed offsets of a partition this one holds rows of: it owned the partition
    meanwhile. Not a lake failure: the rows are dropped and consumed again from the table's offsets."""


class RecentKeys:
    """Batch keys seen within the dedupe window, bounded in time and in number (oldest forgotten first)."""

    def __init__(self, window: timedelta, limit: int = MAX_KNOWN_KEYS) -> None:
        self.window_s, self.limit = window.total_seconds(), limit
        self._added: dict[str, float] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._added

    def __len__(self) -> int:
        return len(self._added)

    def reset(self, keys: list[str]) -> None:
        self._added = {}
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        now = time.monotonic()
        self._added[key] = now
        # Insertion order is age order: forget from the front while too old or too many.
        while self._added:
            oldest, added = next(iter(self._added.items()))
            if len(self._added) <= self.limit and now - added <= self.window_s:
                break
            del self._added[oldest]


@dataclass
class Health:
    """What readiness and metrics tell about one writer loop."""

    started: float = field(default_factory=time.monotonic)
    heartbeat: float = field(default_factory=time.monotonic)
    failures: int = 0  # transient failures in a row
    last_error: str | None = None
    poison: int = 0
    stopped: bool = False

    def problem(self) -> str | None:
        if self.stopped:
            return "the lake writer has stopped"
        if self.failures >= UNHEALTHY_FAILURES:
            return f"the lake writer failed {self.failures} times in a row: {self.last_error}"
        if time.monotonic() - self.heartbeat > STALLED_S:
            return f"the lake writer has not advanced for {time.monotonic() - self.heartbeat:.0f} s"
        return None

    def check(self) -> None:
        """A readiness check: raises while the writer is not doing its job."""
        if (problem := self.problem()) is not None:
            raise RuntimeError(problem)


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
    # The table's offsets the buffer continues from: a commit lands only while the table still has them.
    resumed: dict[int, int] = field(default_factory=dict)
    seen: RecentKeys = field(init=False)
    oldest: float | None = None
    committed_rows: int = 0
    layout: Table | None = None  # the table as last loaded, for its partition spec

    def __post_init__(self) -> None:
        self.wire = appends.wire_schema(self.schema)
        self.seen = RecentKeys(self.dedupe_window)

    def table(self) -> Table:
        return self.catalog.load_table(self.table_id)

    def assign(self, partitions: set[int]) -> dict[int, int]:
        """Drop what is buffered and return where every owned partition resumes: the table's offsets."""
        table = self.layout = self.table()
        stored = table_offsets(table)
        self.pending, self.pending_rows, self.oldest = {}, 0, None
        self.next_offsets = {p: stored.get(p, 0) for p in partitions}
        self.resumed = dict(self.next_offsets)
        # The keys of what the table holds now, not what this writer had buffered: the buffer was just
        # dropped and will be consumed again, and other writers may have committed these partitions. Only
        # recent rows: a batch is republished within minutes (publish went through, the ledger write did
        # not), and the files' statistics on the stamp column keep this read from growing with the lake.
        since = datetime.now(UTC) - self.dedupe_window
        recent = GreaterThanOrEqual(term=self.stamped_at, value=since.isoformat())
        keys = table.scan(row_filter=recent, selected_fields=("batch_key",)).to_arrow()["batch_key"]
        self.seen.reset(pc.unique(keys).to_pylist())
        log.info(
            "%s: resuming partitions %s from lake offsets (%d batch keys known)",
            self.name,
            self.next_offsets,
            len(self.seen),
        )
        return self.next_offsets

    def add(self, record: Record) -> None:
        """Buffer a message's rows; raises PoisonMessage (its offset already passed) if it cannot be."""
        if record.partition not in self.next_offsets or self.layout is None:
            return  # revoked meanwhile
        self.next_offsets[record.partition] = record.offset + 1
        key = record.headers.get("batch_key", "")
        if key in self.seen:
            return  # a retried batch: already in the table or in this buffer
        self.seen.add(key)
        try:
            rows = appends.conform(messages.decode(record.value), self.wire)
        except (pa.ArrowException, KeyError, TypeError, ValueError) as exc:
            raise PoisonMessage(f"{type(exc).__name__}: {exc}"[:500]) from exc
        self.buffer(rows)

    def add_letter(self, key: str, rows: pa.Table) -> bool:
        """Buffer a dead letter made by the writer itself, once per key like a bus message (True if new)."""
        if key in self.seen or self.layout is None:
            return False
        self.seen.add(key)
        self.buffer(appends.conform(rows, self.wire))
        return True

    def buffer(self, rows: pa.Table) -> None:
        assert self.layout is not None
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
            stored = table_offsets(table)
            moved = sorted(p for p in self.next_offsets if stored.get(p, 0) != self.resumed.get(p, 0))
            if moved:
                raise Fenced(f"{self.name}: partitions {moved} were committed by another writer")
            offsets = stored | self.next_offsets
            try:
                appends.commit(table, files, appends.offsets_property(offsets))
                break
            except CommitFailedException:
                log.info("%s: another writer committed first, retrying (%d)", self.name, attempt)
                table = self.table()  # the files written stay valid: only the snapshot is made again
        else:
            raise RuntimeError(f"{self.name}: could not commit after {COMMIT_ATTEMPTS} attempts")
        self.resumed = dict(self.next_offsets)
        self.committed_rows += self.pending_rows
        COMMITTED.labels(self.name).inc(self.pending_rows)
        LAST_COMMIT.labels(self.name).set_to_current_time()
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
    def __init__(self, runtime: IngestRuntime, on_commit: Callable[[], object] | None = None) -> None:
        settings, lake, topics = runtime.settings, runtime.lake, runtime.topics
        self.runtime = runtime
        self.flush_rows, self.flush_seconds = settings.writer.flush_rows, settings.writer.flush_seconds
        window = timedelta(hours=settings.writer.dedupe_hours)
        self.letters = Sink(
            "dead-letters", lake.catalog, lake.dead_letters_id, DEAD_LETTER_SCHEMA, "rejected_at", window
        )
        # Dead letters first: a poison message's letter must commit no later than the offsets that skip it.
        self.sinks = {
            topics.dead_letters: self.letters,
            topics.telemetry: Sink(
                "readings", lake.catalog, lake.readings_id, READINGS_SCHEMA, "ingested_at", window
            ),
        }
        self.health = Health()
        self.on_commit = on_commit  # e.g. wake the rollups: new readings are in the lake
        self._new_assignment: set[TopicPartition] | None = None

    def _assigned(self, assigned: set[TopicPartition]) -> None:
        # Only noted here: lake I/O inside the client's rebalance callback stalls the group protocol.
        self._new_assignment = assigned

    def _position(self, consumer: Consumer, assigned: set[TopicPartition]) -> None:
        for topic, sink in self.sinks.items():
            for partition, offset in sink.assign({p for t, p in assigned if t == topic}).items():
                consumer.seek(topic, partition, offset)

    def _take(self, record: Record) -> None:
        sink = self.sinks[record.topic]
        try:
            sink.add(record)
        except PoisonMessage as exc:
            # Counted once per message: consumed again after a rebalance, it is already a dead letter.
            if self.letters.add_letter(*poison_letter(record, str(exc))):
                self.health.poison += 1
                POISON.labels(sink.name).inc()
                log.error("%s: dead-lettering message %s/%d@%d: %s", sink.name, *record_at(record), exc)

    def _consumer(self) -> Consumer:
        return self.runtime.bus.consumer(list(self.sinks), self.runtime.settings.writer.group, self._assigned)

    def run(self, stop: threading.Event) -> None:
        consumer = self._consumer()
        backoff = Backoff(self.health, stop)
        quiet_since = time.monotonic()
        try:
            while not stop.is_set():
                self.health.heartbeat = time.monotonic()
                # While the lake refuses a full buffer only its commit is retried: consuming on would grow
                # the buffer for as long as the outage lasts (what is not consumed waits on the bus).
                full = any(sink.pending_rows >= self.flush_rows for sink in self.sinks.values())
                records = [] if full else consumer.poll(timeout_s=0.2, max_records=500)
                if records or full or self._new_assignment is not None:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > FETCH_STALL_S:
                    quiet_since = time.monotonic()
                    if consumer.lagging():
                        log.warning(
                            "behind the bus but fetching nothing for %.0f s: rejoining", FETCH_STALL_S
                        )
                        consumer.close()
                        consumer = (
                            self._consumer()
                        )  # its first poll assigns, and positions come from the lake
                        continue
                if (assigned := self._new_assignment) is not None:
                    # What this poll fetched predates the positions taken from the lake: never used, and
                    # nothing is consumed until the lake has answered where the new partitions resume.
                    if backoff.attempt(
                        functools.partial(self._position, consumer, assigned),
                        "positions",
                        "cannot read the lake's offsets for new partitions; retrying",
                    ):
                        self._new_assignment = None
                    continue
                for record in records:
                    self._take(record)
                if any(sink.due(self.flush_rows, self.flush_seconds) for sink in self.sinks.values()):
                    try:
                        self._commit_due(backoff)
                    except Fenced as exc:
                        log.warning("%s; consuming again from the lake's offsets", exc)
                        FENCED.inc()
                        self._new_assignment = consumer.assignment()
            # At the stop as in the loop: a fenced sink's rows are the new owners' to commit, and the sinks
            # after it wait (their offsets may skip letters not yet committed).
            try:
                for sink in self.sinks.values():
                    if sink.pending:
                        sink.commit()
            except Fenced as exc:
                log.warning("%s; stopping without them", exc)
        finally:
            self.health.stopped = True
            consumer.close()

    def _commit_due(self, backoff: Backoff) -> None:
        # Nothing counts as written before it is committed: the buffer is kept until then.
        for sink in self.sinks.values():
            if sink.pending and not backoff.attempt(
                sink.commit,
                sink.name,
                f"{sink.name}: commit failed; keeping {sink.pending_rows} rows and retrying",
            ):
                return  # later sinks wait: their offsets may skip letters not yet committed
        if self.on_commit is not None:
            self.on_commit()


def record_at(record: Record) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset


def poison_letter(record: Record, reason: str) -> tuple[str, pa.Table]:
    """The dead letter of an undecodable message, keyed by its place on the bus (so made once)."""
    topic, partition, offset = record_at(record)
    key = f"poison/{topic}/{partition}/{offset}"
    batch_key = record.headers.get("batch_key", "")
    letter = pa.table(
        {
            "batch_id": pa.array([batch_key.split("/")[1] if batch_key.count("/") >= 2 else "?"]),
            "row": pa.array([-1], pa.int64()),
            "field": pa.array(["message"]),
            "reason": pa.array([f"undecodable bus message ({topic} {partition}@{offset}): {reason}"]),
            "raw": pa.array([record.value[:256].hex()]),
        }
    )
    return key, appends.stamped(
        letter,
        factory_id=record.headers.get("factory_id", "?"),
        org_id=record.headers.get("org_id", "?"),
        batch_key=key,
        column="rejected_at",
    )


@dataclass
class Backoff:
    """Transient lake failures: log, wait (1 s doubling to 30 s), record them in ``health``."""

    health: Health
    stop: threading.Event
    delay: float = BACKOFF_FIRST_S

    def attempt(self, action: Callable[[], object], what: str, failure: str) -> bool:
        try:
            action()
        except Fenced:
            raise  # not the lake's failure: the writer repositions (LakeWriter.run)
        except Exception as exc:  # the lake may be unreachable for a while; the writer outlives it
            log.exception(failure)
            FAILURES.labels(what).inc()
            self.health.failures += 1
            self.health.last_error = f"{type(exc).__name__}: {exc}"[:300]
            self.stop.wait(self.delay)
            self.delay = min(self.delay * 2, BACKOFF_MAX_S)
            return False
        self.health.failures, self.health.last_error, self.delay = 0, None, BACKOFF_FIRST_S
        return True


class _StatusHandler(BaseHTTPRequestHandler):
    """``/healthz``, ``/readyz`` and ``/metrics`` of a writer process, for its pod's probes."""

    writer: LakeWriter | None = None

    def do_GET(self) -> None:
        if self.path == "/metrics":
            self._answer(200, generate_latest(), CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self._answer(200, b'{"status":"ok"}')
        elif self.path == "/readyz":
            problem = (
                "starting: bus or lake not reached yet"
                if self.writer is None
                else self.writer.health.problem()
            )
            body = {"status": "ready"} if problem is None else {"status": "not ready", "detail": problem}
            self._answer(200 if problem is None else 503, json.dumps(body).encode())
        else:
            self._answer(404, b'{"error":"NotFound"}')

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds: not worth a line
        return


def serve_status(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("0.0.0.0", port), _StatusHandler)
    threading.Thread(target=server.serve_forever, name="writer-status", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.writer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="serve /healthz, /readyz and /metrics on this port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    status = serve_status(args.port) if args.port else None
    settings = PlatformSettings()
    while True:
        try:
            runtime = IngestRuntime.open(settings)
            break
        except Exception:  # the bus or the lake is not up yet: a writer waits rather than dies
            log.exception("bus or lake unreachable; retrying in 5 s")
            if stop.wait(5.0):
                return 0
    writer = _StatusHandler.writer = LakeWriter(runtime)
    writer.run(stop)
    runtime.bus.close()
    if status is not None:
        status.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
