"""The NodeSets of one import merged into one address space: hierarchy, types, inheritance, data types.

Every relation is indexed once from both ends of each reference (a NodeSet may write a reference on either
node), so the questions the importer asks (children, supertype, type definition, modelling rule) are
dictionary look-ups. Chains (supertypes, data types) are followed at most ``MAX_CHAIN`` steps and stop on a
cycle, so a hostile document cannot make a walk loop or grow quadratic.

Namespace 0 (the OPC UA base) is not uploaded: the few of its types the importer reasons about are named in
``BASE_SUPERTYPES`` with their supertypes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.standards.imports.opcua.nodeset import BUILTIN_NAMES, NodeSet, UANode

MAX_CHAIN = 64
Relation = Literal["component", "property", "organizes"]
# Hierarchical reference types of namespace 0 the instance tree follows, by what they make of the target.
RELATIONS: dict[str, Relation] = {
    "i=47": "component",  # HasComponent
    "i=49": "component",  # HasOrderedComponent
    "i=17604": "component",  # HasAddIn
    "i=46": "property",  # HasProperty
    "i=35": "organizes",  # Organizes
}
HAS_SUBTYPE, HAS_TYPE_DEFINITION, HAS_MODELLING_RULE, HAS_INTERFACE = "i=45", "i=40", "i=37", "i=17603"
PLACEHOLDERS = frozenset({"i=11508", "i=11510"})  # ModellingRule OptionalPlaceholder, MandatoryPlaceholder

# Types of namespace 0 the importer tests for, with their supertypes (OPC 10000-5, -8, -16).
BASE_ANALOG, TWO_STATE, MULTI_STATE, MULTI_STATE_VALUE = "i=15318", "i=2373", "i=2376", "i=11238"
STATE_VARIABLE, STATE_TYPE, BASE_EVENT, CONDITION_CLASS = "i=2755", "i=2307", "i=2041", "i=11163"
FOLDER, NAMESPACE_METADATA, BASE_INTERFACE, ENCODING = "i=61", "i=11616", "i=17602", "i=76"
BASE_OBJECT, TRANSITION_TYPE = "i=58", "i=2310"
BASE_SUPERTYPES = {
    "i=68": "i=62", "i=63": "i=62", "i=2365": "i=63", "i=15318": "i=2365", "i=2368": "i=15318",
    "i=17497": "i=15318", "i=17570": "i=17497", "i=2372": "i=2365", "i=2373": "i=2372", "i=2376": "i=2372",
    "i=11238": "i=2372", "i=2755": "i=63", "i=2760": "i=2755", "i=8995": "i=2755", "i=2762": "i=63",
    "i=2767": "i=2762", "i=9002": "i=63",
    "i=61": "i=58", "i=2299": "i=58", "i=2771": "i=2299", "i=2307": "i=58", "i=2309": "i=2307",
    "i=2310": "i=58", "i=17602": "i=58", "i=11616": "i=58", "i=23518": "i=58",
    "i=11164": "i=11163", "i=11165": "i=11163", "i=11166": "i=11163", "i=17218": "i=11163",
    "i=17219": "i=11163", "i=17220": "i=11163", "i=17221": "i=11163", "i=17222": "i=11163",
    "i=2052": "i=2041", "i=2130": "i=2041", "i=2132": "i=2041", "i=2133": "i=2041", "i=2738": "i=2041",
    "i=2311": "i=2041", "i=2782": "i=2041", "i=2830": "i=2782", "i=2881": "i=2782", "i=2915": "i=2881",
    "i=2955": "i=2915", "i=9341": "i=2955", "i=10523": "i=2915", "i=10637": "i=10523",
    "i=10751": "i=10637", "i=11753": "i=10637", "i=18347": "i=10637", "i=18496": "i=10637",
    "i=11436": "i=2041", "i=11446": "i=2130", "i=17080": "i=2915",
}  # fmt: skip
# Data types of namespace 0 by their supertype, so a companion's subtype of Double stays a float.
BASE_DATA_SUPERTYPES = {
    "i=290": "i=11", "i=294": "i=13", "i=256": "i=6", "i=257": "i=12", "i=288": "i=7", "i=289": "i=9",
    "i=291": "i=12", "i=292": "i=12", "i=295": "i=12", "i=311": "i=11", "i=887": "i=22", "i=884": "i=22",
    "i=17588": "i=12",
}  # fmt: skip
SCALARS = {
    "i=1": "bool", "i=2": "int", "i=3": "int", "i=4": "int", "i=5": "int", "i=6": "int", "i=7": "int",
    "i=8": "int", "i=9": "int", "i=10": "float", "i=11": "float", "i=12": "string", "i=21": "string",
    "i=26": "float", "i=27": "int", "i=28": "int",
}  # fmt: skip
DATE_TIME, STRUCTURE, ENUMERATION = "i=13", "i=22", "i=29"
BUILTIN_BY_ID = {node_id: name for name, node_id in BUILTIN_NAMES.items()}


@dataclass(frozen=True)
class DataKind:
    """What a variable's data type is, followed to namespace 0: a scalar, an enumeration, a structure..."""

    scalar: str | None = None  # bool, int, float, string
    enum: tuple[str, ...] = ()
    enum_values: tuple[int, ...] = ()  # the integer of each name of ``enum``, what the wire carries
    fields: tuple[tuple[str, str], ...] = ()  # a structure's (field name, field data type id)
    other: str | None = None  # what it is when none of the above (date, binary, any...)


class AddressSpace:
    def __init__(self, nodesets: list[NodeSet]) -> None:
        self.nodes: dict[str, UANode] = {}
        for nodeset in nodesets:
            for key, node in nodeset.nodes.items():
                self.nodes.setdefault(key, node)
        self.children: dict[str, list[tuple[Relation, str]]] = {}
        self.parents: dict[str, str] = {}
        self.supertype: dict[str, str] = {}
        self.type_definition: dict[str, str] = {}
        self.rule: dict[str, str] = {}
        self.interfaces: dict[str, list[str]] = {}
        self._relation: dict[str, Relation | None] = dict(RELATIONS)
        self._members: dict[str, list[tuple[str, Relation, str]]] = {}
        self._ruled: set[str] = set()  # models whose NodeSet writes ModellingRules
        self._chains: dict[str, tuple[str, ...]] = {}
        seen: set[tuple[str, str]] = set()
        for node in self.nodes.values():
            for ref in node.refs:
                source, target = (node.key, ref.target) if ref.forward else (ref.target, node.key)
                if ref.type == HAS_SUBTYPE:
                    self.supertype.setdefault(target, source)
                elif ref.type == HAS_TYPE_DEFINITION and ref.forward:
                    self.type_definition.setdefault(source, target)
                elif ref.type == HAS_MODELLING_RULE and ref.forward:
                    self.rule.setdefault(source, target)
                    self._ruled.add(node.model)
                elif ref.type == HAS_INTERFACE:
                    self.interfaces.setdefault(source, []).append(target)
                else:
                    relation = self.relation(ref.type)
                    if relation is not None and (source, target) not in seen:
                        seen.add((source, target))
                        self.children.setdefault(source, []).append((relation, target))
                        self.parents.setdefault(target, source)

    def relation(self, reference_type: str) -> Relation | None:
        """What a reference type makes of its target, for a companion's subtype of HasComponent too."""
        if reference_type not in self._relation:
            found: Relation | None = None
            for ancestor in self.chain(reference_type):
                if ancestor in RELATIONS:
                    found = RELATIONS[ancestor]
                    break
            self._relation[reference_type] = found
        return self._relation[reference_type]

    def chain(self, type_id: str) -> tuple[str, ...]:
        """The type and its supertypes, nearest first, across the NodeSets and the base types."""
        if type_id not in self._chains:
            found: list[str] = []
            current: str | None = type_id
            while current is not None and current not in found and len(found) < MAX_CHAIN:
                found.append(current)
                current = self.supertype.get(current) or BASE_SUPERTYPES.get(current)
            self._chains[type_id] = tuple(found)
        return self._chains[type_id]

    def is_a(self, type_id: str | None, ancestor: str) -> bool:
        return type_id is not None and ancestor in self.chain(type_id)

    def missing(self, type_id: str) -> str | None:
        """The first type of the chain no uploaded NodeSet declares (namespace 0 is taken as known)."""
        return next((t for t in self.chain(type_id) if t.startswith("nsu=") and t not in self.nodes), None)

    def members(self, type_id: str) -> list[tuple[str, Relation, str]]:
        """The instance declarations of a type with those it inherits: (browse name, relation, node id),
        a subtype's declaration replacing its supertype's of the same qualified browse name (namespace and
        name: companions of different namespaces may each add a member of the same name)."""
        if type_id not in self._members:
            by_name: dict[tuple[str, str], tuple[str, Relation, str]] = {}
            for ancestor in reversed(self.chain(type_id)):
                for name, relation, child in self.declarations(ancestor):
                    by_name[self.qualified(child)] = (name, relation, child)
            self._members[type_id] = list(by_name.values())
        return self._members[type_id]

    def qualified(self, node_id: str) -> tuple[str, str]:
        """A node's browse name with its namespace URI: what tells apart members of the same name."""
        node = self.nodes[node_id]
        return node.browse_uri, node.browse_name

    def declared(self, node_id: str) -> list[tuple[str, Relation, str]]:
        """Children a node declares itself (an instance's real children, or a declaration's own)."""
        found = []
        for relation, child in self.children.get(node_id, ()):
            node = self.nodes.get(child)
            if node is not None:
                found.append((node.browse_name, relation, child))
        return found

    def declarations(self, node_id: str) -> list[tuple[str, Relation, str]]:
        """A type's or declaration's instance declarations: its children with a ModellingRule, or all its
        children when its NodeSet writes no rule at all (hand-written NodeSets often leave them out)."""
        children = self.declared(node_id)
        node = self.nodes.get(node_id)
        if node is not None and node.model not in self._ruled:
            return children
        return [c for c in children if c[2] in self.rule]

    def data_kind(self, data_type: str | None) -> DataKind:
        if data_type is None:
            return DataKind(other="BaseDataType")
        current: str | None = data_type
        seen: set[str] = set()
        while current is not None and current not in seen and len(seen) < MAX_CHAIN:
            seen.add(current)
            if current in SCALARS:
                return DataKind(scalar=SCALARS[current])
            node = self.nodes.get(current)
            definition = node.definition if node is not None else None
            if current == ENUMERATION or (definition and self.is_data(current, ENUMERATION)):
                names = tuple(name for name, _, _, _ in definition or ())
                values = tuple(value for _, _, _, value in definition or ())
                return DataKind(enum=names, enum_values=values) if names else DataKind(scalar="int")
            if current == STRUCTURE or (definition and self.is_data(current, STRUCTURE)):
                fields = tuple(
                    (name, data) for name, data, rank, _ in definition or () if data and rank == -1
                )
                return DataKind(fields=fields, other=node.browse_name if node else "Structure")
            if current == DATE_TIME:
                return DataKind(other="DateTime")
            current = self.supertype.get(current) or BASE_DATA_SUPERTYPES.get(current)
        node = self.nodes.get(data_type)
        return DataKind(other=node.browse_name if node else BUILTIN_BY_ID.get(data_type, data_type))

    def is_data(self, data_type: str, ancestor: str) -> bool:
        current: str | None = data_type
        for _ in range(MAX_CHAIN):
            if current is None:
                return False
            if current == ancestor:
                return True
            current = self.supertype.get(current) or BASE_DATA_SUPERTYPES.get(current)
        return False
