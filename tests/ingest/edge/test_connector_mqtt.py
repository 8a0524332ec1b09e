"""The MQTT connector against Debian's Mosquitto: topic patterns, JSON paths, QoS 1 on a persistent
session, so messages published while the gateway is killed, and across a broker restart, land once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest

from tests.ingest.edge.broker import Broker
from tests.ingest.edge.conftest import GW1, Gateway, Platform, gateway_file, wait_for_lake, wait_until
from tests.ingest.test_edge_cli import receipts

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
MACHINES = ("press-a", "press-b")
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def _connector(port: int) -> str:
    return f"""
[[connectors]]
name = "presses-mqtt"
type = "mqtt"
host = "127.0.0.1"
port = {port}
equipment_id = "mqtt-unused"
model = "mc-mapped"

[[connectors.topics]]
topic = "plant/+/+/telemetry"
equipment_id = "mqtt-{{2}}"
timestamp = "ts"
items = {{ spindle_speed = "spindle.rpm", spindle_temp = "temp", execution = "state" }}
units = {{ spindle_temp = "°F" }}
"""


def publish(broker: Broker, first: int, last: int, *, junk: bool = False) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-publisher-{first}")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        if junk:
            client.publish("plant/line1/press-a/telemetry", b"not json", qos=1).wait_for_publish(10)
        for n in range(first, last + 1):
            for machine in MACHINES:
                payload = {"ts": (BASE + timedelta(seconds=n)).isoformat(), "spindle": {"rpm": n}}
                if n % 10 == 0:
                    payload |= {"temp": 212, "state": "RUNNING"}
                client.publish(
                    f"plant/line1/{machine}/telemetry", orjson.dumps(payload), qos=1
                ).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_mqtt_messages_land_once_across_a_gateway_kill_and_a_broker_restart(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    broker = Broker(tmp_path / "broker").start()
    gateway = Gateway(platform, tmp_path, gateway_file(_connector(broker.port), outbox=tmp_path / "outbox"))
    gateways.append(gateway)
    outbox = tmp_path / "outbox"
    try:
        gateway.start()
        wait_until(lambda: "(session new)" in gateway.output(), "the subscription")
        publish(broker, 1, 50, junk=True)
        wait_until(lambda: len(receipts(outbox)) >= 1, "a first batch")
        gateway.kill()
        publish(broker, 51, 100)  # queued by the broker for the gateway's session
        gateway.start()
        wait_until(lambda: "(session resumed)" in gateway.output(), "the resumed session")
        broker.restart()  # the session and its queue survive (persistence)
        publish(broker, 101, 150)
        rows = wait_for_lake(platform, "mqtt-press-b", lambda rs: len(rs) >= 180)
        assert gateway.stop() == 0
        assert "the platform rejected" not in gateway.output() and " refused: " not in gateway.output()
    finally:
        broker.stop()
    assert "is not JSON" in gateway.output()
    for machine in MACHINES:
        rows = wait_for_lake(platform, f"mqtt-{machine}", lambda rs: len(rs) >= 180)
        speeds = [(r["value_num"], r["ts"]) for r in rows if r["item_id"] == "spindle_speed"]
        assert speeds == [(float(n), BASE + timedelta(seconds=n)) for n in range(1, 151)], machine
        temps = {(round(r["value_num"], 6), r["unit"]) for r in rows if r["item_id"] == "spindle_temp"}
        assert temps == {(100.0, "°C")}
        assert sum(r["item_id"] == "spindle_temp" for r in rows) == 15
        assert {r["value_text"] for r in rows if r["item_id"] == "execution"} == {"RUNNING"}
        assert all(r["factory_id"] == GW1 for r in rows)
