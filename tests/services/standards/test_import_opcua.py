"""OPC UA NodeSet imports on the OPC Foundation's own NodeSets (../shared/interop-samples/opcua): required
models uploaded together, one machine picked, inherited members, units, roles, attributes, and the report's
counts; hostile NodeSets refused fast with nothing stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.standards.imports import opcua
from tests.conftest import Auth
from tests.factories import model_body
from tests.interop import SAMPLES

URL = "/api/v1/standards"
OPCUA = SAMPLES / "opcua"
DOCS = Path(__file__).parent / "documents"
MT = "http://opcfoundation.org/UA/MachineTool/"
EXAMPLE = "nsu=http://vdma.org/UA/LaserSystem-Example/"


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-1")


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, (OPCUA / name).read_bytes())
    return buffer.getvalue()


def post(client: TestClient, data: bytes, headers: dict[str, str], **params: str) -> Any:
    return client.post(
        f"{URL}/imports/opcua",
        params={"model_id": "imported", **params},
        content=data,
        headers={"Content-Type": "application/octet-stream", **headers},
    )


def mapped(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item["mappings"].items() if v is not None}


def imported(answer: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    assert answer.status_code == 201, answer.text
    result = answer.json()
    counts = result["report"]["counts"]
    assert counts["mapped"] + counts["attributes"] + counts["dropped"] == counts["elements"]
    return {i["id"]: i for i in result["version"]["items"]}, result


def test_machine_tool_with_machinery_ia_and_di_uploaded_together(
    client: TestClient, vendor: dict[str, str]
) -> None:
    upload = zipped(
        "Opc.Ua.MachineTool.NodeSet2.xml",
        "Opc.Ua.Machinery.NodeSet2.xml",
        "Opc.Ua.IA.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    )
    items, result = imported(post(client, upload, vendor))
    report = result["report"]
    assert result["model"]["equipment_type"] == "MACHINE_TOOL"
    assert report["chosen"] == f"MachineToolType (type, nsu={MT};i=13)"
    assert f"ChannelMonitoringType (type, nsu={MT};i=16)" in report["available"]
    assert report["counts"] == {"elements": 91, "mapped": 27, "attributes": 17, "dropped": 47}
    notes = " ".join(report["notes"])
    assert (
        "required models resolved: http://opcfoundation.org/UA/DI/, http://opcfoundation.org/UA/IA/, "
        "http://opcfoundation.org/UA/Machinery/" in notes
    )
    assert (
        "http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/, http://opcfoundation.org/UA/Machinery/Jobs/"
        in notes
    )
    # Inherited from Machinery through the type's building blocks; the machine state's values from its type.
    state = items["machinery_building_blocks_machinery_item_state_current_state"]
    assert state["role"] == "execution_state"
    assert state["allowed_values"] == ["Executing", "NotAvailable", "NotExecuting", "OutOfService"]
    assert mapped(state) == {
        "opcua_browse_name": "MachineryBuildingBlocks/MachineryItemState/CurrentState",
        # Each browse name's namespace: the gateway looks up the index the server gives it.
        "opcua_browse_namespaces": "http://opcfoundation.org/UA/Machinery/ "
        "http://opcfoundation.org/UA/Machinery/ http://opcfoundation.org/UA/",
    }
    assert items["statistics_parts_produced_in_lifetime"]["role"] == "part_count"
    mode = items["machine_tool_operation_mode"]
    assert mode["allowed_values"][:4] == ["Manual", "Automatic", "Setup", "AutoWithManualIntervention"]
    # The enumeration's integers (what the wire carries), one per name: the gateway sends the name.
    assert mode["mappings"]["opcua_enum_values"].split()[:4] == ["0", "1", "2", "3"]
    assert len(mode["mappings"]["opcua_enum_values"].split()) == len(mode["allowed_values"])
    duration = items["machine_tool_operation_counters_power_on_duration"]
    assert (duration["unit"], duration["category"], duration["data_type"]) == ("ms", "SAMPLE", "float")
    assert "state_current_state" in items and items["state_current_state"]["role"] is None  # one per role
    assert not any(i.endswith(("_2", "_3")) for i in items)
    attributes = {a["name"]: a["value"] for a in report["attributes"]}
    assert {
        "Identification/Manufacturer",
        "Identification/SerialNumber",
        "Identification/SoftwareRevision",
    } <= set(attributes)
    assert attributes["Identification/SerialNumber"] is None  # a type: each machine gives its own
    dropped = {d["source"]: d["reason"] for d in report["dropped"]}
    assert "placeholder" in dropped["Monitoring/<MonitoredElement>"]
    assert "method" in dropped["FileSystem/CreateFile"]
    # Event types and condition classes are no machine and give no telemetry.
    assert not any("Transition" in i or "condition_class" in i for i in items)


def test_another_machine_is_picked_by_node_and_an_unknown_one_is_named(
    client: TestClient, vendor: dict[str, str]
) -> None:
    upload = zipped(
        "Opc.Ua.MachineTool.NodeSet2.xml", "Opc.Ua.Machinery.NodeSet2.xml", "Opc.Ua.Di.NodeSet2.xml"
    )
    items, result = imported(post(client, upload, vendor, node="ns=1;i=22"))
    assert result["report"]["chosen"] == f"SpindleMonitoringType (type, nsu={MT};i=22)"
    assert result["model"]["equipment_type"] == "SPINDLE_MONITORING"
    assert {"is_rotating", "override"} <= set(items)
    by_name = post(client, upload, vendor, node="1:SpindleMonitoringType", model_id="spindle")
    assert by_name.json()["report"]["chosen"] == result["report"]["chosen"]
    refused = post(client, upload, vendor, node="NoSuchType", model_id="other")
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["loc"] == "query.node"
    assert "MachineToolType" in refused.json()["detail"]
    assert client.get(f"{URL}/other", headers=vendor).status_code == 404


def test_laser_system_instance_gives_node_ids_units_and_nameplate_values(
    client: TestClient, vendor: dict[str, str]
) -> None:
    upload = zipped(
        "LaserSystem-Example.NodeSet2.xml",
        "Opc.Ua.LaserSystems.NodeSet2.xml",
        "Opc.Ua.MachineTool.NodeSet2.xml",
        "Opc.Ua.Machinery.NodeSet2.xml",
        "Opc.Ua.IA.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    )
    items, result = imported(post(client, upload, vendor))
    report = result["report"]
    assert report["chosen"] == f"LaserSystem-Example (instance of LaserSystemType, {EXAMPLE};i=5003)"
    coolant = items["coolant_preset_temperature_change_current_value"]
    assert (coolant["unit"], coolant["category"]) == ("°C", "SAMPLE")  # UNECE CEL in UnitId 4408652
    assert coolant["mappings"]["opcua_node_id"] == f"{EXAMPLE};i=6067"
    assert (
        coolant["mappings"]["opcua_browse_name"]
        == "Monitoring/ActivityData/CoolantPresetTemperatureChange/CurrentValue"
    )
    assert items["coolant_water_level_value"]["unit"] == "%"
    assert items["gas_usage_value"]["unit"] == "L/min"
    state = items["machinery_item_state_current_state"]
    assert (state["role"], state["mappings"]["opcua_node_id"]) == ("execution_state", f"{EXAMPLE};i=6005")
    attributes = {a["name"]: a["value"] for a in report["attributes"]}
    assert attributes == {a["name"]: a["value"] for a in result["version"]["attributes"]}  # in the model too
    assert attributes["Identification/Manufacturer"] == "VDMA e.V."
    assert attributes["Identification/SerialNumber"] == "0815-4711"
    assert attributes["Identification/YearOfConstruction"] == "2023"
    dropped = {d["source"]: d["reason"] for d in report["dropped"]}
    # The instance references its item state twice: mapped once, the second path says where.
    assert dropped["Monitoring/LaserSystemStatus/MachineryItemState"].startswith("the same node as")


def test_extruder_with_general_types_reports_the_missing_model_and_unitless_analog_items(
    client: TestClient, vendor: dict[str, str]
) -> None:
    upload = zipped(
        "Opc.Ua.PlasticsRubber.Extrusion.Extruder.NodeSet2.xml",
        "Opc.Ua.PlasticsRubber.Extrusion.GeneralTypes.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    )
    items, result = imported(post(client, upload, vendor))
    report = result["report"]
    assert report["chosen"].startswith("Extruder_InterfaceType (type, ")
    assert "http://opcfoundation.org/UA/PlasticsRubber/GeneralTypes/" in " ".join(report["notes"])
    speed, torque = items["speed_actual_value"], items["torque_actual_value"]  # was 20 x "ActualValue"
    assert speed["mappings"]["opcua_browse_name"] == "MainDrive/Speed/ActualValue"
    assert (speed["category"], speed["unit"]) == ("EVENT", None)  # the type leaves the unit to each machine
    assert torque["name"]["en"] == "Torque / ActualValue"
    assert "55 analog items have no unit" in " ".join(report["notes"])
    assert "actual_value" not in items


def test_packml_counts_and_state_get_their_roles(client: TestClient, vendor: dict[str, str]) -> None:
    items, result = imported(post(client, (OPCUA / "Opc.Ua.PackML.NodeSet2.xml").read_bytes(), vendor))
    assert (
        result["report"]["chosen"]
        == "PackMLBaseObjectType (type, nsu=http://opcfoundation.org/UA/PackML/;i=6)"
    )
    processed = items["prod_processed_count_0_acc_count"]
    assert processed["role"] == "part_count" and processed["data_type"] == "int"
    assert mapped(processed) == {
        "opcua_browse_name": "Admin/ProdProcessedCount", "opcua_index_range": "0", "opcua_field": "AccCount",
        "opcua_browse_namespaces": "http://opcfoundation.org/UA/PackML/ http://opcfoundation.org/UA/PackML/",
    }  # fmt: skip
    assert items["prod_defective_count_0_acc_count"]["role"] == "reject_count"
    state = items["machine_state_current_state"]
    assert state["role"] == "execution_state" and "Execute" not in state["allowed_values"]
    assert "Held" in items["execute_state_current_state"]["allowed_values"]
    dropped = {d["source"]: d["reason"] for d in result["report"]["dropped"]}
    assert "length the NodeSet leaves open" in dropped["Admin/StateCumulativeTime"]


def test_hand_written_nodeset_without_modelling_rules(client: TestClient, vendor: dict[str, str]) -> None:
    items, result = imported(post(client, (DOCS / "press_nodeset.xml").read_bytes(), vendor))
    assert result["model"]["equipment_type"] == "PRESS"
    assert sorted(items) == ["door_closed", "mode", "ram_oil_temperature", "ram_ram_force", "stroke_counter"]
    force = items["ram_ram_force"]
    assert (force["unit"], force["min"], force["max"], force["category"]) == ("kN", 0, 4000, "SAMPLE")
    assert force["name"] == {"ko": "Ram / 램 가압력", "en": "Ram / Ram force"}
    assert items["ram_oil_temperature"]["unit"] == "°C"  # from the UNECE code: its display name is prose
    assert items["mode"]["allowed_values"] == ["AUTOMATIC", "SETUP", "MANUAL"]
    assert result["report"]["attributes"] == [
        {"source": "Manufacturer", "name": "Manufacturer", "value": None}
    ]


def test_multipart_upload_of_several_nodesets(client: TestClient, vendor: dict[str, str]) -> None:
    files = [
        ("files", (name, (OPCUA / name).read_bytes(), "application/xml"))
        for name in ("Opc.Ua.PlasticsRubber.Extrusion.Extruder.NodeSet2.xml",
                     "Opc.Ua.PlasticsRubber.Extrusion.GeneralTypes.NodeSet2.xml")
    ]  # fmt: skip
    answer = client.post(f"{URL}/imports/opcua", params={"model_id": "multi"}, files=files, headers=vendor)
    items, result = imported(answer)
    assert "speed_actual_value" in items
    assert (
        "http://opcfoundation.org/UA/PlasticsRubber/Extrusion/GeneralTypes/" in result["report"]["notes"][0]
    )


def _chain(depth: int, *, filler: int = 0) -> bytes:
    """A type whose members nest ``depth`` deep, each the parent of the next (the quadratic case)."""
    parts = [
        '<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">'
        "<NamespaceUris><Uri>urn:chain</Uri></NamespaceUris>"
        '<UAObjectType NodeId="ns=1;i=1" BrowseName="1:ChainType"><DisplayName>c</DisplayName>'
        '<References><Reference ReferenceType="HasSubtype" IsForward="false">i=58</Reference></References>'
        "</UAObjectType>"
    ]
    for n in range(2, depth + 2):
        parts.append(
            f'<UAObject NodeId="ns=1;i={n}" BrowseName="1:L{n}" ParentNodeId="ns=1;i={n - 1}">'
            "<DisplayName>L</DisplayName><References>"
            f'<Reference ReferenceType="HasComponent" IsForward="false">ns=1;i={n - 1}</Reference>'
            '<Reference ReferenceType="HasModellingRule">i=78</Reference>'
            '<Reference ReferenceType="HasTypeDefinition">i=58</Reference></References>'
            f"<Description>{'x' * filler}</Description></UAObject>"
        )
    parts.append("</UANodeSet>")
    return "".join(parts).encode()


def test_deep_parent_chain_is_refused_and_creates_nothing(client: TestClient, vendor: dict[str, str]) -> None:
    document = _chain(20_000, filler=35)
    assert 7 * 1024 * 1024 < len(document) < 8 * 1024 * 1024
    answer = post(client, document, vendor, model_id="chain")  # its time: bench/standards_bench.py
    assert answer.status_code == 422, answer.text
    assert "deeper than 32 levels" in answer.json()["detail"]
    assert client.get(f"{URL}/chain", headers=vendor).status_code == 404


def test_broken_archives_are_refused(client: TestClient, vendor: dict[str, str]) -> None:
    assert post(client, b"PK\x03\x04 not really a zip", vendor).status_code == 400
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "no nodeset")
    answer = post(client, empty.getvalue(), vendor)
    assert answer.status_code == 422 and answer.json()["fields"][0]["loc"] == "body"


def test_attributes_are_kept_with_the_version_copied_and_edited(
    client: TestClient, vendor: dict[str, str]
) -> None:
    plate = [{"name": "Identification/SerialNumber", "value": "SN-1", "source": None}]
    assert client.post(URL, json=model_body(attributes=plate), headers=vendor).status_code == 201
    first = client.get(f"{URL}/cnc-lathe/versions/1.0.0", headers=vendor).json()
    assert first["attributes"] == plate
    assert (
        client.post(f"{URL}/cnc-lathe/versions", json={"version": "1.1.0"}, headers=vendor).status_code == 201
    )
    assert client.get(f"{URL}/cnc-lathe/versions/1.1.0", headers=vendor).json()["attributes"] == plate
    edited = [{"name": "Identification/Manufacturer", "value": "KR Press", "source": None}]
    patch = client.patch(f"{URL}/cnc-lathe/versions/1.1.0", json={"attributes": edited}, headers=vendor)
    assert patch.status_code == 200, patch.text
    assert client.get(f"{URL}/cnc-lathe/versions/1.1.0", headers=vendor).json()["attributes"] == edited
    twice = client.patch(f"{URL}/cnc-lathe/versions/1.1.0", json={"attributes": edited * 2}, headers=vendor)
    assert twice.status_code == 422 and "appears twice" in twice.text


def test_required_models_come_from_the_organisations_earlier_imports_only(
    client: TestClient, vendor: dict[str, str], auth: Auth
) -> None:
    base = ("Opc.Ua.MachineTool.NodeSet2.xml", "Opc.Ua.Machinery.NodeSet2.xml", "Opc.Ua.IA.NodeSet2.xml",
            "Opc.Ua.Di.NodeSet2.xml")  # fmt: skip
    imported(post(client, zipped(*base), vendor, model_id="machine-tool"))
    laser = zipped("LaserSystem-Example.NodeSet2.xml", "Opc.Ua.LaserSystems.NodeSet2.xml")
    items, result = imported(post(client, laser, vendor, model_id="laser"))
    notes = result["report"]["notes"]
    assert "required models resolved: http://opcfoundation.org/UA/LaserSystems/" in notes
    assert (
        "required models resolved from NodeSets imported before: http://opcfoundation.org/UA/DI/, "
        "http://opcfoundation.org/UA/Machinery/, http://opcfoundation.org/UA/IA/, "
        "http://opcfoundation.org/UA/MachineTool/"
    ) in notes
    assert items["machinery_item_state_current_state"]["role"] == "execution_state"  # Machinery's, kept
    other = auth("vendor", org_id="org-vendor-2")  # another organisation's shelf is empty
    _, alone = imported(post(client, laser, other, model_id="laser-other"))
    assert "http://opcfoundation.org/UA/Machinery/" in " ".join(
        n for n in alone["report"]["notes"] if "missing" in n
    )


def test_fixed_size_arrays_give_one_item_per_element_others_are_dropped_with_the_reason() -> None:
    variables = [
        ("Temperatures", 'ValueRank="1" ArrayDimensions="3"'),
        ("Spectrum", 'ValueRank="1" ArrayDimensions="1024"'),
        ("History", 'ValueRank="1" ArrayDimensions="0"'),
        ("Grid", 'ValueRank="2" ArrayDimensions="2,2"'),
    ]
    body = "".join(
        f'<UAVariable NodeId="ns=1;i={n}" BrowseName="1:{name}" DataType="Double" {shape}>'
        f"<DisplayName>{name}</DisplayName><References>"
        '<Reference ReferenceType="HasComponent" IsForward="false">ns=1;i=1</Reference>'
        '<Reference ReferenceType="HasModellingRule">i=78</Reference></References></UAVariable>'
        for n, (name, shape) in enumerate(variables, start=2)
    )
    document = (
        '<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">'
        "<NamespaceUris><Uri>urn:oven</Uri></NamespaceUris>"
        '<UAObjectType NodeId="ns=1;i=1" BrowseName="1:OvenType"><DisplayName>Oven</DisplayName>'
        f"</UAObjectType>{body}</UANodeSet>"
    ).encode()
    draft = opcua.parse(document)
    report = draft.report("opcua", korean=False)
    assert [i.id for i in draft.items] == [
        "temperatures_0", "temperatures_1", "temperatures_2", "grid_0_0", "grid_0_1", "grid_1_0", "grid_1_1",
    ]  # fmt: skip
    assert draft.items[1].mappings is not None and draft.items[1].mappings.opcua_index_range == "1"
    assert draft.items[4].mappings is not None and draft.items[4].mappings.opcua_index_range == "0,1"
    dropped = {d.source: d.reason for d in report.dropped}
    assert dropped["Spectrum"] == "an array of 1024 values: more than 16, one item each would swamp the model"
    assert dropped["History"] == "an array whose length the NodeSet leaves open: no fixed element to bind"
    assert report.counts.elements == 4 and report.counts.mapped == 2 and report.counts.dropped == 2


def _declaration(node: str, name: str, parent: str, kind: str = "UAObject", extra: str = "") -> str:
    type_definition = "i=58" if kind == "UAObject" else "i=63"
    return (
        f'<{kind} NodeId="{node}" BrowseName="{name}" {extra}>'
        f"<DisplayName>{name.partition(':')[2]}</DisplayName>"
        f'<References><Reference ReferenceType="HasComponent" IsForward="false">{parent}</Reference>'
        '<Reference ReferenceType="HasModellingRule">i=78</Reference>'
        f'<Reference ReferenceType="HasTypeDefinition">{type_definition}</Reference></References></{kind}>'
    )


# A lathe type (urn:lathe) derived from a base machine type of another companion (urn:base): both declare a
# Spindle with a Speed, each in its own namespace. Namespaces as the document numbers them: 1 urn:lathe,
# 2 urn:base, 3 urn:vendor.
TWO_SPINDLES = (
    '<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">'
    "<NamespaceUris><Uri>urn:lathe</Uri><Uri>urn:base</Uri><Uri>urn:vendor</Uri></NamespaceUris>"
    '<UAObjectType NodeId="ns=2;i=1" BrowseName="2:BaseMachineType"><DisplayName>Base</DisplayName>'
    '<References><Reference ReferenceType="HasSubtype" IsForward="false">i=58</Reference></References>'
    "</UAObjectType>"
    + _declaration("ns=2;i=2", "2:Spindle", "ns=2;i=1")
    + _declaration("ns=2;i=3", "2:Speed", "ns=2;i=2", "UAVariable", 'DataType="Double"')
    + '<UAObjectType NodeId="ns=1;i=1" BrowseName="1:LatheType"><DisplayName>Lathe</DisplayName>'
    '<References><Reference ReferenceType="HasSubtype" IsForward="false">ns=2;i=1</Reference></References>'
    "</UAObjectType>"
    + _declaration("ns=1;i=2", "3:Spindle", "ns=1;i=1")
    + _declaration("ns=1;i=3", "3:Speed", "ns=1;i=2", "UAVariable", 'DataType="Double"')
    + _declaration("ns=1;i=4", "1:Program", "ns=1;i=1", "UAVariable", 'DataType="String"')
    + "</UANodeSet>"
).encode()


def test_members_of_the_same_name_in_two_namespaces_stay_two_items_with_their_namespaces() -> None:
    draft = opcua.parse(TWO_SPINDLES, node="LatheType")
    by_id = {i.id: i.mappings for i in draft.items if i.mappings is not None}
    assert sorted(by_id) == ["program", "spindle_speed", "spindle_speed_2"]
    spaces = {(m.opcua_browse_name, m.opcua_browse_namespaces) for m in by_id.values()}
    assert spaces == {
        ("Spindle/Speed", "urn:base urn:base"),  # inherited: the subtype's Spindle is another member
        ("Spindle/Speed", "urn:vendor urn:vendor"),
        ("Program", "urn:lathe"),
    }


def test_units_given_at_import_make_unitless_analog_items_samples(
    client: TestClient, vendor: dict[str, str], auth: Auth
) -> None:
    upload = zipped(
        "Opc.Ua.PlasticsRubber.Extrusion.Extruder.NodeSet2.xml",
        "Opc.Ua.PlasticsRubber.Extrusion.GeneralTypes.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    )
    units = ["MainDrive/Speed/ActualValue=RPM", "MainDrive/Torque/ActualValue=N·m"]  # a UNECE code, a symbol
    answer = client.post(
        f"{URL}/imports/opcua",
        params={"model_id": "extruder", "units": units},
        content=upload,
        headers={"Content-Type": "application/zip", **vendor},
    )
    items, result = imported(answer)
    speed, torque = items["speed_actual_value"], items["torque_actual_value"]
    assert (speed["category"], speed["unit"]) == ("SAMPLE", "rpm")
    assert (torque["category"], torque["unit"]) == ("SAMPLE", "N·m")
    notes = {m["item_id"]: m["notes"] for m in result["report"]["mapped"]}
    assert "unit rpm given at import" in notes["speed_actual_value"]
    assert "53 analog items have no unit" in " ".join(result["report"]["notes"])  # 55 without the two
    # The version says which measured values still lack a unit, and so does the publish answer.
    unitless = result["version"]["items_without_unit"]
    assert "maintenance_interval" in unitless and "speed_actual_value" not in unitless
    published = client.post(
        f"{URL}/extruder/versions/0.1.0/publish", headers=auth("admin", org_id="org-operator")
    )
    assert published.status_code == 200, published.text
    assert published.json()["items_without_unit"] == unitless


@pytest.mark.parametrize(
    ("units", "said"),
    [
        ("Ram/RamForce=KMQ", "unknown unit 'KMQ': neither a UNECE code the platform knows nor a unit symbol"),
        ("Ram/RamForce", "'Ram/RamForce': units are given as browse/path=unit"),
        ("Ram/Missing=kN", "no variable 'Ram/Missing' below PressType"),
        ("DoorClosed=s", "'DoorClosed' is not numeric: a unit applies to numbers only"),
    ],
)
def test_a_unit_that_is_unknown_or_names_no_number_is_refused_naming_it(
    client: TestClient, vendor: dict[str, str], units: str, said: str
) -> None:
    answer = post(client, (DOCS / "press_nodeset.xml").read_bytes(), vendor, model_id="press", units=units)
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"][0]["loc"] == "query.units"
    assert said in answer.json()["detail"]
    assert client.get(f"{URL}/press", headers=vendor).status_code == 404
