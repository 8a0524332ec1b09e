"""Operating a gateway: a bounded outbox while the platform is away (both overflow policies, counted),
models cached for an offline start, a paced catch-up, and the Prometheus metrics."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ingest.edge.outbox import Outbox
from tests.e2e.test_make_run import _free_port
from tests.ingest.edge.conftest import GW1, Gateway, Platform, edge_cli, wait_until
from tests.ingest.edge.modbus_server import PlcServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
LIMIT_MB = 0.02
RATE = 200.0


def _file(plc: PlcServer, outbox: Path, overflow: str, metrics_port: int) -> str:
    return f"""
[gateway]
outbox = "{outbox}"
batch_rows = 50
batch_seconds = 0.1
metrics_port = {metrics_port}

[gateway.outbox_limit]
max_mb = {LIMIT_MB}
overflow = "{overflow}"

[gateway.upload]
max_attempts = 1
backoff_s = 0.05
readings_per_s = {RATE}

[[connectors]]
name = "plc"
type = "modbus"
host = "127.0.0.1"
port = {plc.port}
equipment_id = "ops-press-{overflow}"
model = "mc-mapped"
poll_s = 0.02

[[connectors.registers]]
address = 0
item = "spindle_speed"

[[connectors.registers]]
address = 1
item = "part_count"

[[connectors.registers]]
address = 2
type = "int16"
scale = 0.1
item = "spindle_temp"
"""


def metrics(port: int) -> dict[str, float]:
    """The gateway's metrics by name and labels; empty while its endpoint is not up yet."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except httpx.TransportError:
        return {}
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return out


def _seqs(outbox: Path) -> list[int]:
    return sorted(int(m.checkpoint["seq"]) for m in Outbox(outbox).pending() if m.checkpoint)


def _offline(platform: Platform, root: Path, plc: PlcServer, overflow: str) -> tuple[Gateway, int]:
    """Cache the model with ``check``, then run with the platform out of reach until the outbox overflows."""
    port = _free_port()
    gateway = Gateway(platform, root, _file(plc, root / "outbox", overflow, port))
    checked = edge_cli(gateway.env, "check", "--config", str(gateway.config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    gateway.env |= {"SMARTMFG_EDGE_API": f"http://127.0.0.1:{_free_port()}", "SMARTMFG_EDGE_FACTORY_ID": GW1}
    gateway.start()
    dropped = "smartmfg_edge_readings_dropped_total{connector=plc,reason=outbox_full}"
    wait_until(lambda: gateway.alive() and metrics(port).get(dropped, 0) > 0, "the outbox to overflow", 90)
    seen = metrics(port)
    assert seen["smartmfg_edge_readings_read_total{connector=plc}"] > seen[dropped] > 0
    assert seen["smartmfg_edge_outbox_pending_bytes"] <= LIMIT_MB * 1024 * 1024
    assert seen["smartmfg_edge_connector_up{connector=plc}"] == 1
    assert gateway.stop() == 0
    assert "outbox full: dropped" in gateway.output()
    pending = Outbox(root / "outbox").pending()
    assert sum((root / "outbox" / "pending" / f"{m.batch_id}.batch").stat().st_size for m in pending) <= (
        LIMIT_MB * 1024 * 1024
    )
    return gateway, port


def test_a_full_outbox_drops_by_policy_and_the_backlog_is_sent_at_the_configured_pace(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    plc = PlcServer().start()
    plc.write(0, [1200, 5, 215])
    try:
        newest, _ = _offline(platform, tmp_path / "newest", plc, "drop_newest")
        gateways.append(newest)
        kept = _seqs(tmp_path / "newest" / "outbox")
        # Nothing queued made room: every batch from the first up to the first one dropped is kept. A later,
        # smaller batch may still fit the space left (batches vary with what one poll read), so not
        # necessarily nothing after it.
        first_gap = next((i for i, seq in enumerate(kept, start=1) if seq != i), len(kept) + 1)
        assert kept[0] == 1 and first_gap > 0.8 * len(kept), f"the oldest batches are kept: {kept}"

        oldest, port = _offline(platform, tmp_path / "oldest", plc, "drop_oldest")
        gateways.append(oldest)
        kept = _seqs(tmp_path / "oldest" / "outbox")
        assert kept[0] > 1, "the oldest batches made room for the newest"
    finally:
        plc.close()  # from here on only the backlog goes out

    backlog = sum(m.rows for m in Outbox(tmp_path / "oldest" / "outbox").pending())
    assert backlog > 2 * RATE
    oldest.env = {
        k: v for k, v in oldest.env.items() if k not in ("SMARTMFG_EDGE_API", "SMARTMFG_EDGE_FACTORY_ID")
    }
    oldest.env["SMARTMFG_EDGE_API"] = platform.base
    oldest.start()
    outbox = tmp_path / "oldest" / "outbox"
    wait_until(lambda: Outbox(outbox).counts()["pending"] == 0, "the backlog", 90)
    time.sleep(1.5)  # the gauges are refreshed every second
    seen = metrics(port)
    assert oldest.stop() == 0
    receipts = list(Outbox(outbox).acked().values())
    assert sum(r["accepted"] for r in receipts) == backlog
    assert seen["smartmfg_edge_readings_sent_total{connector=plc}"] == backlog
    assert seen["smartmfg_edge_outbox_pending_batches"] == 0
    assert seen["smartmfg_edge_last_upload_timestamp_seconds"] > time.time() - 120
    stamps = sorted(datetime.fromisoformat(r["acked_at"]) for r in receipts)
    # A bucket of one second's worth, then RATE readings a second.
    assert (stamps[-1] - stamps[0]).total_seconds() >= 0.8 * (backlog - RATE) / RATE
