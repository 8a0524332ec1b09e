"""The event bus port: Kafka in the distributed topology, a durable local log in the embedded one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class BusUnavailable(Exception):
    """The bus could not make a message durable; the caller should retry later (transient)."""


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Topics:
    telemetry: str
    dead_letters: str
    events: str

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        return cls(f"{prefix}.telemetry.v1", f"{prefix}.telemetry.deadletter.v1", f"{prefix}.events.v1")

    def all(self) -> list[str]:
        return [self.telemetry, self.dead_letters, self.events]


TopicPartition = tuple[str, int]
# Called with the partitions a consumer now owns, so it can position itself (e.g. from lake offsets).
OnAssign = Callable[[set[TopicPartition]], None]


@dataclass(frozen=True)
class Outgoing:
    topic: str
    key: bytes
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Consumer(Protocol):
    def poll(self, timeout_s: float, max_records: int) -> list[Record]: ...

    def seek(self, topic: str, partition: int, offset: int) -> None: ...

    def assignment(self) -> set[TopicPartition]: ...

    def lagging(self) -> bool:
        """True when an owned partition has records beyond the consumer's position (blocking)."""
        ...

    def close(self) -> None: ...


class Bus(Protocol):
    partitions: int

    def ensure_topics(self, topics: list[str]) -> None: ...

    def publish(self, outgoing: Sequence[Outgoing]) -> None:
        """Return only once every message is durable (Kafka acks=all, local log fsynced)."""

    def consumer(self, topics: list[str], group: str, on_assign: OnAssign) -> Consumer: ...

    def check(self) -> None: ...

    def wake(self) -> None:
        """Make a poll of this process that waits for records return now (its consumer is stopping)."""

    def close(self) -> None: ...
