"""From connector samples to outbox batches, with checkpoints that make restarts exact.

Invariants:
- A connector's position in its source (the MTConnect sequence, per series the newest timestamp staged)
  is saved **in the batch's own meta**, in the same atomic write as its readings. After a crash, the
  gateway resumes from the newest staged batch, so a reading read but not yet staged is read again, and
  one staged is never staged twice. ``state/<connector>.json`` is a compaction of those checkpoints (the
  ack log is trimmed); on start it is merged with the newer checkpoints of batches still in the outbox.
- A sample whose timestamp is not newer than the newest already staged for its series (equipment, item)
  is a repeat (an OPC UA subscription's initial value after a restart, an MQTT redelivery) and is skipped.
- The outbox is bounded: past ``max_mb`` of pending batches, either new batches are dropped (their
  position still advances, written to the state file) or the oldest pending ones are; both are counted.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ingest.edge import payloads
from ingest.edge.gateway import ConfigError
from ingest.edge.gwconfig import OutboxLimit
from ingest.edge.metrics import Metrics
from ingest.edge.outbox import BatchMeta, Outbox
from ingest.edge.standards import Model, ModelItem
from ingest.edge.stream import Batcher
from ingest.edge.uploader import Delivery

log = logging.getLogger("smartmfg_edge")


@dataclass(frozen=True)
class Binding:
    """A source point bound to a model item: what its values mean and in which unit they come."""

    item: ModelItem
    unit: str | None
    values: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    binding: Binding
    ts: datetime
    value: Any
    quality: str = "good"
    equipment_id: str | None = None  # default: the connector's


def stamp(ts: datetime) -> str:
    """UTC with microseconds, fixed width: compares as text in time order."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


_TRUE, _FALSE = {"true", "1", "on", "yes"}, {"false", "0", "off", "no"}


def coerce(item: ModelItem, value: Any) -> Any:
    """The source value in the item's data type where it reads as one (MTConnect and MQTT send text);
    anything else goes as it is and the platform's validation names the problem."""
    if item.data_type in ("float", "int") and not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        return int(number) if item.data_type == "int" and number.is_integer() else number
    if item.data_type == "bool":
        text = str(value).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else value
    if item.data_type == "string" and not isinstance(value, str):
        return str(value)
    return value


@dataclass
class Checkpoint:
    seq: int = 0
    cursor: dict[str, Any] = field(default_factory=dict)
    hwm: dict[str, str] = field(default_factory=dict)  # "equipment|item" -> newest staged stamp

    def merge(self, other: dict[str, Any]) -> None:
        self.seq = max(self.seq, int(other.get("seq", 0)))
        if other.get("cursor"):
            self.cursor = dict(other["cursor"])
        for key, ts in (other.get("hwm") or {}).items():
            if ts > self.hwm.get(key, ""):
                self.hwm[key] = ts

    def document(self, connector: str) -> dict[str, Any]:
        return {"connector": connector, "seq": self.seq, "cursor": self.cursor, "hwm": self.hwm}


class Checkpoints:
    def __init__(self, outbox: Outbox, root: Path) -> None:
        self.outbox, self.root = outbox, root
        root.mkdir(parents=True, exist_ok=True)
        self._in_outbox: list[dict[str, Any]] | None = None

    def _outbox_checkpoints(self) -> list[dict[str, Any]]:
        """Checkpoints of every batch still known to the outbox, read once for all connectors."""
        if self._in_outbox is None:
            found = (
                *(m.checkpoint for m in self.outbox.pending()),
                *(f.meta.checkpoint for f in self.outbox.failed()),
                *(r.get("checkpoint") for r in self.outbox.acked().values()),
            )
            self._in_outbox = [c for c in found if c]
        return self._in_outbox

    def _path(self, connector: str) -> Path:
        return self.root / f"{connector}.json"

    def restore(self, connector: str) -> Checkpoint:
        point = Checkpoint()
        path = self._path(connector)
        if path.exists():
            point.merge(orjson.loads(path.read_bytes()))
        newer = [
            c
            for c in self._outbox_checkpoints()
            if c.get("connector") == connector and int(c.get("seq", 0)) > point.seq
        ]
        for checkpoint in sorted(newer, key=lambda c: int(c["seq"])):
            point.merge(checkpoint)
        return point

    def save(self, connector: str, point: Checkpoint) -> None:
        path = self._path(connector)
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(orjson.dumps(point.document(connector)))
        tmp.replace(path)


Stage = Callable[[str, list[dict[str, Any]], dict[str, Any]], bool]


class Channel:
    """One connector's way into the outbox: samples become readings of its equipment and model, batched
    by count and age; thread-safe (connectors call ``put`` from their own threads)."""

    def __init__(
        self,
        name: str,
        equipment_id: str,
        model: Model,
        restored: Checkpoint,
        stage: Stage,
        on_saved: Callable[[Checkpoint], None],
        metrics: Metrics,
        batch_rows: int,
        batch_seconds: float,
    ) -> None:
        self.name, self.equipment_id, self.model = name, equipment_id, model
        self.point, self._stage, self._on_saved, self.metrics = restored, stage, on_saved, metrics
        self._lock = threading.Lock()
        self._batcher: Batcher[dict[str, Any]] = Batcher(batch_rows, batch_seconds, self._emit)
        self._seen = dict(restored.hwm)  # includes what is in the open batch
        self._delta: dict[str, str] = {}
        self._cursor: dict[str, Any] | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._read = metrics.read.labels(name)
        self._repeats = metrics.dropped.labels(name, "duplicate")

    @property
    def cursor(self) -> dict[str, Any]:
        """Where the connector stood after the newest staged batch (empty on a first start)."""
        return dict(self.point.cursor)

    def bind(self, item_id: str, unit: str | None = None, values: Mapping[str, Any] | None = None) -> Binding:
        item = self.model.items.get(item_id)
        if item is None:
            raise ConfigError(
                f"connector {self.name}: model {self.model.model_id} {self.model.version} has no item "
                f"'{item_id}' (it has {', '.join(sorted(self.model.items))})"
            )
        return Binding(item, unit if unit is not None else item.unit, values)

    def put(
        self,
        samples: list[Sample],
        cursor: dict[str, Any] | None = None,
        on_staged: Callable[[], None] | None = None,
    ) -> None:
        """Add samples read up to ``cursor``; ``on_staged`` runs once they are durable in the outbox (an
        MQTT acknowledgement), at once when nothing new came."""
        with self._lock:
            fresh = 0
            for sample in samples:
                equipment = sample.equipment_id or self.equipment_id
                key = f"{equipment}|{sample.binding.item.item_id}"
                ts = stamp(sample.ts)
                if ts <= self._seen.get(key, ""):
                    self._repeats.inc()
                    continue
                self._seen[key] = self._delta[key] = ts
                value = sample.value
                if sample.binding.values is not None:
                    value = sample.binding.values.get(str(value), value)
                self._batcher.add(
                    {
                        "equipment_id": equipment,
                        "model_id": self.model.model_id,
                        "model_version": self.model.version,
                        "item_id": sample.binding.item.item_id,
                        "ts": ts,
                        "value": coerce(sample.binding.item, value),
                        "unit": sample.binding.unit,
                        "quality": sample.quality,
                    }
                )
                fresh += 1
            self._read.inc(fresh)
            if cursor is not None and cursor != self.point.cursor:
                self._cursor = cursor
            if on_staged is not None:
                self._callbacks.append(on_staged)
            if not self._batcher.records:
                self._emit([])  # nothing open: what was read is staged (or was a repeat)

    def tick(self) -> None:
        with self._lock:
            self._batcher.tick()

    def flush(self) -> None:
        with self._lock:
            self._batcher.flush()

    def save(self) -> None:
        """Compact the position into the state file (periodically and on the way out)."""
        with self._lock:
            self._on_saved(self.point)

    def _emit(self, records: list[dict[str, Any]]) -> None:
        # Called with the lock held, by the batcher or by put.
        if records or self._cursor is not None or self._delta:
            delta = {
                "connector": self.name,
                "seq": self.point.seq + 1,
                "cursor": self._cursor,
                "hwm": self._delta,
            }
            point = Checkpoint(self.point.seq, dict(self.point.cursor), dict(self.point.hwm))
            point.merge(delta)
            if not (records and self._stage(self.name, records, delta)):
                # No batch carries this position (only the cursor moved, or a full outbox dropped the
                # readings): the state file does.
                self._on_saved(point)
            self.point, self._delta, self._cursor = point, {}, None
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


class Stager:
    """Writes batches into the outbox for every channel, keeping the outbox within its bound."""

    def __init__(
        self,
        outbox: Outbox,
        factory_id: str,
        policy: str,
        limit: OutboxLimit,
        metrics: Metrics,
        on_staged: Callable[[], None],
    ) -> None:
        self.outbox, self.factory_id, self.policy = outbox, factory_id, policy
        self.max_bytes, self.overflow = int(limit.max_mb * 1024 * 1024), limit.overflow
        self.metrics, self.on_staged = metrics, on_staged
        self._lock = threading.Lock()
        self._pending_bytes = outbox.pending_bytes()

    def refresh(self) -> None:
        """Re-measure the outbox (the sender shrinks it); called after deliveries."""
        self._pending_bytes = self.outbox.pending_bytes()
        self.metrics.outbox_bytes.set(self._pending_bytes)
        self.metrics.outbox_batches.set(self.outbox.counts()["pending"])

    def stage(self, connector: str, records: list[dict[str, Any]], checkpoint: dict[str, Any]) -> bool:
        body = payloads.encode_json(records)
        meta = BatchMeta(
            batch_id=f"gw-{connector}-{checkpoint['seq']:010d}-{uuid.uuid4().hex[:8]}",
            factory_id=self.factory_id,
            content_type=body.content_type,
            rows=len(records),
            policy=self.policy,
            content_encoding=body.content_encoding,
            source=connector,
            checkpoint=checkpoint,
        )
        size = len(body.data) + len(orjson.dumps(asdict(meta))) + 1  # the batch file: header line + body
        with self._lock:
            if self._pending_bytes + size > self.max_bytes:
                self.refresh()
            if self._pending_bytes + size > self.max_bytes:
                if self.overflow == "drop_newest":
                    self.metrics.dropped.labels(connector, "outbox_full").inc(len(records))
                    log.warning("outbox full: dropped %d new readings of %s", len(records), connector)
                    return False
                self._drop_oldest(size)
            self.outbox.put(meta, body.data)
            self._pending_bytes += size
            self.metrics.outbox_bytes.set(self._pending_bytes)
        self.on_staged()
        return True

    def _drop_oldest(self, room: int) -> None:
        for meta in self.outbox.pending():
            if self._pending_bytes + room <= self.max_bytes:
                return
            size = self.outbox.size(meta.batch_id)
            if self.outbox.drop(meta.batch_id):
                self._pending_bytes -= size
                self.metrics.dropped.labels(meta.source, "outbox_full").inc(meta.rows)
                log.warning(
                    "outbox full: dropped the oldest batch %s (%d readings)", meta.batch_id, meta.rows
                )


def count_delivery(metrics: Metrics, delivery: Delivery) -> None:
    source = delivery.meta.source
    if delivery.outcome == "acked" and delivery.receipt is not None:
        metrics.sent.labels(source).inc(int(delivery.receipt.get("accepted", 0)))
        rejected = int(delivery.receipt.get("rejected", 0))
        if rejected:
            metrics.dropped.labels(source, "refused").inc(rejected)
            log.warning(
                "%s: the platform rejected %d readings of %s", source, rejected, delivery.meta.batch_id
            )
        metrics.last_upload.set_to_current_time()
    elif delivery.outcome == "failed":
        metrics.dropped.labels(source, "refused").inc(delivery.meta.rows)
        log.error("%s: batch %s refused: %s", source, delivery.meta.batch_id, delivery.detail)
    else:
        log.warning("%s: batch %s stays pending: %s", source, delivery.meta.batch_id, delivery.detail)
