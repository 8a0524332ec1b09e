"""How the MTConnect connector binds a model's items to an agent's DataItems: by the DataItem id an imported
model keeps, never by guessing among DataItems of one type (the reference agent's three axes' positions
once all went to one item), and a 3D value split into its coordinates."""

from __future__ import annotations

from typing import Any

from ingest.edge.connectors.mtconnect import Route, auto_bindings, data_items
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Channel, Checkpoint
from ingest.edge.standards import model_of
from services.standards.imports import mtconnect
from tests.interop import SAMPLES

DOCUMENT = (SAMPLES / "mtconnect" / "128.32.164.245.xml").read_bytes()


def _channel(items: list[dict[str, Any]]) -> Channel:
    model = model_of({"model_id": "m", "version": "1.0.0", "items": items})
    return Channel("mtc", "eq-1", model, Checkpoint(), lambda *a: True, lambda c: None, Metrics(), 100, 1.0)


def _item(item_id: str, category: str, **mappings: Any) -> dict[str, Any]:
    data_type, unit = ("float", "mm") if category == "SAMPLE" else ("string", None)
    return {
        "id": item_id, "category": category, "data_type": data_type, "unit": unit, "mappings": mappings,
    }  # fmt: skip


def _routes(routes: dict[str, list[Route]]) -> dict[str, list[tuple[str, int | None]]]:
    return {k: [(r.binding.item.item_id, r.index) for r in v] for k, v in routes.items()}


def test_an_imported_model_binds_every_item_to_its_own_data_item() -> None:
    draft = mtconnect.parse(DOCUMENT, device="MoriSeiki")
    channel = _channel([i.model_dump(mode="json") for i in draft.items])
    routes = _routes(auto_bindings(channel, data_items(DOCUMENT)))
    assert len(routes) == 35
    assert {k: routes[k] for k in ("25", "26", "29", "30", "31", "32", "21", "35")} == {
        "25": [("x_position_actual", None)], "26": [("x_load", None)],
        "29": [("y_position_actual", None)], "30": [("y_load", None)],
        "31": [("z_position_actual", None)], "32": [("z_load", None)],
        "21": [("s_spindle_speed_actual", None)], "35": [("controller_execution", None)],
    }  # fmt: skip


def test_a_type_shared_by_several_data_items_binds_nothing() -> None:
    channel = _channel(
        [
            _item("x_actual", "SAMPLE", mtconnect_type="POSITION", mtconnect_sub_type="ACTUAL"),
            _item("travel", "CONDITION", mtconnect_type="POSITION"),
            _item("feed", "SAMPLE", mtconnect_type="PATH_FEEDRATE"),
            _item("feed_again", "SAMPLE", mtconnect_type="PATH_FEEDRATE", mtconnect_sub_type="ACTUAL"),
            _item("spindle", "SAMPLE", mtconnect_type="SPINDLE_SPEED"),
        ]
    )
    # Four POSITION/ACTUAL samples (CMP's Z and MoriSeiki's X, Y, Z) and no POSITION condition: neither
    # position item is bound; two items claiming the one PATH_FEEDRATE are both left out; the one
    # SPINDLE_SPEED is unambiguous.
    assert _routes(auto_bindings(channel, data_items(DOCUMENT))) == {"21": [("spindle", None)]}


def test_a_3d_value_feeds_one_item_per_coordinate() -> None:
    channel = _channel(
        [
            _item(f"tool_{axis}", "SAMPLE", mtconnect_data_item_id="pp", mtconnect_vector_index=n)
            for n, axis in enumerate("xyz")
        ]
    )
    routes = auto_bindings(channel, [{"id": "pp", "category": "SAMPLE", "type": "PATH_POSITION"}])
    assert [(r.binding.item.item_id, r.value("10.5 -2 300")) for r in routes["pp"]] == [
        ("tool_x", "10.5"),
        ("tool_y", "-2"),
        ("tool_z", "300"),
    ]
    assert routes["pp"][0].value("10.5 -2") is None  # not a 3D value: nothing rather than a wrong number
