"""Apache Kafka through kafka-python: idempotent acks=all producer, consumer groups, topics made at start."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError, TopicAlreadyExistsError

from ingest.bus import BusUnavailable, OnAssign, Outgoing, Record

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class KafkaBus:
    def __init__(
        self,
        bootstrap: str,
        partitions: int = 6,
        client_id: str = "smartmfg",
        *,
        replication_factor: int = 1,
        min_insync_replicas: int = 1,
    ) -> None:
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.min_insync_replicas = min_insync_replicas
        self.client_id = client_id
        self._producer: KafkaProducer | None = None

    def _admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(
            bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin", request_timeout_ms=10000
        )

    def ensure_topics(self, topics: list[str]) -> None:
        admin = self._admin()
        try:
            missing = set(topics) - set(admin.list_topics())
            if missing:
                try:
                    admin.create_topics(
                        [
                            NewTopic(
                                t,
                                self.partitions,
                                self.replication_factor,
                                topic_configs={
                                    "max.message.bytes": str(MAX_MESSAGE_BYTES + 1024 * 1024),
                                    "min.insync.replicas": str(self.min_insync_replicas),
                                },
                            )
                            for t in sorted(missing)
                        ]
                    )
                    log.info("created Kafka topics %s", sorted(missing))
                except TopicAlreadyExistsError:
                    pass
        finally:
            admin.close()

    def producer(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    client_id=self.client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,  # values arrive zstd-compressed (messages.py)
                    batch_size=1024 * 1024,
                    max_request_size=MAX_MESSAGE_BYTES + 1024 * 1024,
                    request_timeout_ms=10000,
                    delivery_timeout_ms=20000,
                    max_block_ms=5000,
                )
            except KafkaError as exc:
                raise BusUnavailable(f"Kafka at {self.bootstrap} unreachable: {exc}") from exc
        return self._producer

    def publish(self, outgoing: Sequence[Outgoing]) -> None:
        try:
            producer = self.producer()
            # All sent before any is awaited: the slices of a batch share the broker round trips.
            futures = [
                producer.send(
                    m.topic, key=m.key, value=m.value, headers=[(k, v.encode()) for k, v in m.headers.items()]
                )
                for m in outgoing
            ]
            for future in futures:
                future.get(timeout=20)
        except KafkaError as exc:
            raise BusUnavailable(f"Kafka did not acknowledge the batch: {exc}") from exc

    def consumer(self, topics: list[str], group: str, on_assign: OnAssign) -> KafkaGroupConsumer:
        return KafkaGroupConsumer(self.bootstrap, topics, group, on_assign)

    def check(self) -> None:
        admin = self._admin()
        try:
            admin.list_topics()
        finally:
            admin.close()

    def wake(self) -> None:
        """Nothing to do: kafka-python's poll cannot be woken from another thread, it ends at its timeout."""

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


class _Listener(ConsumerRebalanceListener):
    def __init__(self, on_assign: OnAssign) -> None:
        self.on_assign = on_assign

    def on_partitions_revoked(self, revoked: Any) -> None:
        log.info("partitions revoked: %s", sorted((tp.topic, tp.partition) for tp in revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.on_assign({(tp.topic, tp.partition) for tp in assigned})


class KafkaGroupConsumer:
    """A member of a consumer group; positions come from the lake, so Kafka's own commits are not used."""

    def __init__(self, bootstrap: str, topics: list[str], group: str, on_assign: OnAssign) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_MESSAGE_BYTES + 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            session_timeout_ms=15000,
            heartbeat_interval_ms=3000,
            max_poll_interval_ms=300000,
        )
        self._await_metadata(topics)
        self._consumer.subscribe(topics, listener=_Listener(on_assign))

    def _await_metadata(self, topics: list[str], timeout_s: float = 30.0) -> None:
        """Join the group only once the topics' partitions are known: a member that joins right after the
        topics were created can be handed no partitions and then miss the next assignment for minutes."""
        deadline = time.monotonic() + timeout_s
        while any(not self._consumer.partitions_for_topic(t) for t in topics):
            if time.monotonic() > deadline:
                raise BusUnavailable(f"no partition metadata for {topics} after {timeout_s:.0f} s")
            time.sleep(0.2)

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [
            Record(
                m.topic,
                m.partition,
                m.offset,
                m.key or b"",
                m.value or b"",
                {k: v.decode() for k, v in (m.headers or [])},
            )
            for messages in batches.values()
            for m in messages
        ]

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self._consumer.seek(TopicPartition(topic, partition), offset)

    def assignment(self) -> set[tuple[str, int]]:
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def lagging(self) -> bool:
        owned = list(self._consumer.assignment())
        if not owned:
            return False
        try:
            ends = self._consumer.end_offsets(owned)
            return any(self._consumer.position(tp) < ends[tp] for tp in owned)
        except KafkaError:  # the broker is away: nothing to fetch either, and the client reconnects itself
            return False

    def close(self) -> None:
        self._consumer.close()
