"""Prometheus metrics of a running gateway, on their own registry (the process serves nothing else)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.read = Counter(
            "smartmfg_edge_readings_read", "Readings read from the sources", ["connector"], registry=r
        )
        self.sent = Counter(
            "smartmfg_edge_readings_sent", "Readings the platform accepted", ["connector"], registry=r
        )
        self.dropped = Counter(
            "smartmfg_edge_readings_dropped",
            "Readings not delivered: outbox_full (overflow policy), refused (4xx), duplicate (seen before)",
            ["connector", "reason"],
            registry=r,
        )
        self.connected = Gauge(
            "smartmfg_edge_connector_up",
            "1 while the connector is connected to its source",
            ["connector"],
            registry=r,
        )
        self.outbox_batches = Gauge("smartmfg_edge_outbox_pending_batches", "Batches waiting", registry=r)
        self.outbox_bytes = Gauge(
            "smartmfg_edge_outbox_pending_bytes", "Bytes of batches waiting", registry=r
        )
        self.last_upload = Gauge(
            "smartmfg_edge_last_upload_timestamp_seconds",
            "When the platform last accepted a batch",
            registry=r,
        )

    def serve(self, host: str, port: int) -> int:
        """Serve /metrics; returns the port (useful when ``port`` is 0)."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_port)
