"""MTConnect Devices documents (``MTConnectDevices``, versions 0.9-2.x) into a draft model.

One Device is imported (``device=`` its name, id or uuid; default: the first); the DataItems of the others
are reported as not chosen, so the report accounts for every DataItem of the document. Every DataItem
keeps its identity in the item's mappings: ``mtconnect_data_item_id`` (what the gateway binds by),
name, device, component path (``Axes/Linear[X]``), type, subType, units, nativeUnits, statistic,
coordinateSystem, compositionId. The device's uuid and its Description's manufacturer, model,
serialNumber and station become model attributes (facts about the machine, not readings).

Item ids are readable and unique: component name + type + subType (``x_position_actual``); a component
word the type already starts with is not repeated (``controller_mode``); DataItems that would share an id
are told apart by their name (else id). SAMPLE -> float in its units (the type's standard units when the
document omits them), EVENT -> string (a count -> int), CONDITION -> string holding an alarm role.
``Constraints`` give min/max or allowed values. A 3D SAMPLE (units ``..._3D``: PATH_POSITION,
ORIENTATION) becomes one item per coordinate x/y/z (``mtconnect_vector_index``); TIME_SERIES, DATA_SET
and TABLE observations carry many values each and are dropped with that reason.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.etree.ElementTree import Element

from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Alternatives, Msg
from services.standards.imports import xml
from services.standards.imports.draft import MAX_ITEMS, Draft, Reason, snake_id
from services.standards.imports.glossary import KO_BY_MTCONNECT_TYPE
from services.standards.imports.units import platform_unit

COUNTS = {"PART_COUNT", "CYCLE_COUNT"}
PART_COUNT_ROLES = {None: "part_count", "ALL": "part_count", "GOOD": "good_count", "BAD": "reject_count"}
PART_COUNT_KO = {"GOOD": "양품 수량", "BAD": "불량 수량"}
# The units MTConnect (Part 2, DataItem types) fixes for a SAMPLE type: an agent reports in these when a
# document leaves ``units`` out.
STANDARD_UNITS = {
    "ACCELERATION": "MILLIMETER/SECOND^2",
    "ACCUMULATED_TIME": "SECOND",
    "AMPERAGE": "AMPERE",
    "AMPERAGE_AC": "AMPERE",
    "AMPERAGE_DC": "AMPERE",
    "AXIS_FEEDRATE": "MILLIMETER/SECOND",
    "DISPLACEMENT": "MILLIMETER",
    "ELECTRICAL_ENERGY": "WATT_SECOND",
    "FILL_LEVEL": "PERCENT",
    "FREQUENCY": "HERTZ",
    "HUMIDITY": "PERCENT",
    "LENGTH": "MILLIMETER",
    "LINEAR_FORCE": "NEWTON",
    "LOAD": "PERCENT",
    "MASS": "KILOGRAM",
    "PATH_FEEDRATE": "MILLIMETER/SECOND",
    "PATH_POSITION": "MILLIMETER_3D",
    "POSITION": "MILLIMETER",
    "PRESSURE": "PASCAL",
    "PROCESS_TIMER": "SECOND",
    "ROTARY_VELOCITY": "REVOLUTION/MINUTE",
    "SOUND_LEVEL": "DECIBEL",
    "SPINDLE_SPEED": "REVOLUTION/MINUTE",
    "TEMPERATURE": "CELSIUS",
    "TORQUE": "NEWTON_METER",
    "VELOCITY": "MILLIMETER/SECOND",
    "VOLTAGE": "VOLT",
    "VOLTAGE_AC": "VOLT",
    "VOLTAGE_DC": "VOLT",
    "WATTAGE": "WATT",
}
# The Device's identity and its Description's attributes: facts about the machine, kept as model attributes.
DESCRIPTION_FACTS = ("manufacturer", "model", "serialNumber", "station")
MAX_LISTED_DEVICES = 200
VECTOR = "_3D"
AXES = ("x", "y", "z")
MANY_VALUES = {
    "TIME_SERIES": Msg(
        "representation TIME_SERIES: each observation is a series of values sampled at a rate, not one "
        "reading"
    ),
    "DATA_SET": Msg("representation DATA_SET: each observation is a set of key-value pairs, not one reading"),
    "TABLE": Msg("representation TABLE: each observation is a table of rows and cells, not one reading"),
}


def _label(element: Element) -> str:
    """``Linear[X]``; the bare tag when the name only repeats it (``Axes name="Axes"``)."""
    tag = xml.local(element)
    name = element.get("name") or element.get("id") or ""
    return f"{tag}[{name}]" if name and name.lower() != tag.lower() else tag


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


class _Device:
    """One device's DataItems with the component each sits in, in document order, and their item ids.

    Linear in the DataItems: a component's id word is made once, the type words once per type, and
    an id is finished (told apart from others sharing it) only for the DataItems that become items.
    """

    def __init__(self, device: Element) -> None:
        self.device = device
        self.name = device.get("name") or device.get("id") or "device"
        # (DataItem, component path below the device, base id)
        self.entries: list[tuple[Element, str, str]] = []
        self._words: dict[tuple[str, str], str] = {}
        self._collect(device, None, "")
        self.shared = Counter(base for _, _, base in self.entries)

    def _base(self, word: str | None, element: Element) -> str:
        """``x_position_actual``: the nearest component's name, then type and subType; a component word
        the type already starts with is not repeated."""
        key = (element.get("type") or "", element.get("subType") or "")
        what = self._words.get(key)
        if what is None:
            what = self._words[key] = snake_id(*key)
        if word is None or what == word or what.startswith(f"{word}_"):
            return what
        return f"{word}_{what}"[:64].rstrip("_")

    def _collect(self, element: Element, word: str | None, path: str) -> None:
        # Recursion is bounded: xml.parse refuses documents nesting deeper than xml.MAX_DEPTH.
        for child in element:
            name = xml.local(child)
            if name == "DataItems":
                for data_item in xml.children(child, "DataItem"):
                    self.entries.append((data_item, path, self._base(word, data_item)))
            elif name == "Components":
                for sub in child:
                    label = _label(sub)
                    sub_word = snake_id(sub.get("name") or xml.local(sub))
                    self._collect(sub, sub_word, f"{path}/{label}" if path else label)

    def item_id(self, n: int) -> str:
        """The id of entry ``n``: its base, told apart by the DataItem's name (else id) when another
        DataItem of the device has the same base."""
        element, _, base = self.entries[n]
        if self.shared[base] == 1:
            return base
        return snake_id(base, (element.get("name") or element.get("id") or "").strip())


def _source(device: str, path: str, element: Element) -> str:
    ident = element.get("id") or element.get("name") or ""
    return "/".join(p for p in (f"Device[{device}]", path, f"DataItem[{ident}]") if p)


def _data_item(draft: Draft, device: _Device, n: int) -> None:
    element, path, _ = device.entries[n]
    source = _source(device.name, path, element)
    category = (element.get("category") or "").upper()
    kind = (element.get("type") or "").upper()
    sub_type = (element.get("subType") or "").upper() or None
    if category not in ("SAMPLE", "EVENT", "CONDITION") or not kind:
        draft.drop(source, Msg("a DataItem needs a category (SAMPLE, EVENT, CONDITION) and a type"))
        return
    representation = (element.get("representation") or "VALUE").upper()
    if representation in MANY_VALUES:
        draft.drop(source, MANY_VALUES[representation])
        return
    if representation not in ("VALUE", "DISCRETE"):
        draft.drop(
            source,
            Msg("representation {representation} is not a single reading", representation=representation),
        )
        return
    notes: list[Reason] = []
    units, native = element.get("units"), element.get("nativeUnits")
    reported = units or native  # an agent converts to units; without them it reports native values
    if category == "SAMPLE" and not reported and kind in STANDARD_UNITS:
        reported = STANDARD_UNITS[kind]
        notes.append(
            Msg(
                "no units in the document: {type} is reported in {units} (MTConnect)",
                type=kind,
                units=reported,
            )
        )
    vector = bool(reported and reported.upper().endswith(VECTOR))
    unit = platform_unit(reported[: -len(VECTOR)] if vector and reported else reported)
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
                source,
                Msg(
                    "a SAMPLE needs units the platform knows (units={units}, nativeUnits={native})",
                    units=repr(units),
                    native=repr(native),
                ),
            )
            return
        data_type = "float"
        if allowed:
            notes.append(Msg("Constraints/Value of a SAMPLE ignored"))
            allowed = None
    elif kind in COUNTS:
        data_type, unit = "int", "count"
    else:
        data_type, unit, lo, hi = "string", None, None, None
    if native and units and native != units:
        notes.append(
            Msg(
                "nativeUnits {native} are the controller's own; the agent reports in {units}",
                native=native,
                units=units,
            )
        )
    statistic = element.get("statistic")
    if statistic:
        notes.append(
            Msg("statistic {statistic}: the item holds the statistic, not the raw value", statistic=statistic)
        )
    name = element.get("name")
    english = kind.replace("_", " ").capitalize() + (f", {sub_type.lower()}" if sub_type else "")
    korean = PART_COUNT_KO.get(sub_type or "") if kind == "PART_COUNT" else None
    korean = korean or KO_BY_MTCONNECT_TYPE.get(kind)
    if korean is None:
        notes.append(Msg("no Korean name for this type: the English name stands in"))
    where = " ".join(v for v in (path.rsplit("/", 1)[-1] if path else None, name) if v) or device.name
    mappings: dict[str, Any] = {
        "mtconnect_type": kind,
        "mtconnect_sub_type": sub_type,
        "mtconnect_data_item_id": element.get("id"),
        "mtconnect_name": name,
        "mtconnect_device": device.name,
        "mtconnect_component": path or None,
        "mtconnect_units": units,
        "mtconnect_native_units": native,
        "mtconnect_statistic": statistic,
        "mtconnect_coordinate_system": element.get("coordinateSystem"),
        "mtconnect_composition_id": element.get("compositionId"),
    }
    kind_path = f"{kind}/{sub_type}" if sub_type else kind
    candidate: dict[str, Any] = {
        "id": device.item_id(n),
        "name": {"ko": f"{korean or english} ({where})", "en": f"{english} ({where})"},
        "category": category,
        "data_type": data_type,
        "unit": unit,
        "min": lo,
        "max": hi,
        "allowed_values": allowed,
        "role": _role(category, kind, sub_type),
        "mappings": {k: v for k, v in mappings.items() if v is not None},
        "source": f"MTConnect {category} {kind_path} of device {device.name}"[:200],
    }
    if not vector:
        draft.add(source, candidate, notes)
        return
    if draft.room() < len(AXES):
        draft.drop(source, Msg("a version holds at most {limit} items", limit=MAX_ITEMS))
        return
    for index, axis in enumerate(AXES):
        draft.add(
            source,
            {
                **candidate,
                "id": snake_id(candidate["id"][: 64 - len(axis) - 1], axis),
                "name": {k: f"{v} {axis.upper()}" for k, v in candidate["name"].items()},
                "mappings": {**candidate["mappings"], "mtconnect_vector_index": index},
                "role": None,
            },
            [*notes, Msg("coordinate {axis} of a 3D value ({units})", axis=axis.upper(), units=reported)],
        )


def _pick(devices: list[Element], wanted: str | None) -> Element:
    if wanted is None:  # an MTConnect 2 agent describes itself first, as an Agent: the machine is a Device
        return next((d for d in devices if xml.local(d) == "Device"), devices[0])
    for device in devices:
        if wanted in (device.get("name"), device.get("id"), device.get("uuid")):
            return device
    names = [d.get("name") or d.get("id") or "?" for d in devices]
    raise ValidationFailed(
        Msg(
            "the document has no device '{device}'; it has {devices}",
            device=wanted,
            devices=Alternatives(names),
        ),
        fields=[field_error("query.device", Msg("no such device in the document"))],
    )


def parse(data: bytes, device: str | None = None) -> Draft:
    root = xml.parse(data, "MTConnectDevices")
    container = xml.child(root, "Devices")
    devices = [d for d in container if xml.local(d) in ("Device", "Agent")] if container is not None else []
    if not devices:
        raise ValidationFailed(
            Msg("the document describes no Device"),
            fields=[field_error("body", Msg("MTConnectDevices/Devices/Device missing"))],
        )
    chosen = _Device(_pick(devices, device))
    draft = Draft(title=chosen.name, title_en=chosen.name, equipment_type=snake_id(chosen.name).upper())
    names = [d.get("name") or d.get("id") or "?" for d in devices]
    draft.available = names[:MAX_LISTED_DEVICES]  # a document of many devices must not make a huge report
    if len(names) > MAX_LISTED_DEVICES:
        more = len(names) - MAX_LISTED_DEVICES
        draft.notes.append(Msg("{count} more devices in the document, not listed", count=more))
    draft.chosen = chosen.name
    device_source = f"Device[{chosen.name}]"
    if chosen.device.get("uuid"):
        draft.attribute(f"{device_source}@uuid", "uuid", chosen.device.get("uuid"))
    description = xml.child(chosen.device, "Description")
    if description is not None:
        maker = " ".join(v for v in (description.get("manufacturer"), description.get("model")) if v)
        draft.description = " — ".join(v for v in (maker, xml.text_of(description)) if v) or None
        for fact in DESCRIPTION_FACTS:
            if (description.get(fact) or "").strip():
                draft.attribute(f"{device_source}/Description@{fact}", fact, description.get(fact))
    # Accounted for: every DataItem of the document, and the chosen device's facts kept as attributes.
    draft.elements = sum(1 for _ in xml.descendants(root, "DataItem")) + len(draft.attributes)
    for n in range(len(chosen.entries)):
        if draft.room() == 0:  # a huge device: the rest is counted, and listed up to the report's limit
            rest = chosen.entries[n:]
            sources = (_source(chosen.name, path, e) for e, path, _ in rest)
            draft.drop_all(sources, len(rest), Msg("a version holds at most {limit} items", limit=MAX_ITEMS))
            break
        _data_item(draft, chosen, n)
    for other in devices:
        if other is chosen.device:
            continue
        skipped = _Device(other)
        reason = Msg("device {device} was not chosen (import it with device={device})", device=skipped.name)
        sources = (_source(skipped.name, path, element) for element, path, _ in skipped.entries)
        draft.drop_all(sources, len(skipped.entries), reason)
    return draft
