"""OPC UA NodeSet2 documents (companion-specification style) into a draft model.

Every data variable (UAVariable that is not a property) becomes an item: its browse path below the top
object or object type is kept as ``mappings.opcua_browse_name`` and its NodeId, with the namespace URI instead
of the document-local index, as ``mappings.opcua_node_id``. The variable's EngineeringUnits (EUInformation:
display name, else the UNECE code in UnitId) give the unit, its EURange the range; an enumeration data type
defined in the document gives the allowed values. Properties are static descriptions, not readings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg
from services.standards.imports import xml
from services.standards.imports.draft import Draft, snake_id
from services.standards.imports.units import UNECE_BY_ID, platform_unit

# Built-in data types (OPC 10000-6 NodeIds in namespace 0) and what an item makes of them.
BUILTIN = {
    "i=1": "bool",
    "i=2": "int",
    "i=3": "int",
    "i=4": "int",
    "i=5": "int",
    "i=6": "int",
    "i=7": "int",
    "i=8": "int",
    "i=9": "int",
    "i=10": "float",
    "i=11": "float",
    "i=12": "string",
    "i=21": "string",
    "i=26": "float",
    "i=27": "int",
    "i=28": "int",
    "i=29": "string",
}
BUILTIN_NAMES = {
    "Boolean": "i=1", "SByte": "i=2", "Byte": "i=3", "Int16": "i=4", "UInt16": "i=5", "Int32": "i=6",
    "UInt32": "i=7", "Int64": "i=8", "UInt64": "i=9", "Float": "i=10", "Double": "i=11", "String": "i=12",
    "LocalizedText": "i=21", "Number": "i=26", "Integer": "i=27", "UInteger": "i=28",
}  # fmt: skip
PROPERTY_TYPE = "i=68"
METADATA = {"EngineeringUnits", "EURange", "InstrumentRange", "EnumStrings", "EnumValues", "ValuePrecision"}
PARENT_REFERENCES = {"HasComponent", "HasProperty", "Organizes", "HasOrderedComponent", "HasAddIn"}


@dataclass
class Node:
    element: Element
    node_id: str
    browse_name: str
    kind: str
    parent: str | None = None
    property_of_parent: bool = False
    children: list[str] = field(default_factory=list)

    def reference(self, name: str, forward: bool = True) -> list[str]:
        refs = xml.child(self.element, "References")
        if refs is None:
            return []
        return [
            (r.text or "").strip()
            for r in xml.children(refs, "Reference")
            if r.get("ReferenceType") == name and (r.get("IsForward", "true").lower() != "false") == forward
        ]


def _browse(name: str) -> str:
    """``1:RamForce`` -> ``RamForce`` (the namespace index is local to the document)."""
    prefix, _, rest = name.partition(":")
    return rest if rest and prefix.isdigit() else name


def _index(root: Element) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for element in root:
        kind = xml.local(element)
        if kind.startswith("UA") and element.get("NodeId"):
            node_id = element.get("NodeId", "")
            nodes[node_id] = Node(element, node_id, _browse(element.get("BrowseName", "")), kind)
    for node in nodes.values():
        parent = node.element.get("ParentNodeId")
        inverse = [(ref, t) for ref in PARENT_REFERENCES for t in node.reference(ref, forward=False)]
        if parent is None and inverse:
            parent = inverse[0][1]
        if parent is not None and parent in nodes:
            node.parent = parent
            node.property_of_parent = any(ref == "HasProperty" and t == parent for ref, t in inverse)
            nodes[parent].children.append(node.node_id)
    for node in nodes.values():  # forward references name children too (a parent listing its components)
        for ref in PARENT_REFERENCES:
            for target in node.reference(ref):
                child = nodes.get(target)
                if child is not None and child.parent is None:
                    child.parent = node.node_id
                    child.property_of_parent = ref == "HasProperty"
                    node.children.append(target)
    return nodes


def _path(nodes: dict[str, Node], node: Node) -> list[str]:
    names, seen, current = [node.browse_name], {node.node_id}, node
    while current.parent is not None and current.parent not in seen:
        current = nodes[current.parent]
        seen.add(current.node_id)
        names.append(current.browse_name)
    return names[::-1]


def _absolute_id(node_id: str, uris: list[str]) -> str:
    """``ns=1;i=6001`` -> ``nsu=http://...;i=6001``: stable whatever index the server gives the namespace."""
    head, sep, rest = node_id.partition(";")
    if sep and head.startswith("ns=") and head[3:].isdigit() and 0 < int(head[3:]) <= len(uris):
        return f"nsu={uris[int(head[3:]) - 1]};{rest}"
    return node_id


def _metadata(nodes: dict[str, Node], node: Node, name: str) -> Element | None:
    for child_id in node.children:
        child = nodes[child_id]
        if child.browse_name == name:
            value = xml.child(child.element, "Value")
            return value
    return None


def _deep(element: Element | None, *names: str) -> Element | None:
    """The first descendant named like the last of ``names`` reached through the others, any namespace."""
    current = element
    for name in names:
        if current is None:
            return None
        current = next((e for e in current.iter() if xml.local(e) == name and e is not current), None)
    return current


def _unit(value: Element | None, notes: list[str]) -> tuple[str | None, str | None]:
    """The platform unit of an EngineeringUnits value, and the source's own spelling."""
    info = _deep(value, "EUInformation")
    if info is None:
        return None, None
    display = xml.text_of(_deep(info, "DisplayName", "Text")) or xml.text_of(_deep(info, "DisplayName"))
    unit = platform_unit(display)
    unit_id = xml.text_of(_deep(info, "UnitId"))
    if unit is None and unit_id and unit_id.lstrip("-").isdigit():
        unit = UNECE_BY_ID.get(int(unit_id))
        if unit:
            notes.append(f"unit from UNECE UnitId {unit_id}")
    return unit, display or unit_id


def _range(value: Element | None) -> tuple[float | None, float | None]:
    bounds = _deep(value, "Range")
    if bounds is None:
        return None, None
    try:
        low, high = xml.text_of(_deep(bounds, "Low")), xml.text_of(_deep(bounds, "High"))
        return (float(low) if low else None), (float(high) if high else None)
    except ValueError:
        return None, None


def _enumeration(nodes: dict[str, Node], data_type: str) -> list[str] | None:
    node = nodes.get(data_type)
    if node is None or node.kind != "UADataType":
        return None
    definition = xml.child(node.element, "Definition")
    if definition is None:
        return None
    names = [f.get("Name", "") for f in xml.children(definition, "Field") if f.get("Name")]
    return names or None


def _display(element: Element, locale: str) -> str | None:
    for display in xml.children(element, "DisplayName"):
        if (display.get("Locale") or "").lower().startswith(locale):
            return xml.text_of(display)
    return None


def _variable(
    draft: Draft, nodes: dict[str, Node], node: Node, aliases: dict[str, str], uris: list[str]
) -> None:
    path = _path(nodes, node)
    source = "/".join(path)
    if node.browse_name in METADATA:
        return  # read as part of its variable
    type_definition = node.reference("HasTypeDefinition")
    if node.property_of_parent or PROPERTY_TYPE in type_definition:
        draft.drop(source, "a property (static description of its parent), not a measured value")
        return
    if node.parent is not None and nodes[node.parent].kind == "UAVariable":
        draft.drop(source, "a part of another variable's value, not a reading of its own")
        return
    raw_type = node.element.get("DataType", "i=24")
    data_type_id = aliases.get(raw_type, BUILTIN_NAMES.get(raw_type, raw_type))
    allowed = _enumeration(nodes, data_type_id)
    data_type = "string" if allowed else BUILTIN.get(data_type_id)
    if data_type is None:
        draft.drop(source, f"data type {raw_type} (structure, date or binary) is not a single reading")
        return
    if (node.element.get("ValueRank") or "-1") not in ("-1", "-2"):
        draft.drop(source, "an array value, not a single reading")
        return
    notes: list[str] = []
    unit, spelled = _unit(_metadata(nodes, node, "EngineeringUnits"), notes)
    lo, hi = _range(_metadata(nodes, node, "EURange"))
    numeric = data_type in ("float", "int")
    if numeric and spelled and unit is None:
        draft.drop(source, f"engineering unit {spelled!r} has no platform equivalent")
        return
    category = "SAMPLE" if numeric and unit else "EVENT"
    if numeric and not unit:
        notes.append("no EngineeringUnits: imported as an EVENT without unit")
    if not numeric:
        lo = hi = None
    english = (
        _display(node.element, "en")
        or xml.text_of(xml.child(node.element, "DisplayName"))
        or node.browse_name
    )
    korean = _display(node.element, "ko")
    if korean is None:
        notes.append("no Korean display name: the English name stands in")
    relative = path[1:] if len(path) > 1 else path
    candidate: dict[str, Any] = {
        "id": snake_id(node.browse_name),
        "name": {"ko": korean or english, "en": english},
        "category": category,
        "data_type": data_type,
        "unit": unit,
        "min": lo,
        "max": hi,
        "allowed_values": allowed,
        "mappings": {
            "opcua_browse_name": "/".join(relative)[:200],
            "opcua_node_id": _absolute_id(node.node_id, uris)[:200],
        },
        "source": f"OPC UA NodeSet {uris[0] if uris else ''} {path[0]}"[:200],
    }
    draft.add(source, candidate, notes)


def parse(data: bytes) -> Draft:
    root = xml.parse(data, "UANodeSet")
    namespaces = xml.child(root, "NamespaceUris")
    uris = (
        [u for u in (xml.text_of(e) for e in xml.children(namespaces, "Uri")) if u]
        if namespaces is not None
        else []
    )
    alias_block = xml.child(root, "Aliases")
    aliases = (
        {a.get("Alias", ""): (a.text or "").strip() for a in xml.children(alias_block, "Alias")}
        if alias_block is not None
        else {}
    )
    nodes = _index(root)
    tops = [n for n in nodes.values() if n.kind in ("UAObjectType", "UAObject") and n.parent is None]
    if not any(n.kind == "UAVariable" for n in nodes.values()):
        raise ValidationFailed(
            Msg("the NodeSet holds no UAVariable"), fields=[field_error("body", Msg("no UAVariable nodes"))]
        )
    title = tops[0].browse_name if tops else (uris[0] if uris else "nodeset")
    draft = Draft(title=title, title_en=title, equipment_type=snake_id(title.removesuffix("Type")).upper())
    for node in nodes.values():
        if node.kind == "UAVariable":
            _variable(draft, nodes, node, aliases, uris)
    return draft
