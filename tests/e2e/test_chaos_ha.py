"""Chaos on the HA servers (``infra/ctl.sh up --ha``: 3 Kafka brokers with replication factor 3 and
min.insync.replicas 2; MinIO erasure-coded over 4 nodes) under `smartmfg run-distributed`.

Two edge gateways upload over HTTP without pause while one broker is SIGKILLed (and restarted), one MinIO
node is SIGKILLed (and healed), and every lake writer is SIGKILLed (the supervisor restarts them). The
gateways may be told to come back (503 or 429 with Retry-After: they resend the same batch id, as
ingest/edge does) and nothing else; at the end the lake holds every accepted batch exactly once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.chaos import (
    EFFECT_TIMEOUT_S,
    GATEWAYS,
    READINGS_PER_BATCH,
    RETRYABLE,
    Gateway,
    chaos_round,
    ctl,
    ha_env,
    heal,
    lake_keys,
    lake_settings,
    replication,
    setup_world,
    uploads_go_on,
)
from tests.e2e.distributed import eventually, run_distributed
from tests.e2e.test_distributed import database

# Serial: it kills nodes of the HA servers, which only it uses; so beside the tests that stop the shared ones.
pytestmark = [pytest.mark.e2e, pytest.mark.servers, pytest.mark.serial, pytest.mark.slow]

__all__ = ["database"]  # the fixture, imported for its name


@pytest.fixture(scope="module")
def ha_servers() -> Iterator[None]:
    """The HA servers, started if they were not (and then stopped again: 3 JVMs and 4 MinIO processes)."""
    was_up = ctl("status", "kafka-ha", "minio-ha") == 0
    assert ctl("up", "--ha") == 0, "infra/ctl.sh up --ha failed (see .infra/logs/kafka-ha-*, minio-ha-*)"
    yield
    if not was_up:
        ctl("down", "kafka-ha", "minio-ha")


def test_uploads_survive_a_broker_a_storage_node_and_the_writers(
    ha_servers: None, database: str, tmp_path: Path
) -> None:
    bucket = f"chaos-{uuid.uuid4().hex[:8]}"
    with run_distributed(database, tmp_path, ha_env(bucket), writers=2) as (base, log, _proc):
        setup_world(base)
        # the platform made its topics for the HA cluster: 3 copies of each of the 6 partitions, 2 in sync
        assert replication(f"{bucket}.telemetry.v1") == ([3, 3, 3, 3, 3, 3], "2")
        stop = threading.Event()
        gateways = [Gateway(base, client, stop) for client in GATEWAYS]
        for gateway in gateways:
            gateway.start()
        try:
            uploads_go_on(gateways, "before the chaos")
            chaos_round(log, gateways)
            # ten batches each: the gateways kept going, not just got one in now and then
            many = lambda: all(len(g.accepted) >= 10 for g in gateways)  # noqa: E731
            eventually(many, "ten batches of every gateway accepted", EFFECT_TIMEOUT_S)
        finally:
            stop.set()
            for gateway in gateways:
                gateway.join(timeout=90)
            heal()

        for gateway in gateways:
            assert gateway.unexpected == [], f"{gateway.client}: answers other than 202/429/503"
            assert set(gateway.answers) <= {202, 401, *RETRYABLE}, gateway.answers
            assert len(gateway.accepted) >= 10, f"{gateway.client} got few batches in: {gateway.answers}"
        assert "writer-1: exited with -9" in log.read_text()

        settings = lake_settings(database, bucket)
        expected = sum(len(g.accepted) for g in gateways) * READINGS_PER_BATCH
        in_lake = lambda: sum(lake_keys(settings).values()) >= expected  # noqa: E731
        eventually(in_lake, "accepted readings in the lake", 180)
        time.sleep(5)  # a late duplicate would land now
        keys = lake_keys(settings)
        duplicates = [key for key, count in keys.items() if count > 1]
        assert duplicates == [], f"{len(duplicates)} readings twice, e.g. {duplicates[:3]}"
        assert sum(keys.values()) == expected
        per_factory = Counter(factory for factory, _ in keys)
        assert per_factory == {g.factory: len(g.accepted) * READINGS_PER_BATCH for g in gateways}
