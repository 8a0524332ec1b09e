"""No hand mapping from a machine's description to the lake: an MTConnect Devices document of the reference
agent imported and published, a gateway file written from the model (``smartmfg-edge config``), a real HTTP
agent serving that device's DataItems with changing values, ``smartmfg-edge run``, and the readings read
back from the lake under the right items."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.ingest.edge.agent import Agent
from tests.ingest.edge.conftest import Gateway, Platform, wait_for_lake, wait_until
from tests.ingest.edge.from_model import generate, import_and_publish, run_generated
from tests.ingest.test_edge_cli import receipts
from tests.interop import SAMPLES

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DOCUMENT = SAMPLES / "mtconnect" / "128.32.164.245.xml"
MODEL = "mori-seiki-imported"
EQUIPMENT = "mori-seiki-01"


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _device_data_items(name: str) -> list[tuple[str, str, str, str, str | None]]:
    """The agent's DataItems: those of the document's device, with their Streams element names."""
    device = next(
        d for d in ET.parse(DOCUMENT).getroot().iter() if _local(d) == "Device" and d.get("name") == name
    )
    return [
        (
            e.attrib["id"],
            "".join(w.capitalize() for w in e.attrib["type"].split("_")),
            e.attrib["category"],
            e.attrib["type"],
            e.get("subType"),
        )
        for e in device.iter()
        if _local(e) == "DataItem"
    ]


class Machine:
    """Every tick n: X at n mm, Y at 1000 + n, Z at 2000 + n, a thermometer at 20 + n/100 °C, the
    amperage of phase A at n/10 A; the execution state flips every 10 ticks. Values that would land under
    a neighbour's item show."""

    def __init__(self, agent: Agent) -> None:
        self.agent, self.n = agent, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set() and self.n < 60:
            self.n += 1
            n = self.n
            values = {"25": str(n), "29": str(1000 + n), "31": str(2000 + n), "38": f"{20 + n / 100:.2f}"}
            values["54"] = f"{n / 10:.1f}"
            if n % 10 == 0:
                values["35"] = "ACTIVE" if n % 20 == 0 else "READY"
            self.agent.add(values)
            self.stop.wait(0.03)

    def __enter__(self) -> Machine:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def test_an_imported_mtconnect_model_feeds_the_lake_through_a_generated_gateway_file(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    import_and_publish(
        platform,
        "mtconnect",
        DOCUMENT.read_bytes(),
        "application/xml",
        model_id=MODEL,
        device="MoriSeiki",
        equipment_type="MACHINING_CENTER",
    )
    items = _device_data_items("MoriSeiki")
    agent = Agent(data_items=items, initial={"25": "0", "29": "1000", "31": "2000", "35": "READY"}).start()
    try:
        text, said = generate(
            platform, tmp_path,
            "--from-model", f"{MODEL}@0.1.0", "--protocol", "mtconnect", "--url", agent.url,
            "--equipment-id", EQUIPMENT,
        )  # fmt: skip
        assert "35 of 35 items of mori-seiki-imported 0.1.0 bound by mtconnect id" in said
        assert 'device = "MoriSeiki"' in text and "auto_map = false" in text
        assert '[[connectors.points]]\ndata_item_id = "25"\nitem = "x_position_actual"\n' in text
        # Faster polling for the test; everything else as written.
        connector = text.replace("auto_map = false", "auto_map = false\npoll_s = 0.2")
        gateway = run_generated(platform, tmp_path, connector, gateways)
        wait_until(lambda: len(receipts(tmp_path / "outbox")) >= 1, "the current values")
        with Machine(agent) as machine:
            wait_until(lambda: machine.n >= 60, "the machine's ticks")
        rows = wait_for_lake(
            platform, EQUIPMENT, lambda rs: sum(r["item_id"] == "x_position_actual" for r in rs) >= 61
        )
        assert gateway.stop() == 0
    finally:
        agent.stop()

    def values(item: str) -> list[tuple[float, str]]:
        return [(r["value_num"], r["unit"]) for r in rows if r["item_id"] == item]

    assert values("x_position_actual") == [(float(n), "mm") for n in range(0, 61)]
    assert values("y_position_actual") == [(float(1000 + n), "mm") for n in range(0, 61)]
    assert values("z_position_actual") == [(float(2000 + n), "mm") for n in range(0, 61)]
    temperatures = values("archrock_temperature_node_1_adc0_read_event")
    assert temperatures[0] == (20.01, "°C") and temperatures[-1] == (20.6, "°C") and len(temperatures) == 60
    amperages = values("power_amperage_amp_a")
    assert amperages[0] == (0.1, "A") and amperages[-1] == (6.0, "A")
    assert [r["value_text"] for r in rows if r["item_id"] == "controller_execution"] == [
        "READY", "READY", "ACTIVE", "READY", "ACTIVE", "READY", "ACTIVE",
    ]  # fmt: skip
    assert {r["item_id"] for r in rows} == {
        "x_position_actual", "y_position_actual", "z_position_actual",
        "archrock_temperature_node_1_adc0_read_event", "power_amperage_amp_a", "controller_execution",
    }  # fmt: skip
