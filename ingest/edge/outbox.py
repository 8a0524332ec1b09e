"""The on-disk outbox: every batch is durable here before it is sent, and stays until the platform
acknowledges it (or refuses it for good, then it moves to ``failed/`` with the platform's answer).

Layout under the outbox directory::

    pending/<batch_id>.batch   header line (JSON) + request body, written atomically and fsynced
    failed/<batch_id>.batch    refused with a 4xx; failed/<batch_id>.error.json holds the status and body
    acked.log                  one JSON line per acknowledged batch with the platform's receipt
    tmp/                       half-written files; a crash leaves them here, never in pending/

The ack order (log the receipt, then delete the pending file) means a crash in between only resends a batch,
which the platform recognises by its ``X-Batch-Id``.
"""

from __future__ import annotations

import glob
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

MAX_LOG_BYTES = 8 * 1024 * 1024
STALE_TMP_S = 600.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class BatchMeta:
    batch_id: str
    factory_id: str
    content_type: str
    rows: int
    policy: str = "reject"
    content_encoding: str | None = None
    source: str = ""
    created_at: str = field(default_factory=_now)
    # Where a gateway connector stood once this batch's readings were read (``smartmfg-edge run``): saved
    # with the batch in one atomic write, so a restart resumes exactly after what was staged.
    checkpoint: dict[str, Any] | None = None


@dataclass(frozen=True)
class FailedBatch:
    meta: BatchMeta
    status: int
    error: Any  # the platform's JSON error body, or its text
    failed_at: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path) -> tuple[BatchMeta, bytes]:
    with open(path, "rb") as handle:
        meta = BatchMeta(**orjson.loads(handle.readline()))
        return meta, handle.read()


class Outbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending_dir, self.failed_dir, self.tmp_dir = root / "pending", root / "failed", root / "tmp"
        for directory in (self.pending_dir, self.failed_dir, self.tmp_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.log = root / "acked.log"
        self._acked: dict[str, dict[str, Any]] | None = None
        self._sweep()

    def _sweep(self) -> None:
        """Drop leftovers of writers that crashed, and keep the ack log bounded: it only saves resends,
        the platform's deduplication is what prevents duplicates."""
        for leftover in self.tmp_dir.iterdir():
            if time.time() - leftover.stat().st_mtime > STALE_TMP_S:
                leftover.unlink(missing_ok=True)
        if self.log.exists() and self.log.stat().st_size > MAX_LOG_BYTES:
            lines = self.log.read_bytes().splitlines(keepends=True)
            self._write_atomic(self.log, b"".join(lines[len(lines) // 2 :]))

    def _write_atomic(self, target: Path, data: bytes) -> None:
        tmp = self.tmp_dir / f"{target.name}.{uuid.uuid4().hex}"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def _pending_path(self, batch_id: str) -> Path:
        return self.pending_dir / f"{batch_id}.batch"

    def _failed_path(self, batch_id: str) -> Path:
        return self.failed_dir / f"{batch_id}.batch"

    def acked(self) -> dict[str, dict[str, Any]]:
        """Receipts of acknowledged batches by batch id (read once, then kept up to date)."""
        if self._acked is None:
            self._acked = {}
            if self.log.exists():
                for line in self.log.read_bytes().splitlines():
                    # A torn last line of a crashed append is skipped: its batch is still pending.
                    try:
                        receipt = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    self._acked[receipt["batch_id"]] = receipt
        return self._acked

    def state(self, batch_id: str) -> str | None:
        if self._pending_path(batch_id).exists():
            return "pending"
        if self._failed_path(batch_id).exists():
            return "failed"
        return "acked" if batch_id in self.acked() else None

    def put(self, meta: BatchMeta, body: bytes) -> bool:
        """Stage a batch; False (and nothing written) when this batch id is already known."""
        if self.state(meta.batch_id) is not None:
            return False
        self._write_atomic(self._pending_path(meta.batch_id), orjson.dumps(asdict(meta)) + b"\n" + body)
        return True

    def pending(self) -> list[BatchMeta]:
        """Pending batches, oldest first: the platform sees a stream's batches in the order they were made."""
        metas = []
        for path in self.pending_dir.glob("*.batch"):
            try:
                with open(path, "rb") as handle:
                    metas.append(BatchMeta(**orjson.loads(handle.readline())))
            except FileNotFoundError:  # delivered meanwhile by another process
                continue
        return sorted(metas, key=lambda m: (m.created_at, m.batch_id))

    def load(self, batch_id: str) -> tuple[BatchMeta, bytes]:
        return _read(self._pending_path(batch_id))

    def ack(self, meta: BatchMeta, receipt: dict[str, Any]) -> None:
        entry = {
            **receipt,
            "batch_id": meta.batch_id,
            "factory_id": meta.factory_id,
            "rows": meta.rows,
            "source": meta.source,
            "acked_at": _now(),
        }
        if meta.checkpoint is not None:
            entry["checkpoint"] = meta.checkpoint
        with open(self.log, "ab") as handle:
            handle.write(orjson.dumps(entry) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.acked()[meta.batch_id] = entry
        self._pending_path(meta.batch_id).unlink(missing_ok=True)
        _fsync_dir(self.pending_dir)

    def fail(self, meta: BatchMeta, status: int, error: Any) -> None:
        """Move a refused batch to failed/ with the platform's answer, which names what to fix."""
        record = {"status": status, "error": error, "failed_at": _now()}
        self._write_atomic(self.failed_dir / f"{meta.batch_id}.error.json", orjson.dumps(record))
        os.replace(self._pending_path(meta.batch_id), self._failed_path(meta.batch_id))
        _fsync_dir(self.failed_dir)
        _fsync_dir(self.pending_dir)

    def failed(self) -> list[FailedBatch]:
        out = []
        for path in sorted(self.failed_dir.glob("*.batch")):
            meta, _ = _read(path)
            error_path = self.failed_dir / f"{meta.batch_id}.error.json"
            record = orjson.loads(error_path.read_bytes()) if error_path.exists() else {}
            out.append(
                FailedBatch(
                    meta, int(record.get("status", 0)), record.get("error"), str(record.get("failed_at", ""))
                )
            )
        return sorted(out, key=lambda f: (f.meta.created_at, f.meta.batch_id))

    def requeue(self, batch_id: str) -> bool:
        """Put a failed batch back in pending/ (after fixing its cause, e.g. publishing its model version)."""
        source = self._failed_path(batch_id)
        if not source.exists():
            return False
        os.replace(source, self._pending_path(batch_id))
        _fsync_dir(self.pending_dir)
        (self.failed_dir / f"{batch_id}.error.json").unlink(missing_ok=True)
        _fsync_dir(self.failed_dir)
        return True

    def known_ids(self, prefix: str) -> set[str]:
        """Ids starting with ``prefix`` in any state."""
        on_disk = {
            path.name.removesuffix(".batch")
            for directory in (self.pending_dir, self.failed_dir)
            for path in directory.glob(f"{glob.escape(prefix)}*.batch")
        }
        return on_disk | {batch_id for batch_id in self.acked() if batch_id.startswith(prefix)}

    def pending_bytes(self) -> int:
        total = 0
        for path in self.pending_dir.glob("*.batch"):
            try:
                total += path.stat().st_size
            except FileNotFoundError:  # delivered meanwhile
                continue
        return total

    def size(self, batch_id: str) -> int:
        """Bytes of a pending batch on disk (0 once it is gone)."""
        try:
            return self._pending_path(batch_id).stat().st_size
        except FileNotFoundError:
            return 0

    def drop(self, batch_id: str) -> bool:
        """Delete a pending batch unsent (a full outbox dropping its oldest data); False if it was gone."""
        path = self._pending_path(batch_id)
        if not path.exists():
            return False
        path.unlink(missing_ok=True)
        _fsync_dir(self.pending_dir)
        return True

    def counts(self) -> dict[str, int]:
        return {
            "pending": sum(1 for _ in self.pending_dir.glob("*.batch")),
            "failed": sum(1 for _ in self.failed_dir.glob("*.batch")),
            "acked": len(self.acked()),
        }
