"""The OPC UA connector against a real asyncua server: items mapped from the model's browse names,
deadband, source timestamps, a gateway kill and a server restart without a duplicate, security with a
certificate and a user, and the browse helper's draft checked by ``check``."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ingest.edge import certs
from tests.ingest.edge.conftest import (
    GW1,
    Gateway,
    Platform,
    edge_cli,
    gateway_file,
    wait_for_lake,
    wait_until,
)
from tests.ingest.edge.uaserver import MachineServer
from tests.ingest.test_edge_cli import gateway_env, receipts

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _connector(url: str, equipment: str, extra: str = "") -> str:
    return f"""
[[connectors]]
name = "lathe-ua"
type = "opcua"
url = "{url}"
equipment_id = "{equipment}"
model = "mc-mapped"
sampling_interval_ms = 20
publishing_interval_ms = 50
reconnect_s = 0.5
{extra}

[[connectors.points]]
node = "ns=2;s=Lathe1.SpindleTemperature"
item = "spindle_temp"
deadband = 0.5

[[connectors.points]]
node = "ns=2;s=Lathe1.DoorOpen"
item = "door_open"
"""


def _monitoring(gateway: Gateway) -> int:
    return len(re.findall(r"monitoring 5 nodes", gateway.output()))


def test_opcua_values_land_once_across_a_gateway_kill_and_a_server_restart(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    server = MachineServer().start()
    equipment = "ua-lathe-01"
    gateway = Gateway(
        platform, tmp_path, gateway_file(_connector(server.url, equipment), outbox=tmp_path / "outbox")
    )
    gateways.append(gateway)
    base = datetime.now(UTC).replace(microsecond=123456) - timedelta(hours=1)
    written: list[tuple[float, datetime]] = []

    def spin(first: int, last: int) -> None:
        for n in range(first, last + 1):
            ts = base + timedelta(seconds=n)
            server.write("SpindleSpeed", float(n), ts)
            written.append((float(n), ts))
            time.sleep(0.1)

    for name, value in (
        ("SpindleSpeed", 0.0),
        ("SpindleTemperature", 20.0),
        ("Execution", "IDLE"),
        ("PartCount", 0),
        ("DoorOpen", False),
    ):
        server.write(name, value, base)  # the machine's state since an hour ago
    try:
        gateway.start()
        wait_until(lambda: _monitoring(gateway) == 1, "the subscription")
        spin(1, 10)
        for step, value in enumerate([20.2, 20.4, 21.0, 21.3, 19.0]):  # deadband 0.5 around 20.0
            server.write("SpindleTemperature", value, base + timedelta(seconds=100 + step))
            time.sleep(0.15)
        server.write("Execution", "RUNNING", base + timedelta(seconds=200))
        server.write("PartCount", 7, base + timedelta(seconds=201))
        server.write("DoorOpen", True, base + timedelta(seconds=202))
        wait_until(
            lambda: sum(r["rows"] for r in receipts(tmp_path / "outbox").values()) >= 20, "the changes"
        )
        gateway.kill()  # its subscription's first notifications after the restart repeat staged values
        gateway.start()
        wait_until(lambda: _monitoring(gateway) == 2, "the second subscription")
        spin(11, 20)
        server.restart()
        wait_until(lambda: _monitoring(gateway) == 3, "the re-subscription after the server restart", 60)
        spin(21, 30)
        time.sleep(1)
        assert gateway.stop() == 0
        assert "the platform rejected" not in gateway.output() and " refused: " not in gateway.output()
    finally:
        server.close()

    rows = wait_for_lake(
        platform, equipment, lambda rs: sum(r["item_id"] == "spindle_speed" for r in rs) >= 31
    )
    speeds = [(r["value_num"], r["ts"]) for r in rows if r["item_id"] == "spindle_speed"]
    assert speeds[1:] == written and speeds[0][0] == 0.0, (
        "each change exactly once, with its source timestamp"
    )
    temps = [r["value_num"] for r in rows if r["item_id"] == "spindle_temp"]
    assert temps == [20.0, 21.0, 19.0], "changes inside the deadband are not reported"
    by_item = {r["item_id"]: r for r in rows}
    assert by_item["execution"]["value_text"] == "RUNNING" and by_item["part_count"]["value_num"] == 7
    assert [r["value_num"] for r in rows if r["item_id"] == "door_open"] == [0.0, 1.0]
    assert {r["unit"] for r in rows if r["item_id"] == "spindle_speed"} == {"rpm"}
    assert all(r["factory_id"] == GW1 for r in rows)
    assert "reconnecting" in gateway.output()


def test_opcua_security_policy_with_certificate_and_user(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    server_cert, server_key = certs.make(tmp_path, "server", "urn:smartmfg:test:server", server=True)
    client_cert, client_key = certs.make(tmp_path, "gateway", "urn:smartmfg:edge:gateway", server=False)
    server = MachineServer(users={"gw": "s3cret"}, certificate=server_cert, private_key=server_key).start()
    equipment = "ua-secure-01"
    security = f"""security_policy = "Basic256Sha256"
security_mode = "SignAndEncrypt"
certificate = "{client_cert}"
private_key = "{client_key}"
server_certificate = "{server_cert}"
username = "gw"
password_env = "LATHE_UA_PASSWORD"
"""
    try:
        wrong = Gateway(
            platform,
            tmp_path / "wrong",
            gateway_file(_connector(server.url, equipment, security), outbox=tmp_path / "wrong" / "outbox"),
            LATHE_UA_PASSWORD="nope",
        )
        gateways.append(wrong)
        wrong.start()
        wait_until(lambda: "reconnecting" in wrong.output(), "the refusal")
        assert _monitoring(wrong) == 0
        wrong.stop()

        gateway = Gateway(
            platform,
            tmp_path / "right",
            gateway_file(_connector(server.url, equipment, security), outbox=tmp_path / "right" / "outbox"),
            LATHE_UA_PASSWORD="s3cret",
        )
        gateways.append(gateway)
        gateway.start()
        wait_until(lambda: _monitoring(gateway) == 1, "the secure subscription")
        server.write("SpindleSpeed", 4321.0, datetime.now(UTC))
        rows = wait_for_lake(platform, equipment, lambda rs: any(r["value_num"] == 4321.0 for r in rs))
        assert any(r["item_id"] == "spindle_speed" and r["value_num"] == 4321.0 for r in rows)
        gateway.stop()
    finally:
        server.close()


def test_browse_prints_a_draft_that_check_accepts(platform: Platform, tmp_path: Path) -> None:
    server = MachineServer().start()
    try:
        env = gateway_env(platform, tmp_path / "outbox", 1)
        draft = edge_cli(env, "browse", server.url, "--model", "mc-mapped", "--api", platform.base)
    finally:
        server.close()
    assert draft.returncode == 0, draft.stderr
    out = draft.stdout
    assert 'node = "ns=2;s=Lathe1.SpindleSpeed"\nitem = "spindle_speed"' in out
    assert '# node = "ns=2;s=Lathe1.FeedOverride"' in out  # in no model: left for a person
    config = tmp_path / "drafted.toml"
    config.write_text(out.replace('equipment_id = "FILL-IN"', 'equipment_id = "ua-drafted"'))
    checked = edge_cli(env, "check", "--config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok    opcua-1 (opcua): ua-drafted as mc-mapped 1.0.0, 4 mapped points" in checked.stdout
