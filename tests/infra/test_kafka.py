"""Kafka (KRaft) is real: topic creation, acks=all produce, a consumer group commits, a restart resumes."""

from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from .conftest import KAFKA_BOOTSTRAP, Server

N = 25
PARTITIONS = 3


def _consumer(topic: str, group: str) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=KAFKA_BOOTSTRAP,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
    )


def _poll(consumer: KafkaConsumer, want: int, seconds: float) -> list:
    records: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(records) < want:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    return records


def test_produce_consume_commit_resume(kafka_server: Server, unique: str) -> None:
    topic, group = f"infra-probe-{unique}", f"infra-probe-group-{unique}"
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="infra-test")
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    producer = KafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP, acks="all")
    try:
        assert topic in admin.list_topics()
        futures = [producer.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode()) for i in range(N)]
        producer.flush()
        metas = [f.get(timeout=30) for f in futures]
        assert all(m.topic == topic and m.offset >= 0 for m in metas)

        first = _consumer(topic, group)
        try:
            records = _poll(first, N, 60)
            assert sorted(r.value for r in records) == sorted(f"v{i}".encode() for i in range(N))
            first.commit()
            partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            committed = {tp.partition: first.committed(tp) or 0 for tp in partitions}
            assert sum(committed.values()) == N, committed
        finally:
            first.close()

        # Same group after the commit: none of the old messages again, only a new one.
        producer.send(topic, key=b"new", value=b"after-commit").get(timeout=30)
        second = _consumer(topic, group)
        try:
            again = _poll(second, 1, 60)
            again += _poll(second, 1, 2)  # anything more (an old message) would show up here
            assert [r.value for r in again] == [b"after-commit"]
        finally:
            second.close()
    finally:
        producer.close()
        admin.delete_topics([topic])
        admin.close()


def test_auto_topic_creation_is_off(kafka_server: Server, unique: str) -> None:
    """The platform creates its topics; a typo must not create one silently."""
    topic = f"infra-absent-{unique}"
    consumer = KafkaConsumer(bootstrap_servers=KAFKA_BOOTSTRAP)
    try:
        consumer.partitions_for_topic(topic)
        time.sleep(1)
        assert topic not in consumer.topics()
    finally:
        consumer.close()
