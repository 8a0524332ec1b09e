"""A durable bus on local disk for the embedded topology: one append-only, fsynced log file per partition."""

from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

from ingest.bus import BusUnavailable, OnAssign, Outgoing, Record

_FRAME = struct.Struct(">III")  # meta length, value length, crc32 of both


class _PartitionLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.positions: list[int] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        self._recover()
        self._file = open(path, "ab")  # noqa: SIM115 - held open for the life of the bus

    def _recover(self) -> None:
        """Index every complete frame; a torn tail (crash mid-append) is cut off."""
        with open(self.path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + _FRAME.size <= len(data):
            meta_len, value_len, crc = _FRAME.unpack_from(data, pos)
            end = pos + _FRAME.size + meta_len + value_len
            if end > len(data) or zlib.crc32(data[pos + _FRAME.size : end]) != crc:
                break
            self.positions.append(pos)
            pos = end
        if pos < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(pos)

    def append(self, meta: bytes, value: bytes) -> int:
        frame = _FRAME.pack(len(meta), len(value), zlib.crc32(meta + value)) + meta + value
        position = self._file.tell()
        self._file.write(frame)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.positions.append(position)
        return len(self.positions) - 1

    def read(self, offset: int, limit: int) -> list[tuple[int, bytes, bytes]]:
        out = []
        with open(self.path, "rb") as f:
            for index in range(offset, min(offset + limit, len(self.positions))):
                f.seek(self.positions[index])
                meta_len, value_len, _ = _FRAME.unpack(f.read(_FRAME.size))
                out.append((index, f.read(meta_len), f.read(value_len)))
        return out

    def close(self) -> None:
        self._file.close()


class LocalBus:
    def __init__(self, directory: Path, partitions: int = 6) -> None:
        self.directory = directory
        self.partitions = partitions
        self._logs: dict[tuple[str, int], _PartitionLog] = {}
        self._lock = threading.Lock()
        self._appended = threading.Condition(self._lock)

    def _log(self, topic: str, partition: int) -> _PartitionLog:
        key = (topic, partition)
        if key not in self._logs:
            self._logs[key] = _PartitionLog(self.directory / topic / f"{partition}.log")
        return self._logs[key]

    def ensure_topics(self, topics: list[str]) -> None:
        with self._lock:
            for topic in topics:
                for partition in range(self.partitions):
                    self._log(topic, partition)

    def publish(self, outgoing: Sequence[Outgoing]) -> None:
        try:
            with self._appended:
                for message in outgoing:
                    partition = zlib.crc32(message.key) % self.partitions
                    meta = json.dumps({"key": message.key.decode(), "headers": message.headers}).encode()
                    self._log(message.topic, partition).append(meta, message.value)
                self._appended.notify_all()
        except OSError as exc:
            raise BusUnavailable(f"local bus could not write: {exc}") from exc

    def consumer(self, topics: list[str], group: str, on_assign: OnAssign) -> LocalConsumer:
        return LocalConsumer(self, topics, on_assign)

    def check(self) -> None:
        if not os.access(self.directory, os.W_OK):
            raise BusUnavailable(f"{self.directory} is not writable")

    def wake(self) -> None:
        with self._appended:
            self._appended.notify_all()

    def close(self) -> None:
        with self._lock:
            for log in self._logs.values():
                log.close()
            self._logs.clear()


class LocalConsumer:
    """The only member of its group: it owns every partition."""

    def __init__(self, bus: LocalBus, topics: list[str], on_assign: OnAssign) -> None:
        self.bus = bus
        self.offsets = {(t, p): 0 for t in topics for p in range(bus.partitions)}
        self._on_assign: OnAssign | None = on_assign
        bus.ensure_topics(topics)

    def _read(self, max_records: int) -> list[Record]:
        records: list[Record] = []
        for (topic, partition), offset in self.offsets.items():
            for index, meta, value in self.bus._log(topic, partition).read(
                offset, max_records - len(records)
            ):
                decoded = json.loads(meta)
                records.append(
                    Record(topic, partition, index, decoded["key"].encode(), value, decoded["headers"])
                )
                self.offsets[(topic, partition)] = index + 1
            if len(records) >= max_records:
                break
        return records

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        if self._on_assign is not None:  # like Kafka, assignment happens inside the first poll
            on_assign, self._on_assign = self._on_assign, None
            on_assign(set(self.offsets))
        with self.bus._appended:
            records = self._read(max_records)
            if not records:
                self.bus._appended.wait(timeout_s)
                records = self._read(max_records)
        return records

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self.offsets[(topic, partition)] = offset

    def lagging(self) -> bool:
        return False  # reads the log files themselves: nothing between them and the reader to get stuck

    def assignment(self) -> set[tuple[str, int]]:
        return set(self.offsets)

    def close(self) -> None:
        """Nothing to release: positions live in the lake."""
