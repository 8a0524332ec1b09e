"""The MTConnect connector against a real HTTP agent: sequences followed across a gateway kill and an agent
restart, nothing lost or doubled, units converted, values translated, mappings taken from the model."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ingest.edge.agent import Agent
from tests.ingest.edge.conftest import GW1, Gateway, Platform, gateway_file, wait_for_lake, wait_until
from tests.ingest.test_edge_cli import receipts

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _connector(agent: Agent, equipment: str) -> str:
    return f"""
[[connectors]]
name = "lathe-mtc"
type = "mtconnect"
url = "{agent.url}"
device = "Lathe1"
equipment_id = "{equipment}"
model = "mc-mapped"
poll_s = 0.2
count = 50

[[connectors.points]]
data_item_id = "Stemp"
item = "spindle_temp"
unit = "°F"

[[connectors.points]]
data_item_id = "exec"
item = "execution"
values = {{ ACTIVE = "RUNNING", READY = "IDLE", STOPPED = "STOPPED" }}
"""


class Producer:
    """Spindle speed n and part count n at every tick: a gap or a duplicate shows in the lake."""

    def __init__(self, agent: Agent) -> None:
        self.agent, self.n = agent, 0
        self.stop, self.paused = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            if self.paused.is_set():
                self.stop.wait(0.02)
                continue
            self.n += 1
            values = {"Xspeed": str(self.n), "pc": str(self.n)}
            if self.n % 25 == 0:
                values["exec"] = "ACTIVE" if self.n % 50 == 0 else "READY"
                values["sys"] = "Warning" if self.n % 50 == 0 else "Normal"
            self.agent.add(values)
            self.stop.wait(0.02)

    def __enter__(self) -> Producer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _speeds(rows: list[dict[str, object]]) -> int:
    return sum(r["item_id"] == "spindle_speed" for r in rows)


def test_mtconnect_readings_land_once_across_a_gateway_kill_and_an_agent_restart(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    agent = Agent().start()
    equipment = "mtc-lathe-01"
    gateway = Gateway(
        platform, tmp_path, gateway_file(_connector(agent, equipment), outbox=tmp_path / "outbox")
    )
    gateways.append(gateway)
    gateway.start()
    outbox = tmp_path / "outbox"
    try:
        wait_until(lambda: len(receipts(outbox)) >= 1, "the current values")
        with Producer(agent) as producer:
            wait_until(lambda: len(receipts(outbox)) >= 4, "a few batches")
            gateway.kill()  # like a power cut: what was read but not staged is read again
            killed_at = producer.n
            wait_until(lambda: producer.n >= killed_at + 40, "readings while the gateway is down")
            gateway.start()
            wait_until(lambda: len(receipts(outbox)) >= 8, "the backlog")
            # An agent restart loses what nobody read yet; let the gateway read it all first.
            producer.paused.set()
            caught_up = producer.n
            wait_for_lake(platform, equipment, lambda rs: _speeds(rs) == caught_up)
            agent.restart()  # a new instanceId, a new buffer
            producer.paused.clear()
            wait_until(lambda: "the agent restarted" in gateway.output(), "the gateway to notice")
            wait_until(lambda: producer.n >= caught_up + 100, "readings of the new agent")
        produced = producer.n
        rows = wait_for_lake(platform, equipment, lambda rs: _speeds(rs) >= produced)
        assert gateway.stop() == 0
        assert "the platform rejected" not in gateway.output() and " refused: " not in gateway.output()
    finally:
        agent.stop()

    speeds = [r["value_num"] for r in rows if r["item_id"] == "spindle_speed"]
    assert sorted(speeds) == [float(n) for n in range(1, produced + 1)], "lost or doubled readings"
    counts = [r["value_num"] for r in rows if r["item_id"] == "part_count"]
    # part counts: 0 from each agent start, then n
    assert sorted(counts) == [0.0, 0.0, *[float(n) for n in range(1, produced + 1)]]
    assert all(r["factory_id"] == GW1 and r["quality"] == "good" for r in rows)
    temps = [r for r in rows if r["item_id"] == "spindle_temp"]
    assert [(round(r["value_num"], 6), r["unit"]) for r in temps] == [(20.0, "°C"), (20.0, "°C")]
    states = {r["value_text"] for r in rows if r["item_id"] == "execution"}
    assert states == {"IDLE", "RUNNING"}
    assert {r["value_text"] for r in rows if r["item_id"] == "system"} == {"normal", "warning"}
    assert {r["unit"] for r in rows if r["item_id"] == "spindle_speed"} == {"rpm"}
    # timestamps are the agent's, to the microsecond
    stamps = {r["ts"] for r in rows}
    sources = {o.ts for o in agent.buffer}
    assert sources & stamps and all(isinstance(s, datetime) and s.tzinfo is not None for s in stamps)
    assert min(stamps) < datetime.now(UTC)
