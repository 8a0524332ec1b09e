"""MQTT subscriber (paho-mqtt 2): topic patterns, JSON payloads mapped to items, QoS 1 on a persistent
session, acknowledged only once staged.

The session survives disconnects and gateway restarts (MQTT 5 ``clean_start=False`` with a session expiry,
or 3.1.1 ``clean_session=False``, under a stable client id), so the broker queues what arrives meanwhile.
A message is acknowledged after the batch holding its readings is in the outbox: a gateway killed before
that gets it again, and the per-series timestamp check of the pipeline drops what was already staged. The
broker stops sending once ``max_unacked`` messages wait for their acknowledgement (its in-flight window,
20 by default in Mosquitto), so a batch is cut as soon as that many wait.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.edge.gwconfig import Mqtt, MqttTopic
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Binding, Channel, Sample

log = logging.getLogger("smartmfg_edge.mqtt")
MAX_UNACKED = 20


def pick(document: Any, path: str) -> Any:
    """``a.b.0.c`` into nested objects and arrays; None when absent."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 text (a zone-less one is UTC), or epoch seconds/milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Route:
    def __init__(self, topic: MqttTopic, channel: Channel) -> None:
        self.topic = topic
        self.bindings: dict[str, tuple[str, Binding]] = {
            item: (path, channel.bind(item, topic.units.get(item))) for item, path in topic.items.items()
        }

    def matches(self, topic: str) -> bool:
        return mqtt.topic_matches_sub(self.topic.topic, topic)

    def samples(self, topic: str, document: Any) -> list[Sample]:
        ts = parse_time(pick(document, self.topic.timestamp)) if self.topic.timestamp else None
        ts = ts or datetime.now(UTC)
        equipment = self.topic.equipment_id.format(*topic.split("/")) if self.topic.equipment_id else None
        out = []
        for path, binding in self.bindings.values():
            value = pick(document, path)
            if value is not None:
                out.append(Sample(binding, ts, value, equipment_id=equipment))
        return out


class MqttConnector:
    def __init__(self, config: Mqtt, channel: Channel, metrics: Metrics) -> None:
        self.config, self.channel = config, channel
        self.routes = [Route(topic, channel) for topic in config.topics]
        self._up = metrics.connected.labels(config.name)
        self._unacked = 0
        self._stopping = False
        self._lock = threading.Lock()

    def _client(self) -> mqtt.Client:
        c = self.config
        v5 = c.protocol == "5"
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=c.client_id or f"smartmfg-edge-{c.name}",
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else False,
            manual_ack=True,
        )
        password = os.environ.get(c.password_env) if c.password_env else c.password
        if c.username:
            client.username_pw_set(c.username, password)
        if c.tls:
            client.tls_set(ca_certs=str(c.ca_file) if c.ca_file else None)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("%s: broker refused the connection: %s", self.config.name, reason)
            return
        self._up.set(1)
        log.info(
            "%s: connected to %s:%d (session %s)",
            self.config.name,
            self.config.host,
            self.config.port,
            "resumed" if flags.session_present else "new",
        )
        # Subscribing again on a resumed session is harmless and covers a broker that lost it.
        client.subscribe([(t.topic, int(self.config.qos)) for t in self.config.topics])

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._up.set(0)
        if not self._stopping:
            log.warning("%s: disconnected (%s); reconnecting", self.config.name, reason)

    def _on_message(self, client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        samples: list[Sample] = []
        try:
            document = orjson.loads(message.payload)
        except orjson.JSONDecodeError:
            log.warning("%s: skipped a payload on %s that is not JSON", self.config.name, message.topic)
        else:
            for route in self.routes:
                if route.matches(message.topic):
                    samples += route.samples(message.topic, document)

        def acknowledge() -> None:
            with self._lock:
                self._unacked -= 1
            if message.qos > 0:
                client.ack(message.mid, message.qos)

        with self._lock:
            self._unacked += 1
            full = self._unacked >= MAX_UNACKED
        self.channel.put(samples, on_staged=acknowledge)
        if full:
            self.channel.flush()

    def run(self, stop: threading.Event) -> None:
        c = self.config
        client = self._client()
        properties = None
        if c.protocol == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = c.session_expiry_s
        client.connect_async(
            c.host,
            c.port,
            keepalive=c.keepalive_s,
            clean_start=False if c.protocol == "5" else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
        )
        client.loop_start()
        try:
            stop.wait()
        finally:
            self._stopping = True
            self.channel.flush()  # stage and acknowledge what arrived before leaving
            client.disconnect()
            client.loop_stop()
