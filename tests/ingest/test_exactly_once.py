"""Reliability of edge-to-lake ingestion on real Kafka, MinIO and PostgreSQL: nothing lost, nothing twice.

The outage tests stop a Kafka broker and a MinIO of their own (``OwnServers``: infra/ctl.sh on other ports
and another data dir), never the shared ones, so they run beside every other test on a loaded machine:
each of their waits is a condition with a deadline far above what a quiet machine needs, and the one fixed
length, the MinIO outage's 30 s, is a minimum the outage lasts, not a guess at how long something takes.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaAdminClient

from services.kit.settings import PlatformSettings
from tests.e2e.distributed import eventually
from tests.ingest.conftest import Upload, WriterProcess, lake_rows, readings, wait_for_rows
from tests.ingest.edge.ports import free_ports

pytestmark = [pytest.mark.parametrize("database_url", ["postgres"], indirect=True), pytest.mark.slow]
CTL = Path(__file__).resolve().parents[2] / "infra" / "ctl.sh"
# Under the parallel phase's load (two cores for the whole suite) a writer takes tens of seconds to start,
# join its group and commit; a quiet machine needs a few.
LOADED_S = 240.0


def _assert_exactly_once(settings: PlatformSettings, expected: dict[str, int]) -> None:
    table = wait_for_rows(settings, sum(expected.values()), timeout_s=LOADED_S)
    per_batch = Counter(key.rsplit("/", 1)[0].split("/", 1)[1] for key in table["batch_key"].to_pylist())
    assert dict(per_batch) == expected
    assert table.num_rows == sum(expected.values())


def test_upload_lands_once_and_retries_are_harmless(
    published_model: str, upload: Upload, writer: WriterProcess, lake_settings: PlatformSettings
) -> None:
    writer.start()
    first = upload("b-1", readings(3000))
    assert first.status_code == 202 and first.json()["accepted"] == 3000
    again = upload("b-1", readings(3000))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert upload("b-2", readings(10, start=5)).status_code == 202
    _assert_exactly_once(lake_settings, {"b-1": 3000, "b-2": 10})
    table = lake_rows(lake_settings)
    assert set(table["factory_id"].to_pylist()) == {"factory-sme-1-a"}
    assert set(table["org_id"].to_pylist()) == {"org-sme-1"}
    assert pc.min(table["ts"]).as_py().isoformat() == "2025-10-31T15:00:00+00:00"  # +09:00 stored as UTC


def test_sigkilled_writer_resumes_from_the_table(
    published_model: str, upload: Upload, writer: WriterProcess, lake_settings: PlatformSettings
) -> None:
    expected: dict[str, int] = {}
    rng = random.Random(7)
    for round_ in range(4):
        for n in range(5):
            batch = f"k-{round_}-{n}"
            assert upload(batch, readings(2000, start=n)).status_code == 202
            expected[batch] = 2000
        writer.start()
        time.sleep(rng.uniform(0.8, 2.5))  # somewhere in the middle of reading, buffering or committing
        writer.kill()
    writer.start()
    _assert_exactly_once(lake_settings, expected)


class OwnServers:
    """A single-node Kafka and a MinIO that only the tests of this module use: infra/ctl.sh with free ports
    and a data dir of their own (the jars and the MinIO binary come from the shared cache)."""

    def __init__(self, home: Path) -> None:
        kafka, controller, minio, console = free_ports(4)
        self.kafka, self.minio = f"127.0.0.1:{kafka}", f"127.0.0.1:{minio}"
        self.env = {
            **os.environ,
            "SMARTMFG_INFRA_DIR": str(home),
            "SMARTMFG_KAFKA_PORT": str(kafka),
            "SMARTMFG_KAFKA_CONTROLLER_PORT": str(controller),
            "SMARTMFG_MINIO_PORT": str(minio),
            "SMARTMFG_MINIO_CONSOLE_PORT": str(console),
            # a small broker that compiles less at start (the machine's cores are the suite's)
            "SMARTMFG_KAFKA_HEAP": "-Xmx256m -XX:TieredStopAtLevel=1",
            "SMARTMFG_KAFKA_TIMEOUT": str(int(LOADED_S)),
            "SMARTMFG_MINIO_TIMEOUT": str(int(LOADED_S)),
        }

    def ctl(self, command: str, *servers: str) -> None:
        """``infra/ctl.sh up|down SERVER...`` on these servers; ``up`` returns once they are healthy."""
        done = subprocess.run(
            ["bash", str(CTL), command, *servers], env=self.env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"ctl.sh {command} {servers}: {done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def own_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServers]:
    servers = OwnServers(tmp_path_factory.mktemp("own-servers"))
    try:
        servers.ctl("up", "kafka", "minio")
        yield servers
    finally:
        servers.ctl("down", "kafka", "minio")


def _group_members(settings: PlatformSettings) -> int:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap, request_timeout_ms=10000)
    try:
        group = admin.describe_groups([settings.writer.group])[settings.writer.group]
    finally:
        admin.close()
    return len(group["members"]) if group["group_state"] == "Stable" else -1


class TestOutagesOfOwnServers:
    @pytest.fixture
    def lake_settings(self, lake_settings: PlatformSettings, own_servers: OwnServers) -> PlatformSettings:
        """The shared fixture's settings on the servers these tests stop."""
        servers = {"kafka": {"bootstrap": own_servers.kafka}, "minio": {"endpoint": own_servers.minio}}
        return lake_settings.replaced(**servers)

    def test_kafka_restart_refuses_uploads_then_loses_nothing(
        self,
        own_servers: OwnServers,
        published_model: str,
        upload: Upload,
        writer: WriterProcess,
        lake_settings: PlatformSettings,
    ) -> None:
        writer.start()
        assert upload("before", readings(500)).status_code == 202
        assert wait_for_rows(lake_settings, 500, timeout_s=LOADED_S).num_rows == 500
        own_servers.ctl("down", "kafka")
        try:
            refused = upload("during", readings(500))
            assert refused.status_code == 503 and refused.headers["retry-after"]
            assert refused.json()["error"] == "ServiceUnavailable"
        finally:
            own_servers.ctl("up", "kafka")
        deadline = time.monotonic() + LOADED_S
        while (answer := upload("during", readings(500))).status_code == 503 and time.monotonic() < deadline:
            assert answer.headers["retry-after"]
            time.sleep(1)
        assert answer.status_code == 202
        _assert_exactly_once(lake_settings, {"before": 500, "during": 500})

    def test_minio_outage_of_30s_delays_but_loses_nothing(
        self,
        own_servers: OwnServers,
        published_model: str,
        upload: Upload,
        writer: WriterProcess,
        lake_settings: PlatformSettings,
        lake_client: TestClient,
        tmp_path: Path,
    ) -> None:
        # Two writers share the partitions; one dies during the outage, and the survivor must take over its
        # partitions while the lake (which holds their offsets) cannot be read.
        dying = WriterProcess(lake_settings, tmp_path / "writer-2.log")
        writer.start()
        dying.start()
        try:
            assert upload("m-0", readings(300)).status_code == 202
            assert wait_for_rows(lake_settings, 300, timeout_s=LOADED_S).num_rows == 300
            eventually(lambda: _group_members(lake_settings) == 2, "both writers in the group", LOADED_S)
            own_servers.ctl("down", "minio")
            outage = time.monotonic()
            try:
                for n in range(1, 4):
                    assert upload(f"m-{n}", readings(300)).status_code == 202  # Kafka still takes them
                dying.kill()
                alone = lambda: _group_members(lake_settings) == 1  # noqa: E731
                eventually(alone, "the survivor alone in the group", LOADED_S)
                assert lake_client.get("/readyz").status_code in (200, 503)
                time.sleep(max(0.0, outage + 30 - time.monotonic()))
            finally:
                own_servers.ctl("up", "minio")
            _assert_exactly_once(lake_settings, {f"m-{n}": 300 for n in range(4)})
            assert writer.proc is not None and writer.proc.poll() is None, "the surviving writer died"
        finally:
            dying.kill()
