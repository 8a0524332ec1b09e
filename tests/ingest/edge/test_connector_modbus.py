"""The Modbus TCP connector against a pymodbus server: every register type, scale, byte and word order,
polling cadence, a gateway kill and a server outage."""

from __future__ import annotations

import itertools
import struct
import time
from pathlib import Path

import pytest

from tests.ingest.edge.conftest import GW1, Gateway, Platform, gateway_file, wait_for_lake, wait_until
from tests.ingest.edge.modbus_server import PlcServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _connectors(port: int) -> str:
    return f"""
[[connectors]]
name = "plc-a"
type = "modbus"
host = "127.0.0.1"
port = {port}
equipment_id = "mb-press-a"
model = "mc-mapped"
poll_s = 0.2

[[connectors.registers]]
address = 0
type = "uint16"
scale = 2
item = "spindle_speed"

[[connectors.registers]]
address = 2
type = "float32"
word_order = "little"
item = "spindle_temp"
unit = "°F"

[[connectors.registers]]
address = 10
type = "uint32"
byte_order = "little"
word_order = "little"
item = "part_count"


# The coil polls on its own connector: the platform's JSON reader (services/standards/readings.py
# json_values) takes a value column that starts with a number and holds booleans for all numbers, so a
# boolean batched after numbers is refused as "expected a boolean".
[[connectors]]
name = "plc-a-doors"
type = "modbus"
host = "127.0.0.1"
port = {port}
equipment_id = "mb-press-a"
model = "mc-mapped"
poll_s = 0.2

[[connectors.registers]]
table = "coil"
address = 0
type = "bool"
item = "door_open"

[[connectors]]
name = "plc-b"
type = "modbus"
host = "127.0.0.1"
port = {port}
equipment_id = "mb-press-b"
model = "mc-mapped"
poll_s = 0.2

[[connectors.registers]]
address = 20
type = "int16"
scale = 0.1
item = "spindle_temp"

[[connectors.registers]]
address = 30
type = "float64"
item = "spindle_speed"

[[connectors.registers]]
address = 40
type = "int32"
item = "part_count"
"""


def words(fmt: str, value: float, *, byte_order: str = "big", word_order: str = "big") -> list[int]:
    """How a device lays ``value`` out in registers, written independently of the connector's decoder."""
    raw = struct.pack(f">{fmt}", value)
    regs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    if word_order == "little":
        regs.reverse()
    if byte_order == "little":
        regs = [((r & 0xFF) << 8) | (r >> 8) for r in regs]
    return regs


def _program(plc: PlcServer, speed: int, part_count: int) -> None:
    plc.write(0, [speed // 2])
    plc.write(2, words("f", 98.6, word_order="little"))
    plc.write(10, words("I", part_count, byte_order="little", word_order="little"))
    plc.write_coil(0, True)
    plc.write(20, words("h", -125))
    plc.write(30, words("d", speed + 0.5))
    plc.write(40, words("i", part_count + 70_000))


def _latest(rows: list[dict[str, object]], item: str) -> object:
    return [r for r in rows if r["item_id"] == item][-1]


def test_modbus_registers_decode_and_poll_across_a_gateway_kill_and_a_server_outage(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    plc = PlcServer().start()
    _program(plc, 3000, 123_456)
    gateway = Gateway(platform, tmp_path, gateway_file(_connectors(plc.port), outbox=tmp_path / "outbox"))
    gateways.append(gateway)
    try:
        gateway.start()
        a = wait_for_lake(
            platform, "mb-press-a", lambda rs: sum(r["item_id"] == "spindle_speed" for r in rs) >= 5
        )
        gateway.kill()
        gateway.start()
        plc.stop()  # the PLC goes away for a while: the gateway keeps trying
        wait_until(
            lambda: "cannot connect" in gateway.output() or "poll failed" in gateway.output(), "the outage"
        )
        plc.start()
        _program(plc, 4000, 123_457)
        b = wait_for_lake(
            platform, "mb-press-b", lambda rs: {4000.5, 193_457.0} <= {r["value_num"] for r in rs}
        )
        time.sleep(0.5)
        assert gateway.stop() == 0
        assert "the platform rejected" not in gateway.output() and " refused: " not in gateway.output()
    finally:
        plc.close()

    a = wait_for_lake(platform, "mb-press-a", lambda rs: {4000.0, 123_457.0} <= {r["value_num"] for r in rs})
    first = [r for r in a if r["item_id"] == "spindle_speed" and r["value_num"] == 3000]
    assert len(first) >= 5
    assert _latest(a, "spindle_speed")["value_num"] == 4000  # type: ignore[index]
    temp = _latest(a, "spindle_temp")
    assert round(temp["value_num"], 3) == 37.0 and temp["unit"] == "°C"  # type: ignore[index]
    assert _latest(a, "part_count")["value_num"] == 123_457  # type: ignore[index]
    assert {r["value_num"] for r in a if r["item_id"] == "door_open"} == {1.0}  # a coil: booleans as 1/0
    assert round(_latest(b, "spindle_temp")["value_num"], 6) == -12.5  # type: ignore[index]
    assert _latest(b, "part_count")["value_num"] == 193_457  # type: ignore[index]
    for rows in (a, b):
        keys = [(r["item_id"], r["ts"]) for r in rows]
        assert len(keys) == len(set(keys)), "a poll staged twice"
        assert all(r["factory_id"] == GW1 and r["quality"] == "good" for r in rows)
    stamps = sorted(r["ts"] for r in a if r["item_id"] == "spindle_speed")
    gaps = [(y - x).total_seconds() for x, y in itertools.pairwise(stamps)]
    assert 0.15 <= sorted(gaps)[len(gaps) // 2] <= 0.3, "polls keep their period"
