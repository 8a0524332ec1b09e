"""The gateway file ``smartmfg-edge config --from-model`` writes: every item bound by the source id its
mapping names, the others listed, and a file the gateway's own loader accepts."""

from __future__ import annotations

import tomllib
from typing import Any

from ingest.edge import gwconfig
from ingest.edge.modelconfig import gateway_file


def _version(*items: dict[str, Any]) -> dict[str, Any]:
    return {"model_id": "press", "version": "1.2.0", "status": "published", "items": list(items)}


def _item(item_id: str, **mappings: Any) -> dict[str, Any]:
    return {"id": item_id, "mappings": mappings or None}


def test_mtconnect_points_by_data_item_id_with_vector_coordinates() -> None:
    document = _version(
        _item("ram_force", mtconnect_data_item_id="rf", mtconnect_device="Press-7"),
        _item("tool_x", mtconnect_data_item_id="tp", mtconnect_vector_index=0, mtconnect_device="Press-7"),
        _item("tool_y", mtconnect_data_item_id="tp", mtconnect_vector_index=1, mtconnect_device="Press-7"),
        _item("hand_entered"),
    )
    text, unbound = gateway_file(
        document,
        protocol="mtconnect",
        url="http://agent:5000",
        equipment_id="press-7",
        name="press",
        device=None,
    )
    assert unbound == ["hand_entered"]
    assert "# not bound: hand_entered (its mappings name no mtconnect source)" in text
    connector = tomllib.loads(text)["connectors"][0]
    assert connector == {
        "name": "press", "type": "mtconnect", "url": "http://agent:5000", "device": "Press-7",
        "equipment_id": "press-7", "model": "press", "model_version": "1.2.0", "auto_map": False,
        "points": [
            {"data_item_id": "rf", "item": "ram_force"},
            {"data_item_id": "tp", "item": "tool_x", "index": 0},
            {"data_item_id": "tp", "item": "tool_y", "index": 1},
        ],
    }  # fmt: skip
    assert gwconfig.parse(tomllib.loads(text)).connectors[0].type == "mtconnect"


def test_opcua_points_by_node_id_flat_or_nested() -> None:
    document = _version(
        _item("ram_force", opcua_node_id="nsu=http://example.com/UA/Press/;i=6001"),
        _item("oil_temperature", opcua={"node_id": 'ns=2;s=Press."Oil"', "browse_path": "Oil/Temperature"}),
        _item("mode", opcua_browse_name="Mode"),
    )
    text, unbound = gateway_file(
        document,
        protocol="opcua",
        url="opc.tcp://press:4840",
        equipment_id="press-7",
        name="press",
        device=None,
    )
    assert unbound == ["mode"]
    assert tomllib.loads(text)["connectors"][0]["points"] == [
        {"node": "nsu=http://example.com/UA/Press/;i=6001", "item": "ram_force"},
        {"node": 'ns=2;s=Press."Oil"', "item": "oil_temperature"},
    ]
