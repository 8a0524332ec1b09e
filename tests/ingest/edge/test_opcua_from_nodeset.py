"""No hand mapping from an OPC UA companion NodeSet to the lake: the LaserSystems example instance NodeSet
(with DI, IA, Machinery, MachineTool and LaserSystems) imported and published, a real asyncua server built
from the same NodeSet files whose variables change, a gateway file written from the model (``smartmfg-edge
config``), ``smartmfg-edge run``, and the readings read back from the lake under the right items in their
units. Then the LaserSystems *type* NodeSet (no node ids): bound by browse path below the machine the user
names with ``--root``. And PackML, whose counters are an array of structures: one record's fields as items
(``index_range`` and ``field``).

asyncua cannot load MachineTool as published (it requires two models the samples lack); the server loads
it after an empty NodeSet declaring them (``uanodeset``). PlasticsRubber Extrusion requires a
GeneralTypes NodeSet the samples lack too; PackML (namespace 0 only) loads as it is.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asyncua import ua

from tests.ingest.edge.conftest import Gateway, Platform, wait_for_lake, wait_until
from tests.ingest.edge.from_model import generate, import_and_publish, run_generated
from tests.ingest.edge.uanodeset import LASER_EXAMPLE, LASER_NODESETS, NodeSetServer, PackMLFiller
from tests.ingest.edge.uaserver import MachineServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

NODE = "nsu=http://vdma.org/UA/LaserSystem-Example/;i="
TEMPERATURE = NODE + "6067"  # Monitoring/ActivityData/CoolantPresetTemperatureChange/CurrentValue, CEL
WATER_LEVEL = NODE + "6036"  # Monitoring/ConditionData/CoolantWaterLevel/Value, percent
GAS_USAGE = NODE + "6052"  # Monitoring/ConsumptionData/GasUsage/Value, litre per minute
RUNS = NODE + "6055"  # Production/RecipeSettingsAndOverviews/Recipe1/RunsCompleted, UInt64
STATE = NODE + "6003"  # Monitoring/LaserSystemStatus/LaserSystemState/CurrentState, LocalizedText
CONTROLLER_ON = NODE + "6009"  # Monitoring/LaserSystemStatus/MachineToolsLaserStatus/ControllerIsOn
OPERATION = NODE + "6012"  # MachineryBuildingBlocks/OperationCounters/OperationDuration, Duration
LASER_STATE = NODE + "6010"  # Monitoring/LaserSystemStatus/MachineToolsLaserStatus/LaserState, an enumeration
RUNS_ITEM = "recipe1_runs_completed"
PACKML = "http://opcfoundation.org/UA/PackML/"


def _zip(paths: list[Path]) -> bytes:
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as archive:
        for path in paths:
            archive.write(path, path.name)
    return body.getvalue()


def _numbers(rows: list[dict[str, Any]], item: str) -> list[float]:
    return [r["value_num"] for r in rows if r["item_id"] == item]


def _run_from_model(
    platform: Platform, tmp_path: Path, gateways: list[Gateway], server: MachineServer, *args: str
) -> tuple[str, str, Gateway]:
    """``config --from-model … --protocol opcua --url <server>`` with ``args``, then ``run`` on what it
    wrote (sampling faster for the test) until it monitors: the file, what ``config`` said, the gateway."""
    text, said = generate(platform, tmp_path, "--protocol", "opcua", "--url", server.url, *args)
    faster = "auto_map = false\nsampling_interval_ms = 20\npublishing_interval_ms = 50"
    gateway = run_generated(platform, tmp_path, text.replace("auto_map = false", faster), gateways)
    wait_until(lambda: " monitoring " in gateway.output(), "the subscription")
    return text, said, gateway


def test_an_instance_nodeset_feeds_the_lake_through_a_generated_gateway_file(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    imported = import_and_publish(
        platform, "opcua", _zip(LASER_NODESETS), "application/zip", model_id="laser-example"
    )
    assert len(imported["version"]["items"]) == 24
    server = NodeSetServer(LASER_NODESETS, [TEMPERATURE, WATER_LEVEL, GAS_USAGE, RUNS, STATE])
    server.start()
    equipment = "laser-example-01"
    try:
        # The file numbers the example's namespace 1, the server as it loaded it: only the URI holds.
        assert server.namespace_index(LASER_EXAMPLE) == 9
        text, said, gateway = _run_from_model(
            platform, tmp_path, gateways, server, "--from-model", "laser-example@0.1.0",
            "--equipment-id", equipment,
        )  # fmt: skip
        assert "24 of 24 items of laser-example 0.1.0 bound by opcua id" in said
        assert (
            '[[connectors.points]]\nnode = "nsu=http://vdma.org/UA/LaserSystem-Example/;i=6067"\n'
            'item = "coolant_preset_temperature_change_current_value"\n'
        ) in text
        assert "monitoring 24 nodes" in gateway.output()
        base = datetime.now(UTC) + timedelta(seconds=1)
        for n in range(1, 21):
            ts = base + timedelta(milliseconds=100 * n)
            server.write(TEMPERATURE, 20 + n * 0.25, ts)
            server.write(WATER_LEVEL, 60.0 - n, ts)
            server.write(GAS_USAGE, n * 1.5, ts)
            server.write(RUNS, n, ts)
            if n % 10 == 0:
                server.write(STATE, ua.LocalizedText("LaserOn" if n == 10 else "Idle"), ts)
            time.sleep(0.1)
        rows = wait_for_lake(
            platform, equipment, lambda rs: (RUNS_ITEM, 20.0) in {(r["item_id"], r["value_num"]) for r in rs}
        )
        assert gateway.stop() == 0
        assert "not mapped" not in gateway.output()
    finally:
        server.close()

    def values(item: str) -> list[tuple[float, str | None]]:
        return [(r["value_num"], r["unit"]) for r in rows if r["item_id"] == item]

    # The NodeSet's own values first (CurrentValue 20.0), then every change, in the model's units.
    temperatures = values("coolant_preset_temperature_change_current_value")
    assert temperatures[0] == (20.0, "°C") and len(temperatures) == 21
    assert temperatures[1:] == [(20 + n * 0.25, "°C") for n in range(1, 21)]
    assert values("coolant_water_level_value")[-3:] == [(42.0, "%"), (41.0, "%"), (40.0, "%")]
    assert values("gas_usage_value")[-2:] == [(28.5, "L/min"), (30.0, "L/min")]
    assert [v for v, _ in values(RUNS_ITEM)][-20:] == [float(n) for n in range(1, 21)]
    states = [r["value_text"] for r in rows if r["item_id"] == "laser_system_state_current_state"]
    assert states[-2:] == ["LaserOn", "Idle"]
    assert all(r["quality"] == "good" for r in rows)


def test_a_type_nodeset_binds_by_browse_path_below_the_machine_the_user_names(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    types = LASER_NODESETS[:-1]  # no instance: node ids point at declarations, the model keeps paths
    imported = import_and_publish(
        platform, "opcua", _zip(types), "application/zip", model_id="laser-type", node="LaserSystemType"
    )
    items = {i["id"]: i for i in imported["version"]["items"]}
    assert "opcua_node_id" not in {k for i in items.values() for k, v in i["mappings"].items() if v}
    server = NodeSetServer(LASER_NODESETS, [CONTROLLER_ON, OPERATION, STATE, LASER_STATE])
    server.start()
    equipment = "laser-type-01"
    try:
        text, said, gateway = _run_from_model(
            platform, tmp_path, gateways, server, "--root", "Machines/LaserSystem-Example",
            "--from-model", "laser-type", "--equipment-id", equipment,
        )  # fmt: skip
        assert f"{len(items)} of {len(items)} items of laser-type 0.1.0 bound by opcua browse path" in said
        assert 'root = "Machines/LaserSystem-Example"' in text
        # Each browse name with its namespace URI (the server numbers them its own way), and the
        # enumeration's integers named.
        laser = "http://opcfoundation.org/UA/LaserSystems/"
        assert (
            "[[connectors.points]]\n"
            'browse_path = "Monitoring/LaserSystemStatus/MachineToolsLaserStatus/LaserState"\n'
            'item = "machine_tools_laser_status_laser_state"\n'
            f'browse_namespaces = ["{laser}", "{laser}", "{laser}", "http://opcfoundation.org/UA/MachineTool/"]\n'
            'values = { "0" = "Undefined", "1" = "Ready", "2" = "Active", "3" = "Error" }\n'
        ) in text
        assert server.namespace_index(laser) != 1  # the index the type NodeSet wrote for it
        base = datetime.now(UTC) + timedelta(seconds=1)
        for n in range(1, 7):
            ts = base + timedelta(milliseconds=100 * n)
            server.write(CONTROLLER_ON, n % 2 == 1, ts)
            server.write(OPERATION, 1000.0 * n, ts)
            server.write(LASER_STATE, n % 4, ts)  # on the wire: the enumeration's Int32
            time.sleep(0.1)
        server.write(STATE, ua.LocalizedText("Maintenance"), base + timedelta(seconds=2))
        rows = wait_for_lake(
            platform, equipment, lambda rs: any(r["value_text"] == "Maintenance" for r in rs)
        )
        assert gateway.stop() == 0
        log = gateway.output()
    finally:
        server.close()

    switched = _numbers(rows, "machine_tools_laser_status_controller_is_on")
    assert switched[-6:] == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    durations = [
        (r["value_num"], r["unit"])
        for r in rows
        if r["item_id"] == "machinery_building_blocks_operation_counters_operation_duration"
    ]
    assert durations[-3:] == [(4000.0, "ms"), (5000.0, "ms"), (6000.0, "ms")]
    assert [r["value_text"] for r in rows if r["item_id"] == "laser_system_state_current_state"][-1] == (
        "Maintenance"
    )
    laser_states = [r["value_text"] for r in rows if r["item_id"] == "machine_tools_laser_status_laser_state"]
    assert laser_states[-6:] == ["Ready", "Active", "Error", "Undefined", "Ready", "Active"]
    # Paths the example machine does not have are said once each, not guessed.
    assert "item stack_level_display_mode not mapped" in log


def test_an_element_and_a_field_of_an_array_of_structures_land_as_their_items(
    platform: Platform, tmp_path: Path, gateways: list[Gateway]
) -> None:
    nodeset = LASER_NODESETS[0].parent / "Opc.Ua.PackML.NodeSet2.xml"
    import_and_publish(platform, "opcua", nodeset.read_bytes(), "application/xml", model_id="packml-filler")
    server = PackMLFiller()
    server.start()
    equipment = "filler-01"
    try:
        text, _, gateway = _run_from_model(
            platform, tmp_path, gateways, server, "--root", "Filler1", "--from-model", "packml-filler",
            "--equipment-id", equipment,
        )  # fmt: skip
        assert (
            '[[connectors.points]]\nbrowse_path = "Admin/ProdProcessedCount"\n'
            'item = "prod_processed_count_0_acc_count"\n'
            f'browse_namespaces = ["{PACKML}", "{PACKML}"]\nindex_range = "0"\nfield = "AccCount"\n'
        ) in text
        base = datetime.now(UTC) + timedelta(seconds=1)
        for n in range(1, 6):
            # Record 0 is the good count, record 1 another product's: only record 0 is an item.
            server.counts([(n, 1000 + n), (50 + n, 9000 + n)], base + timedelta(milliseconds=100 * n))
            time.sleep(0.1)
        rows = wait_for_lake(platform, equipment, lambda rs: any(r["value_num"] == 1005 for r in rs))
        assert gateway.stop() == 0
        log = gateway.output()
    finally:
        server.close()

    assert _numbers(rows, "prod_processed_count_0_acc_count") == [1001.0, 1002.0, 1003.0, 1004.0, 1005.0]
    assert _numbers(rows, "prod_processed_count_0_count") == [1.0, 2.0, 3.0, 4.0, 5.0]
    # Each change of the node is a reading of every item it feeds, a part that stayed the same included.
    assert _numbers(rows, "prod_processed_count_0_id") == [1.0, 1.0, 1.0, 1.0, 1.0]
    # The server's first value is an empty array: said once per item, then every record read.
    assert log.count("item prod_processed_count_0_acc_count: no element [0] in list") == 1
