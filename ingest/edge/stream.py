"""Live streams: records grouped into batches by count or age, and delivered by a background sender so a
slow or absent platform never holds up the stream (the outbox absorbs it)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from ingest.edge.auth import AuthError
from ingest.edge.outbox import Outbox
from ingest.edge.uploader import Delivery, Tally, Uploader, flush

T = TypeVar("T")
RETRY_PAUSE_S = 5.0


class Batcher(Generic[T]):
    """Emits at most ``max_rows`` records at a time, and a partial batch once its first record is
    ``max_age_s`` old, so a slow stream still reaches the platform promptly."""

    def __init__(
        self,
        max_rows: int,
        max_age_s: float,
        emit: Callable[[list[T]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_rows, self.max_age_s, self.emit, self.clock = max_rows, max_age_s, emit, clock
        self.records: list[T] = []
        self.started = 0.0

    def add(self, record: T) -> None:
        if not self.records:
            self.started = self.clock()
        self.records.append(record)
        if len(self.records) >= self.max_rows:
            self.flush()

    def due_in(self) -> float | None:
        """Seconds until the open batch is due; None when there is none."""
        if not self.records:
            return None
        return max(0.0, self.started + self.max_age_s - self.clock())

    def tick(self) -> None:
        if self.records and self.clock() - self.started >= self.max_age_s:
            self.flush()

    def flush(self) -> None:
        if self.records:
            records, self.records = self.records, []
            self.emit(records)


_EOF = object()


def timed_lines(lines: Iterable[str], batcher: Batcher[T], parse: Callable[[str], T | None]) -> None:
    """Feed lines to the batcher, and emit due batches even while no line arrives: the blocking reads
    happen on a thread, the batching on the caller's."""
    inbox: queue.Queue[object] = queue.Queue(maxsize=10_000)

    def read() -> None:
        for line in lines:
            inbox.put(line)
        inbox.put(_EOF)

    threading.Thread(target=read, name="edge-stdin", daemon=True).start()
    while True:
        try:
            item = inbox.get(timeout=batcher.due_in())
        except queue.Empty:
            batcher.tick()
            continue
        if item is _EOF:
            batcher.flush()
            return
        record = parse(str(item))
        if record is not None:
            batcher.add(record)
        batcher.tick()


class BackgroundSender:
    def __init__(
        self,
        outbox: Outbox,
        uploader: Uploader,
        tally: Tally,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.outbox, self.uploader, self.tally, self.on_delivery = outbox, uploader, tally, on_delivery
        self.auth_error: AuthError | None = None
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="edge-sender", daemon=True)

    def start(self) -> BackgroundSender:
        self._thread.start()
        return self

    def notify(self) -> None:
        self._wake.set()

    def close(self) -> None:
        """Stop after one last pass over the outbox; whatever the platform did not take stays pending."""
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            self._wake.clear()
            try:
                drained = flush(self.outbox, self.uploader, self.tally, self.on_delivery)
            except AuthError as exc:
                self.auth_error = exc
                return
            if stopping:
                return
            if drained:
                self._wake.wait()
            else:
                self._stop.wait(RETRY_PAUSE_S)


def lines_of(stream: Iterable[str]) -> Iterator[str]:
    """Non-empty lines without their line ending."""
    for line in stream:
        stripped = line.rstrip("\r\n")
        if stripped.strip():
            yield stripped
