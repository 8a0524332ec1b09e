"""OPC UA points below the node: one element of an array value, one field of a structure value (as asyncua
decodes them), browse paths matched below the machine, and the gateway file and ``config --from-model``
that carry them."""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass

import pytest
from asyncua import Client, Node, Server, ua

from ingest.edge import gwconfig
from ingest.edge.connectors.opcua import _indices, find_path, machine_of, part_of, variables
from ingest.edge.gateway import ConfigError
from ingest.edge.modelconfig import gateway_file
from tests.ingest.edge.ports import free_port
from tests.loops import run_apart


@dataclass
class CountDataType:  # the shape asyncua gives PackML's PackMLCountDataType once its definition is loaded
    ID: int
    Name: ua.LocalizedText
    Count: int
    AccCount: int


class Mode(enum.IntEnum):
    Manual = 0
    Automatic = 1


COUNTS = [
    CountDataType(1, ua.LocalizedText("good"), 5, 1200),
    CountDataType(2, ua.LocalizedText("bad"), 1, 31),
]


def test_an_element_a_field_or_both() -> None:
    assert part_of([10.5, 11.5, 12.5], "2", None) == 12.5
    assert part_of([[1, 2], [3, 4]], "1,0", None) == 3
    assert part_of(COUNTS, "1", "AccCount") == 31
    assert part_of(COUNTS[0], None, "Name") == "good"  # LocalizedText as its text
    assert part_of({"Value": 7}, None, "Value") == 7
    assert part_of(Mode.Automatic, None, None) == "Automatic"  # an enumeration item's values are names
    assert part_of(ua.LocalizedText("Executing"), None, None) == "Executing"


@pytest.mark.parametrize(
    ("value", "index_range", "field", "said"),
    [
        ([1, 2], "2", None, "no element [2] in list"),
        (5.0, "0", None, "no element [0] in float"),
        (COUNTS, "0", "Rate", "no field Rate in CountDataType"),
        (ua.ExtensionObject(), None, "AccCount", "no field AccCount in ExtensionObject"),  # not decoded
    ],
)
def test_a_missing_part_is_a_lookup_error(
    value: object, index_range: str | None, field: str | None, said: str
) -> None:
    with pytest.raises(LookupError, match=said.replace("[", r"\[").replace("]", r"\]")):
        part_of(value, index_range, field)


def _node(identifier: int) -> Node:
    return Node(None, ua.NodeId(identifier, 2))  # type: ignore[arg-type]  # no session: only its id is read


def test_a_browse_path_is_the_shallowest_variable_ending_with_it() -> None:
    found = [
        (_node(1), "Monitoring/Spindle/Speed", (2, 2, 2)),
        (_node(2), "Monitoring/Spindle/Speed/EURange", (2, 2, 2, 0)),
        (_node(3), "Extra/Monitoring/Spindle/Speed", (2, 2, 2, 2)),
        (_node(4), "Axes/X/Load", (2, 2, 2)),
        (_node(5), "Axes/Y/Load", (2, 2, 2)),
    ]
    assert find_path(found, "Monitoring/Spindle/Speed").nodeid.Identifier == 1
    assert find_path(found, "Spindle/Speed").nodeid.Identifier == 1
    assert find_path(found, "X/Load").nodeid.Identifier == 4
    with pytest.raises(LookupError, match="2 variables match: ns=2;i=4, ns=2;i=5"):
        find_path(found, "Load")
    with pytest.raises(LookupError, match="no such variable"):
        find_path(found, "Spindle/Override")


def test_a_browse_path_with_namespaces_matches_names_of_those_namespaces_only() -> None:
    found = [
        (_node(1), "Spindle/Speed", (3, 3)),  # the base companion's spindle
        (_node(2), "Spindle/Speed", (4, 4)),  # the vendor's, same names
        (_node(3), "Spindle/Speed/EngineeringUnits", (3, 3, 0)),
    ]
    assert find_path(found, "Spindle/Speed", (4, 4)).nodeid.Identifier == 2
    assert find_path(found, "Spindle/Speed", (3, 3)).nodeid.Identifier == 1
    assert find_path(found, "Speed", (3,)).nodeid.Identifier == 1
    with pytest.raises(LookupError, match="no such variable"):
        find_path(found, "Spindle/Speed", (3, 4))
    with pytest.raises(LookupError, match="2 variables match"):
        find_path(found, "Spindle/Speed")  # names alone cannot tell them apart


async def _two_spindles() -> tuple[dict[str, str], list[int]]:
    """A real server whose machine has two ``Spindle/Speed`` of two namespaces, registered in an order of
    its own; what the gateway resolves for each namespace, and the indices the server gave them."""
    server = Server()
    await server.init()
    url = f"opc.tcp://127.0.0.1:{free_port()}/two"
    server.set_endpoint(url)
    spaces = [await server.register_namespace(uri) for uri in ("urn:other", "urn:vendor", "urn:base")]
    _, vendor, base = spaces
    lathe = await server.nodes.objects.add_object(f"ns={base};s=Lathe", f"{base}:Lathe")
    for index, value in ((base, 1.0), (vendor, 2.0)):
        spindle = await lathe.add_object(f"ns={index};s=Spindle", f"{index}:Spindle")
        await spindle.add_variable(f"ns={index};s=Speed", f"{index}:Speed", value)
    async with server, Client(url) as client:
        found = await variables(await machine_of(client, "Lathe"), 4)
        server_spaces = list(await client.get_namespace_array())
        resolved = {
            uri: find_path(found, "Spindle/Speed", _indices(server_spaces, (uri, uri))).nodeid.to_string()
            for uri in ("urn:base", "urn:vendor")
        }
        with pytest.raises(LookupError, match="the server has no namespace urn:absent"):
            _indices(server_spaces, ("urn:absent",))
    return resolved, spaces


def test_a_real_server_resolves_each_namespace_uri_to_its_own_index() -> None:
    resolved, (_, vendor, base) = run_apart(_two_spindles())
    assert (vendor, base) == (3, 4)  # not the indices any NodeSet wrote
    assert resolved == {"urn:base": "ns=4;s=Speed", "urn:vendor": "ns=3;s=Speed"}


def _file(**point: object) -> dict[str, object]:
    connector = {
        "name": "filler",
        "type": "opcua",
        "url": "opc.tcp://filler:4840",
        "equipment_id": "filler-1",
        "model": "packml",
        "points": [{"item": "processed", **point}],
    }
    return {"connectors": [connector]}


def test_a_point_names_its_variable_once() -> None:
    connector = gwconfig.parse(
        _file(browse_path="Admin/ProdProcessedCount", index_range="0", field="AccCount")
    ).connectors[0]
    assert isinstance(connector, gwconfig.OpcUa)
    point = connector.points[0]
    assert (point.node, point.browse_path, point.index_range, point.field) == (
        None, "Admin/ProdProcessedCount", "0", "AccCount",
    )  # fmt: skip
    for wrong in ({}, {"node": "ns=2;i=7", "browse_path": "Admin/ProdProcessedCount"}):
        with pytest.raises(
            ConfigError, match=r"connectors\[0\]\.points\[0\]: Value error, a point names its"
        ):
            gwconfig.parse(_file(**wrong))
    with pytest.raises(ConfigError, match=r"connectors\[0\]\.points\[0\]\.index_range: String should match"):
        gwconfig.parse(_file(node="ns=2;i=7", index_range="0:3"))
    with pytest.raises(ConfigError, match="browse_namespaces names one namespace per name of browse_path"):
        gwconfig.parse(_file(browse_path="Admin/ProdProcessedCount", browse_namespaces=["urn:packml"]))


PACKML = {
    "model_id": "packml",
    "version": "0.1.0",
    "status": "published",
    "items": [
        {
            "id": "prod_processed_count_0_acc_count",
            "mappings": {
                "opcua_browse_name": "Admin/ProdProcessedCount",
                "opcua_index_range": "0",
                "opcua_field": "AccCount",
            },
        },
        {"id": "status_cur_mach_speed", "mappings": {"opcua_browse_name": "Status/CurMachSpeed"}},
        {
            "id": "status_unit_mode_current",
            "allowed_values": ["Invalid", "Production", "Maintenance", "Manual"],
            "mappings": {
                "opcua_browse_name": "Status/UnitModeCurrent",
                "opcua_browse_namespaces": "urn:packml urn:packml",
                "opcua_enum_values": "0 1 2 3",
            },
        },
    ],
}


def _packml_file(root: str | None) -> tuple[str, list[str]]:
    return gateway_file(
        PACKML,
        protocol="opcua",
        url="opc.tcp://filler:4840",
        equipment_id="filler-1",
        name="filler",
        device=None,
        root=root,
    )


def test_a_type_model_is_bound_by_browse_path_below_the_root_given() -> None:
    text, unbound = _packml_file(root="nsu=urn:acme:filler;s=Filler1")
    assert unbound == []
    connector = tomllib.loads(text)["connectors"][0]
    assert connector["root"] == "nsu=urn:acme:filler;s=Filler1"
    assert connector["points"] == [
        {"browse_path": "Admin/ProdProcessedCount", "item": "prod_processed_count_0_acc_count",
         "index_range": "0", "field": "AccCount"},
        {"browse_path": "Status/CurMachSpeed", "item": "status_cur_mach_speed"},
        # The namespace of each name, and the enumeration's integers as the names the item holds.
        {"browse_path": "Status/UnitModeCurrent", "item": "status_unit_mode_current",
         "browse_namespaces": ["urn:packml", "urn:packml"],
         "values": {"0": "Invalid", "1": "Production", "2": "Maintenance", "3": "Manual"}},
    ]  # fmt: skip


def test_without_a_root_browse_paths_are_not_guessed() -> None:
    text, unbound = _packml_file(root=None)
    assert unbound == [
        "prod_processed_count_0_acc_count",
        "status_cur_mach_speed",
        "status_unit_mode_current",
    ]
    assert (
        "# not bound: status_cur_mach_speed (its mappings name a browse path below the machine: give --root)"
        in text
    )
