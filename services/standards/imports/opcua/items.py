"""The machine's members made into data items, attributes, or dropped with the reason.

Every variable of the tree is accounted for once: a data variable becomes one item (or one per element of
a small fixed-size array, one per field of a structure), a property describing the machine becomes an
attribute, a property of a variable is read into that variable's item (unit, range, states), and anything
else is dropped with what it is. Item ids come from the browse path: the shortest end of the path (at least
two names) that no other item shares, so ``Spindle/Override`` and ``Channel/FeedOverride`` stay readable.
An enumeration is a string item of its names whose integers (what the wire carries) ride in
``opcua_enum_values``, in the order of ``allowed_values``: the gateway names each value it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from math import prod
from typing import Any
from xml.etree.ElementTree import Element

from services.kit.messages import Msg
from services.standards.imports import xml
from services.standards.imports.draft import Draft, Reason, snake_id
from services.standards.imports.opcua.machine import Member
from services.standards.imports.opcua.semantics import (
    DESCRIBING,
    NODE_BOOKKEEPING,
    VARIABLE_METADATA,
    role_of,
)
from services.standards.imports.opcua.space import (
    BASE_ANALOG,
    MULTI_STATE,
    MULTI_STATE_VALUE,
    STATE_TYPE,
    STATE_VARIABLE,
    TWO_STATE,
    AddressSpace,
    DataKind,
)
from services.standards.imports.units import UNECE_BY_ID, platform_unit
from services.standards.roles import role_problem

MAX_ELEMENTS = 16
DURATION = "i=290"  # OPC UA Duration: milliseconds by definition


@dataclass
class _Candidate:
    member: Member
    parts: tuple[str, ...]  # browse path with element and field parts, the item id's source
    fields: dict[str, Any]
    notes: list[Reason] = field(default_factory=list)
    role: tuple[int, str] | None = None


class Mapper:
    def __init__(
        self, space: AddressSpace, draft: Draft, instance: bool, source: str, units: dict[str, str]
    ) -> None:
        self.space, self.draft, self.instance, self.source = space, draft, instance, source
        self.units = units  # browse path -> platform unit, given by the importer for what the NodeSet leaves
        self.candidates: list[_Candidate] = []
        self.unitless = 0
        self.missing: set[str] = set()
        self.given: dict[str, bool] = {}  # browse paths of ``units`` met: whether their variable is numeric

    def run(self, members: list[Member]) -> None:
        counted = 0
        for member in members[1:]:
            if member.type_id and (gap := self.space.missing(member.type_id)):
                self.missing.add(gap)
            if member.node.kind == "UAObject" and not (
                member.placeholder or member.recursive or member.state or member.same_as
            ):
                continue  # a container: its members are counted, it is the path they carry
            counted += 1
            self._one(member)
        self.draft.elements = counted
        self._name_and_add()

    def _one(self, member: Member) -> None:
        where = "/".join(member.path)
        name = member.path[-1]
        parent = member.parent
        if member.same_as is not None:
            self.draft.drop(
                where, Msg("the same node as {path}, mapped there", path="/".join(member.same_as.path))
            )
        elif member.placeholder:
            placeholder = Msg(
                "a placeholder ({name}): each machine names its own instances; "
                "import the machine's instance NodeSet to map them",
                name=name,
            )
            self.draft.drop(where, placeholder)
        elif member.recursive:
            self.draft.drop(where, Msg("an object of a type that contains itself: not expanded"))
        elif member.node.kind == "UAObject":  # a state or transition: a value its state variable takes
            self.draft.drop(
                where, Msg("a state or transition of a state machine: a value of its CurrentState")
            )
        elif member.node.kind == "UAMethod":
            self.draft.drop(where, Msg("a method (an operation the machine offers), not a reading"))
        elif member.relation == "property" and parent is not None and parent.node.kind == "UAVariable":
            if name in VARIABLE_METADATA:
                self.draft.drop(where, Msg("read into its variable's item (unit, range or states)"))
            else:
                self.draft.drop(where, Msg("a property describing its variable's value, not a reading"))
        elif member.relation == "property" and name in NODE_BOOKKEEPING:
            self.draft.drop(where, Msg("describes the OPC UA node, not the machine"))
        elif member.relation == "property" and self._describes(member):
            self.draft.attribute(where, where, _value_text(member.node.element))
        else:
            self._variable(member, where)

    def _describes(self, member: Member) -> bool:
        """A property is a description of the machine unless it is a number that may change (a counter,
        a duration): its name or its parent say so, or its value is no number."""
        if member.path[-1] in DESCRIBING or (member.parent and _identifies(self.space, member.parent)):
            return True
        return self.space.data_kind(member.node.data_type).scalar not in ("int", "float", "bool")

    def _variable(self, member: Member, where: str) -> None:
        node = member.node
        kind = self.space.data_kind(node.data_type)
        rank, dims = node.value_rank, node.dimensions
        fixed = bool(dims) and len(dims) == max(rank, 1) and all(d > 0 for d in dims)
        open_records = bool(kind.fields) and rank == 1 and not fixed
        if rank in (-1, -2, -3):
            elements: list[str | None] = [None]
        elif fixed and prod(dims) <= MAX_ELEMENTS:
            elements = [",".join(map(str, i)) for i in product(*(range(d) for d in dims))]
        elif open_records:
            elements = ["0"]
        elif fixed:
            too_many = Msg(
                "an array of {count} values: more than {limit}, one item each would swamp the model",
                count=prod(dims),
                limit=MAX_ELEMENTS,
            )
            self.draft.drop(where, too_many)
            return
        else:
            self.draft.drop(
                where, Msg("an array whose length the NodeSet leaves open: no fixed element to bind")
            )
            return
        if kind.fields:
            pieces = [(n, self.space.data_kind(d)) for n, d in kind.fields]
            readable: list[tuple[str | None, DataKind]] = [(n, k) for n, k in pieces if k.scalar or k.enum]
            if not readable:
                unreadable = Msg(
                    "a structure ({name}) with no field that is a single value", name=kind.other or "?"
                )
                self.draft.drop(where, unreadable)
                return
        else:
            readable = [(None, kind)]
        problem = _unreadable(kind) if not kind.fields else None
        if problem is not None:
            self.draft.drop(where, problem)
            return
        for element in elements:
            for field_name, field_kind in readable:
                self._candidate(
                    member,
                    element,
                    field_name,
                    field_kind,
                    open_length=open_records,
                )

    def _candidate(
        self, member: Member, element: str | None, field_name: str | None, kind: DataKind, open_length: bool
    ) -> None:
        node = member.node
        notes: list[Reason] = []
        parts = list(member.path)
        if element is not None:
            parts[-1] = f"{parts[-1]}[{element}]"
        if field_name is not None:
            parts.append(field_name)
        if open_length:
            notes.append(Msg("the NodeSet leaves the array's length open: its first record is mapped"))
        properties = {c.path[-1]: c.node for c in member.children if c.relation == "property"}
        unit, spelled = _unit(properties.get("EngineeringUnits"))
        low, high = _range(properties.get("EURange"))
        data_type = kind.scalar or ("string" if kind.enum else None)
        numeric = data_type in ("int", "float")
        if unit is None and spelled:
            notes.append(Msg("engineering unit '{unit}' has no platform equivalent: no unit", unit=spelled))
        if numeric and unit is None and node.data_type == DURATION and field_name is None:
            unit = "ms"
            notes.append(Msg("an OPC UA Duration: milliseconds"))
        where = "/".join(member.path)
        if where in self.units:
            self.given[where] = self.given.get(where, False) or numeric
            if numeric:
                unit = self.units[where]
                notes.append(Msg("unit {unit} given at import", unit=unit))
        space, type_id = self.space, member.type_id
        allowed = list(kind.enum) or None
        wire = kind.enum_values  # an enumeration travels as its integer: the gateway names it
        if space.is_a(type_id, STATE_VARIABLE) and member.parent is not None:
            states = _states(space, member.parent)
            allowed, data_type, numeric, wire = states or None, "string", False, ()
        if (
            space.is_a(type_id, TWO_STATE)
            or space.is_a(type_id, MULTI_STATE)
            or space.is_a(type_id, MULTI_STATE_VALUE)
        ):
            labels = [
                _value_text(p.element)
                for n, p in properties.items()
                if n in ("TrueState", "FalseState", "EnumStrings")
            ]
            if any(labels):
                notes.append(
                    Msg("states named by the source: {states}", states=", ".join(t for t in labels if t))
                )
            category = "EVENT"
        elif numeric and unit:
            category = "SAMPLE"
        else:
            category = "EVENT"
            if numeric and space.is_a(type_id, BASE_ANALOG):
                self.unitless += 1
                notes.append(Msg("an analog item whose unit the NodeSet leaves to each machine: set it"))
        english, korean = _names(member, element, field_name)
        mappings: dict[str, Any] = {
            "opcua_browse_name": where,
            "opcua_browse_namespaces": " ".join(member.uris),
        }
        if wire and allowed:
            mappings["opcua_enum_values"] = " ".join(map(str, wire))
        if self.instance:
            mappings["opcua_node_id"] = node.key
        if element is not None:
            mappings["opcua_index_range"] = element
        if field_name is not None:
            mappings["opcua_field"] = field_name
        fields = {
            "name": {"ko": korean, "en": english},
            "category": category,
            "data_type": data_type,
            "unit": unit if numeric else None,
            "min": low if numeric else None,
            "max": high if numeric else None,
            "allowed_values": allowed if data_type == "string" else None,
            "mappings": mappings,
            "source": self.source[:200],
        }
        found = role_of(tuple(parts))
        role = None
        if found is not None:
            problem = role_problem(
                found[1], category=category, data_type=data_type or "", unit=unit if numeric else None
            )
            if problem is None:
                role = found
            else:
                notes.append(Msg("not given role {role}: {reason}", role=found[1], reason=problem))
        self.candidates.append(_Candidate(member, tuple(parts), fields, notes, role))

    def _name_and_add(self) -> None:
        ids = readable_ids([c.parts for c in self.candidates])
        best: dict[str, tuple[int, int]] = {}
        for index, candidate in enumerate(self.candidates):
            if candidate.role is not None:
                rank, role = candidate.role
                if role not in best or rank < best[role][0]:
                    best[role] = (rank, index)
        holders = {index: role for role, (_, index) in best.items()}
        for index, candidate in enumerate(self.candidates):
            item = {"id": ids[index], **candidate.fields, "role": holders.get(index)}
            self.draft.add("/".join(candidate.member.path), item, candidate.notes)


def readable_ids(paths: list[tuple[str, ...]]) -> list[str]:
    """Item ids from browse paths: the last two names, lengthened toward the root while ids collide; when
    that is longer than an id may be, the names before the last two shrink to their initials."""
    depth = [min(2, len(p)) for p in paths]
    while True:
        ids = [_id(p[-d:]) for p, d in zip(paths, depth, strict=True)]
        seen: dict[str, list[int]] = {}
        for index, ident in enumerate(ids):
            seen.setdefault(ident, []).append(index)
        grown = False
        for clash in (c for c in seen.values() if len(c) > 1):
            for index in clash:
                if depth[index] < len(paths[index]):
                    depth[index] += 1
                    grown = True
        if not grown:
            return ids


def _id(parts: tuple[str, ...]) -> str:
    words = [p.replace("[", "_").replace("]", "").replace(",", "_") for p in parts]
    ident = snake_id(*words)
    if len(ident) >= 64 and len(words) > 2:
        initials = ["".join(c for c in w if c.isupper() or c.isdigit()).lower() or w[:1] for w in words[:-2]]
        ident = snake_id("".join(initials), *words[-2:])
    return ident


def _names(member: Member, element: str | None, field_name: str | None) -> tuple[str, str]:
    """English and Korean names: the display names of the parent and the variable (English standing in
    for a missing Korean one), with the element and field read."""
    tail = (f" [{element}]" if element is not None else "") + (f" {field_name}" if field_name else "")
    pair = [m for m in (member.parent, member) if m is not None and m.path]
    english = " / ".join(m.node.english for m in pair) + tail
    korean = " / ".join(m.node.name("ko") or m.node.english for m in pair) + tail
    return english[:200], korean[:200]


def _identifies(space: AddressSpace, member: Member) -> bool:
    names = [member.node.browse_name] + [
        space.nodes[t].browse_name for t in space.chain(member.type_id or "") if t in space.nodes
    ]
    return any("Identification" in n or "Nameplate" in n for n in names)


def _states(space: AddressSpace, machine: Member) -> list[str]:
    """The states a state machine object declares through its type (StateType objects), in order."""
    states: list[str] = []
    for type_id in space.chain(machine.type_id or ""):
        for _, child in space.children.get(type_id, ()):
            node = space.nodes.get(child)
            is_state = space.is_a(space.type_definition.get(child), STATE_TYPE)
            if node is not None and node.kind == "UAObject" and is_state and node.browse_name not in states:
                states.append(node.browse_name)
    return states[:200]


def _unreadable(kind: DataKind) -> Msg | None:
    if kind.scalar or kind.enum:
        return None
    if kind.other == "DateTime":
        return Msg("a date and time, not a measured value")
    return Msg("data type {data_type} is not a single reading", data_type=kind.other or "?")


def _value(element: Element) -> Element | None:
    return xml.child(element, "Value")


def _value_text(element: Element) -> str | None:
    """The first scalar of a node's Value, as text (a LocalizedText's text), or None if it has none."""
    value = _value(element)
    if value is None:
        return None
    for e in value.iter():
        if e is value:
            continue
        if xml.local(e) == "Text" or (len(e) == 0 and xml.local(e) != "Locale"):
            text = xml.text_of(e)
            if text:
                return text[:500]
    return None


def _first(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((e for e in element.iter() if xml.local(e) == name), None)


def _unit(node: Any) -> tuple[str | None, str | None]:
    """The platform unit of an EngineeringUnits property (UNECE code first, then the display name)."""
    info = _first(_value(node.element), "EUInformation") if node is not None else None
    if info is None:
        return None, None
    code = xml.text_of(_first(info, "UnitId"))
    display = xml.text_of(_first(_first(info, "DisplayName"), "Text")) or xml.text_of(
        _first(info, "DisplayName")
    )
    unit = UNECE_BY_ID.get(int(code)) if code and code.lstrip("-").isdigit() else None
    return unit or platform_unit(display), display or code


def _range(node: Any) -> tuple[float | None, float | None]:
    bounds = _first(_value(node.element), "Range") if node is not None else None
    try:
        low, high = xml.text_of(_first(bounds, "Low")), xml.text_of(_first(bounds, "High"))
        return (float(low) if low else None), (float(high) if high else None)
    except ValueError:
        return None, None
