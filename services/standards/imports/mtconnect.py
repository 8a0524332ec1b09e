"""MTConnect Devices documents (``MTConnectDevices``, versions 1.x-2.x) into a draft model.

Walks the first Device and its Components (any depth); every DataItem becomes an item named by its ``name``
(else its ``id``): SAMPLE -> float with its units, EVENT -> string (a count -> int), CONDITION -> string
holding an alarm role. ``Constraints`` give min/max (Minimum/Maximum) or allowed values (Value).
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg
from services.standards.imports import xml
from services.standards.imports.draft import Draft, snake_id
from services.standards.imports.glossary import KO_BY_MTCONNECT_TYPE
from services.standards.imports.units import platform_unit

COUNTS = {"PART_COUNT", "CYCLE_COUNT"}
PART_COUNT_ROLES = {None: "part_count", "ALL": "part_count", "GOOD": "good_count", "BAD": "reject_count"}
PART_COUNT_KO = {"GOOD": "양품 수량", "BAD": "불량 수량"}


def _label(element: Element) -> str:
    name = element.get("name") or element.get("id") or ""
    return f"{xml.local(element)}[{name}]" if name else xml.local(element)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _role(category: str, kind: str, sub_type: str | None) -> str | None:
    if category == "CONDITION" or kind == "EMERGENCY_STOP":
        return "alarm"
    if kind == "EXECUTION":
        return "execution_state"
    if kind == "PART_COUNT":
        return PART_COUNT_ROLES.get(sub_type)
    if kind == "ELECTRICAL_ENERGY":
        return "energy"
    return None


def _data_item(draft: Draft, element: Element, path: list[str], device: str) -> None:
    source = "/".join([*path, _label(element)])
    category = (element.get("category") or "").upper()
    kind = (element.get("type") or "").upper()
    sub_type = (element.get("subType") or "").upper() or None
    if category not in ("SAMPLE", "EVENT", "CONDITION") or not kind:
        draft.drop(source, "a DataItem needs a category (SAMPLE, EVENT, CONDITION) and a type")
        return
    representation = (element.get("representation") or "VALUE").upper()
    if representation not in ("VALUE", "DISCRETE"):
        draft.drop(source, f"representation {representation} carries several values, not one reading")
        return
    notes: list[str] = []
    units, native = element.get("units"), element.get("nativeUnits")
    unit = platform_unit(units) or (platform_unit(native) if not units else None)
    constraints = xml.child(element, "Constraints")
    lo = hi = None
    allowed: list[str] | None = None
    if constraints is not None:
        lo = _number(xml.text_of(xml.child(constraints, "Minimum")))
        hi = _number(xml.text_of(xml.child(constraints, "Maximum")))
        allowed = [v for v in (xml.text_of(e) for e in xml.children(constraints, "Value")) if v] or None
    if category == "SAMPLE":
        if unit is None:
            draft.drop(
                source, f"a SAMPLE needs units the platform knows (units={units!r}, nativeUnits={native!r})"
            )
            return
        data_type = "float"
        if allowed:
            notes.append("Constraints/Value of a SAMPLE ignored")
            allowed = None
    elif kind in COUNTS:
        data_type, unit = "int", "count"
    else:
        data_type, unit, lo, hi = "string", None, None, None
    if native and native != units:
        notes.append(
            f"nativeUnits {native} (the controller's own) not kept; readings come in {units or native}"
        )
    if element.get("statistic"):
        notes.append(f"statistic {element.get('statistic')}: the item holds the statistic, not the raw value")
    name = element.get("name") or element.get("id") or kind.lower()
    english = kind.replace("_", " ").capitalize()
    korean = PART_COUNT_KO.get(sub_type or "") if kind == "PART_COUNT" else None
    korean = korean or KO_BY_MTCONNECT_TYPE.get(kind)
    if korean is None:
        notes.append("no Korean name for this type: the English name stands in")
    candidate: dict[str, Any] = {
        "id": snake_id(name),
        "name": {"ko": f"{korean or english} ({name})", "en": f"{english} ({name})"},
        "category": category,
        "data_type": data_type,
        "unit": unit,
        "min": lo,
        "max": hi,
        "allowed_values": allowed,
        "role": _role(category, kind, sub_type),
        "mappings": {"mtconnect_type": kind, "mtconnect_sub_type": sub_type},
        "source": f"MTConnect {category} {kind}{'/' + sub_type if sub_type else ''} of device {device}"[:200],
    }
    draft.add(source, candidate, notes)


def _walk(draft: Draft, element: Element, path: list[str], device: str) -> None:
    for child in element:
        name = xml.local(child)
        if name == "DataItems":
            for data_item in xml.children(child, "DataItem"):
                _data_item(draft, data_item, path, device)
        elif name == "Components":
            for component in child:
                _walk(draft, component, [*path, _label(component)], device)


def parse(data: bytes) -> Draft:
    root = xml.parse(data, "MTConnectDevices")
    container = xml.child(root, "Devices")
    devices = list(xml.children(container, "Device")) if container is not None else []
    if not devices:
        raise ValidationFailed(
            Msg("the document describes no Device"),
            fields=[field_error("body", Msg("MTConnectDevices/Devices/Device missing"))],
        )
    device = devices[0]
    name = device.get("name") or device.get("id") or "device"
    draft = Draft(title=name, title_en=name, equipment_type=snake_id(name).upper())
    description = xml.child(device, "Description")
    if description is not None:
        maker = " ".join(v for v in (description.get("manufacturer"), description.get("model")) if v)
        draft.description = " — ".join(v for v in (maker, xml.text_of(description)) if v) or None
    for other in devices[1:]:
        draft.notes.append(
            f"device {other.get('name') or other.get('id')} not imported: one model per device"
        )
    _walk(draft, device, [_label(device)], name)
    return draft
