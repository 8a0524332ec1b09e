"""Protocol connectors of ``smartmfg-edge run``: each reads one source and puts samples into its channel.

A connector's ``run(stop)`` blocks until ``stop`` is set, reconnecting on its own; the gateway runs each on
a thread and restarts one that fails unexpectedly.
"""

from __future__ import annotations

import threading
from typing import Protocol

from ingest.edge import gwconfig
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Channel


class Connector(Protocol):
    def run(self, stop: threading.Event) -> None: ...


def build(config: gwconfig.ConnectorConfig, channel: Channel, metrics: Metrics) -> Connector:
    # Imported here: a gateway with only an MQTT connector never loads asyncua.
    if isinstance(config, gwconfig.OpcUa):
        from ingest.edge.connectors.opcua import OpcUaConnector

        return OpcUaConnector(config, channel, metrics)
    if isinstance(config, gwconfig.MtConnect):
        from ingest.edge.connectors.mtconnect import MtConnectConnector

        return MtConnectConnector(config, channel, metrics)
    if isinstance(config, gwconfig.Mqtt):
        from ingest.edge.connectors.mqtt import MqttConnector

        return MqttConnector(config, channel, metrics)
    from ingest.edge.connectors.modbus import ModbusConnector

    return ModbusConnector(config, channel, metrics)
