"""The chaos of the HA servers (``infra/ctl.sh up --ha``), shared by tests/e2e/test_chaos_ha.py and
bench/soak.py ``--ha``: edge gateways uploading without pause over HTTP, one round of failures (a broker,
a MinIO node, every lake writer SIGKILLed and brought back), and the lake's rows counted per reading.

A round waits for what each failure must bring about, never for a fixed time: the failure has taken effect
(the partitions the broker led have new leaders, the writers were restarted) and the platform works
through it (every gateway got a batch in, a lake writer committed), each with a deadline.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow.compute as pc
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import RetriableError

from catalog.lake import Lake, LakeConfig
from services.kit.settings import PlatformSettings
from tests.e2e.distributed import eventually, gateway_token, pids_of
from tests.e2e.test_distributed import ISSUER, _keycloak_token
from tests.factories import company_body, model_body

ROOT = Path(__file__).resolve().parents[2]
KAFKA_HA = "127.0.0.1:59101,127.0.0.1:59102,127.0.0.1:59103"
MINIO_HA = "127.0.0.1:59201"  # node 1; the chaos takes node 3 away
READINGS_PER_BATCH = 20
GATEWAYS = {  # Keycloak clients of the realm: factory and organisation they upload for
    "edge-gw-demo-1": ("factory-sme-1-a", "org-sme-1", "sme1", "123456789"),
    "edge-gw-demo-2": ("factory-sme-2-a", "org-sme-2", "sme2", "220816251"),
}
RETRYABLE = {429, 503}
# A failure's effect on a machine shared with the rest of the suite: seconds on a quiet one.
EFFECT_TIMEOUT_S = 180.0


def ha_env(bucket: str) -> dict[str, str]:
    """The platform's settings for the HA servers (docs/deploy.md)."""
    return {
        "SMARTMFG_LAKE_BUCKET": bucket,
        "SMARTMFG_BUS_TOPIC_PREFIX": bucket,  # topics <bucket>.telemetry.v1 ...
        "SMARTMFG_KAFKA_BOOTSTRAP": KAFKA_HA,
        "SMARTMFG_BUS_REPLICATION_FACTOR": "3",
        "SMARTMFG_BUS_MIN_INSYNC_REPLICAS": "2",
        "SMARTMFG_MINIO_ENDPOINT": MINIO_HA,
    }


def replication(topic: str) -> tuple[list[int], str]:
    """How many copies each partition of a topic has on the HA brokers, and its min.insync.replicas."""
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_HA, request_timeout_ms=10000)
    try:
        (described,) = admin.describe_topics([topic])
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        admin.close()
    copies = sorted(len(p["replica_nodes"]) for p in described["partitions"])
    return copies, configs["topic"][topic]["min.insync.replicas"]["value"]


def lake_settings(database: str, bucket: str) -> PlatformSettings:
    return PlatformSettings(
        topology="distributed",
        oidc={"issuer": ISSUER},
        allow_dev_secrets=True,
        database={"url": database},
        minio={"endpoint": MINIO_HA},
        lake={"bucket": bucket},
    )


def infra(command: str) -> str:
    """One command of the HA scripts (infra/kafka/ha.sh, infra/minio/ha.sh), e.g. ``kafka_ha_stop_node 2``."""
    script = (
        "set -euo pipefail; cd infra; source lib.sh; source kafka/server.sh; source kafka/ha.sh; "
        f"source minio/server.sh; source minio/ha.sh; {command}"
    )
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: {done.stderr}{done.stdout}"
    return done.stdout


def led_by(broker: int) -> list[tuple[str, int]] | None:
    """The partitions of the HA cluster's topics that ``broker`` leads, as the other brokers see it; None
    when the question did not get through (the client picked the killed broker)."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=KAFKA_HA, request_timeout_ms=10000)
        try:
            topics = admin.describe_topics()
        finally:
            admin.close()
    except RetriableError:  # a connection reset, a timeout, a node not ready: ask again
        return None
    return [
        (t["name"], p["partition_index"]) for t in topics for p in t["partitions"] if p["leader_id"] == broker
    ]


def ctl(*args: str) -> int:
    done = subprocess.run(["bash", "infra/ctl.sh", *args], cwd=ROOT, capture_output=True, timeout=900)
    return done.returncode


def sigkill(name: str, pattern: str) -> None:
    infra(f'kill -KILL -- "-$(pid_alive {name} "{pattern}")"')


class Gateway(threading.Thread):
    """An edge gateway uploading batches back to back; a retryable answer means the same batch again."""

    def __init__(self, base: str, client: str, stop: threading.Event) -> None:
        super().__init__(name=client, daemon=True)
        self.base, self.client, self.stop = base, client, stop
        self.factory = GATEWAYS[client][0]
        self.accepted: list[str] = []
        self.answers: Counter[int] = Counter()
        self.unexpected: list[str] = []

    def body(self, number: int) -> dict[str, Any]:
        start = datetime(2025, 11, 1, tzinfo=UTC) + timedelta(minutes=number)
        return {
            "readings": [
                {
                    "equipment_id": "eq-1",
                    "model_id": "cnc-lathe",
                    "model_version": "1.0.0",
                    "item_id": "spindle_speed",
                    "ts": (start + timedelta(seconds=i)).isoformat(),
                    "value": 1000 + i,
                    "unit": "rpm",
                }
                for i in range(READINGS_PER_BATCH)
            ]
        }

    def run(self) -> None:
        token, number, renewed = gateway_token(self.client), 0, False
        with httpx.Client(base_url=self.base, timeout=60) as http:
            while not self.stop.is_set():
                batch_id = f"chaos-{number}"
                headers = {
                    "Authorization": f"Bearer {token}",
                    "X-Factory-Id": self.factory,
                    "X-Batch-Id": batch_id,
                }
                try:
                    answer = http.post("/api/v1/ingest/batches", json=self.body(number), headers=headers)
                except httpx.HTTPError as exc:
                    self.unexpected.append(f"{batch_id}: {exc!r}")
                    time.sleep(1)
                    continue
                self.answers[answer.status_code] += 1
                if answer.status_code != 401:
                    renewed = False
                if answer.status_code in (200, 202):
                    self.accepted.append(batch_id)
                    number += 1
                elif answer.status_code in RETRYABLE and answer.headers.get("Retry-After"):
                    time.sleep(min(float(answer.headers["Retry-After"]), 2.0))
                elif answer.status_code == 401 and not renewed:  # the token expired: a gateway gets another
                    token = gateway_token(self.client)
                    renewed = True
                else:
                    self.unexpected.append(f"{batch_id}: {answer.status_code} {answer.text[:300]}")
                    number += 1


def setup_world(base: str) -> None:
    admin = {"Authorization": f"Bearer {_keycloak_token('admin1')}"}
    vendor = {"Authorization": f"Bearer {_keycloak_token('vendor1')}"}
    with httpx.Client(base_url=base, timeout=60) as http:
        assert http.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
        published = http.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin)
        assert published.status_code == 200, published.text
        vendor_body = company_body(company_id="org-vendor-1", brn_first9="111222333")
        made = http.post("/api/v1/companies", json=vendor_body, headers=vendor)
        assert made.status_code == 201, made.text
        for factory, org, user, brn in GATEWAYS.values():
            sme = {"Authorization": f"Bearer {_keycloak_token(user)}"}
            body = company_body(company_id=org, kind="sme", brn_first9=brn, region="30")
            assert http.post("/api/v1/companies", json=body, headers=sme).status_code == 201
            site = {"id": factory, "name": f"{org} 제1공장", "region_code": "30", "industry_code": "C29"}
            made = http.post(f"/api/v1/companies/{org}/factories", json=site, headers=sme)
            assert made.status_code == 201, made.text


def lake_keys(settings: PlatformSettings) -> Counter[tuple[str, str]]:
    """(factory, reading time) of every row of the lake's readings table, with its count."""
    readings = Lake(LakeConfig.from_settings(settings)).readings()
    table = readings.scan(selected_fields=("factory_id", "ts")).to_arrow()
    times = pc.cast(table["ts"], "string").to_pylist()
    return Counter(zip(table["factory_id"].to_pylist(), times, strict=True))


def uploads_go_on(gateways: Sequence[Gateway], what: str) -> None:
    """Every gateway gets one more batch in than it had."""
    before = [len(g.accepted) for g in gateways]
    done = lambda: all(len(g.accepted) > n for g, n in zip(gateways, before, strict=True))  # noqa: E731
    eventually(done, f"a batch of every gateway accepted {what}", EFFECT_TIMEOUT_S)


def committed_since(log: Path, position: int) -> bool:
    """A lake writer of ``log`` (the supervisor's, one line per child's line) committed after ``position``."""
    return re.search(r"^\[writer-\d+\] .*: committed \d+ rows", log.read_text()[position:], re.M) is not None


def chaos_round(log: Path, gateways: Sequence[Gateway]) -> None:
    """One round: a broker SIGKILLed and restarted, a MinIO node SIGKILLed and healed, every writer
    SIGKILLed (the supervisor of ``log`` restarts them); each time with ``gateways`` uploading."""
    # the partitions the broker led move to the other two (2 in sync: acks=all still holds)
    sigkill("kafka-ha-2", "kafka-ha/2/server.properties")
    eventually(lambda: led_by(2) == [], "the partitions of broker 2 led by the others", EFFECT_TIMEOUT_S)
    uploads_go_on(gateways, "with broker 2 away")
    infra("kafka_ha_start_node 2")
    eventually(lambda: ctl("status", "kafka-ha") == 0, "broker 2 back", timeout=EFFECT_TIMEOUT_S)
    # one of four MinIO nodes away: EC:2 keeps reads and writes going; healed when it is back
    position = len(log.read_text())
    sigkill("minio-ha-3", "minio-ha/3")
    uploads_go_on(gateways, "with MinIO node 3 away")
    written = lambda: committed_since(log, position)  # noqa: E731
    eventually(written, "the lake written with MinIO node 3 away", EFFECT_TIMEOUT_S)
    infra("minio_ha_start_node 3")
    eventually(lambda: ctl("status", "minio-ha") == 0, "MinIO node 3 back", timeout=EFFECT_TIMEOUT_S)
    # every writer SIGKILLed mid-flush: the restarted ones resume from the offsets in the lake
    killed = pids_of(log)
    for name in ("writer-1", "writer-2"):
        os.kill(killed[name], signal.SIGKILL)
    restarted = lambda: all(pids_of(log)[n] != killed[n] for n in ("writer-1", "writer-2"))  # noqa: E731
    eventually(restarted, "both writers started again", EFFECT_TIMEOUT_S)
    position = len(log.read_text())
    uploads_go_on(gateways, "after the writers' restart")
    eventually(lambda: committed_since(log, position), "a restarted writer committed", EFFECT_TIMEOUT_S)


def heal() -> None:
    """Whatever a round left down, started again."""
    infra("kafka_ha_start_node 2; minio_ha_start_node 3")
