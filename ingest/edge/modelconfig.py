"""``smartmfg-edge config --from-model``: a gateway file written from a published equipment model.

Every item whose mappings name its source point is bound by that name, never by a type: an MTConnect
item by its DataItem id (``mtconnect_data_item_id``, and ``mtconnect_vector_index`` for one coordinate
of a 3D value), an OPC UA item by its node id (``opcua_node_id``, or ``opcua.node_id``) or, for a model
imported from a type NodeSet (no node ids), by its browse path below the machine the user names
(``--root``: a node id or a browse path on the server) with the namespace URI of each browse name
(``opcua_browse_namespaces``); ``opcua_index_range`` and ``opcua_field`` ride along, and an enumeration's
integers (``opcua_enum_values``) become the point's ``values``, so its names reach the lake. Items
without a source are listed in the file as comments, and said on stderr, so nothing is silently left
unread. The written file is parsed with the gateway's own loader before it is written: it always loads.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from ingest.edge import gwconfig
from ingest.edge.gateway import EXIT_OK, ConfigError, Edge, say
from ingest.edge.standards import ModelUnavailable, enum_names, fetch_version, latest_version

PROTOCOLS = ("opcua", "mtconnect")


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _toml(value: str | int | list[str] | dict[str, str]) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_string, value)) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_string(k)} = {_string(v)}" for k, v in value.items()) + " }"
    return str(value)


def _node_id(mappings: dict[str, Any]) -> str | None:
    nested = mappings.get("opcua")
    if isinstance(nested, dict) and nested.get("node_id"):
        return str(nested["node_id"])
    return str(mappings["opcua_node_id"]) if mappings.get("opcua_node_id") else None


def _opcua_point(item: dict[str, Any], root: str | None) -> dict[str, Any] | None:
    mappings = item.get("mappings") or {}
    node = _node_id(mappings)
    if node:
        point: dict[str, Any] = {"node": node, "item": item["id"]}
    elif root and mappings.get("opcua_browse_name"):
        point = {"browse_path": str(mappings["opcua_browse_name"]), "item": item["id"]}
        if mappings.get("opcua_browse_namespaces"):
            point["browse_namespaces"] = str(mappings["opcua_browse_namespaces"]).split()
    else:
        return None
    for key, name in (("opcua_index_range", "index_range"), ("opcua_field", "field")):
        if mappings.get(key) is not None:
            point[name] = str(mappings[key])
    names = enum_names(mappings, item.get("allowed_values") or [])
    if names:
        point["values"] = names
    return point


def _point(protocol: str, item: dict[str, Any], root: str | None) -> dict[str, Any] | None:
    mappings = item.get("mappings") or {}
    if protocol == "opcua":
        return _opcua_point(item, root)
    data_item = mappings.get("mtconnect_data_item_id")
    if not data_item:
        return None
    point: dict[str, Any] = {"data_item_id": str(data_item), "item": item["id"]}
    if mappings.get("mtconnect_vector_index") is not None:
        point["index"] = int(mappings["mtconnect_vector_index"])
    return point


def _why(protocol: str, items: list[dict[str, Any]], item_id: str, root: str | None) -> str:
    mappings = next(i.get("mappings") or {} for i in items if i["id"] == item_id)
    if protocol == "opcua" and not root and mappings.get("opcua_browse_name"):
        return "its mappings name a browse path below the machine: give --root"
    return f"its mappings name no {protocol} source"


def _device(items: list[dict[str, Any]]) -> str | None:
    devices = {(i.get("mappings") or {}).get("mtconnect_device") for i in items} - {None}
    return devices.pop() if len(devices) == 1 else None


def gateway_file(
    document: dict[str, Any],
    *,
    protocol: str,
    url: str,
    equipment_id: str,
    name: str,
    device: str | None,
    root: str | None = None,
) -> tuple[str, list[str]]:
    """The gateway file's text for a ``VersionOut`` document, and the ids of the items left unbound."""
    model, version, items = document["model_id"], document["version"], document["items"]
    points = [(item["id"], _point(protocol, item, root)) for item in items]
    unbound = [item_id for item_id, point in points if point is None]
    lines = [
        f"# smartmfg-edge config --from-model {model}@{version} --protocol {protocol}",
        "# Every item is bound by the source id its model mapping names.",
        "",
        "[[connectors]]",
        f"name = {_string(name)}",
        f"type = {_string(protocol)}",
        f"url = {_string(url)}",
    ]
    device = device or (_device(items) if protocol == "mtconnect" else None)
    if device:
        lines.append(f"device = {_string(device)}")
    if root and protocol == "opcua":
        lines.append(f"root = {_string(root)}")
    lines += [
        f"equipment_id = {_string(equipment_id)}",
        f"model = {_string(model)}",
        f"model_version = {_string(version)}",
        "auto_map = false",
    ]
    for item_id in unbound:
        lines.append(f"# not bound: {item_id} ({_why(protocol, items, item_id, root)})")
    for _, point in points:
        if point is None:
            continue
        lines += ["", "[[connectors.points]]"]
        lines += [f"{key} = {_toml(v)}" for key, v in point.items()]
    text = "\n".join(lines) + "\n"
    gwconfig.parse(tomllib.loads(text), "the generated gateway file")
    return text, unbound


def cmd_config(edge: Edge, args: argparse.Namespace) -> int:
    model_id, _, version = args.from_model.partition("@")
    try:
        resolved = version or latest_version(edge.http, edge.settings.base_url, model_id)
        document = fetch_version(edge.http, edge.settings.base_url, model_id, resolved)
    except ModelUnavailable as exc:
        raise ConfigError(str(exc)) from None
    name = args.name or re.sub(r"[^a-z0-9_-]+", "-", model_id.lower()).strip("-")[:48] or "connector"
    text, unbound = gateway_file(
        document,
        protocol=args.protocol,
        url=args.url,
        equipment_id=args.equipment_id,
        name=name,
        device=args.device,
        root=args.root,
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    bound = len(document["items"]) - len(unbound)
    how = "browse path below the machine" if args.root and args.protocol == "opcua" else "id"
    say(f"{bound} of {len(document['items'])} items of {model_id} {resolved} bound by {args.protocol} {how}")
    for item_id in unbound:
        say(f"not bound: {item_id} ({_why(args.protocol, document['items'], item_id, args.root)})")
    return EXIT_OK
