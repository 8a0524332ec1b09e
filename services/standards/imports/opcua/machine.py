"""Which machine of the NodeSets to import, and its tree of members as a server would instantiate it.

Candidates come from the primary NodeSets (those no other uploaded NodeSet requires): objects that are
instances (an instance NodeSet describes one real machine) and object types nothing else uses as a part
(not abstract, not events, condition classes or interfaces). Instances of a specific type rank first, then
types, then bare BaseObjectType instances (containers); within each, what looks like a machine (an
``Identification`` or a nameplate interface) first, then the larger ones.

The tree of a type holds its instance declarations (ModellingRule Mandatory or Optional) with those its
supertypes declare, a declaration's own children overriding its type's members of the same browse name.
Placeholders (``<Channel>``: instances named by each machine) are kept as leaves, never expanded. The tree
of an instance is its real children. The walk is iterative, visits each member once, and refuses a tree
nested deeper than ``MAX_DEPTH`` or larger than ``MAX_MEMBERS`` with a 422 before anything is mapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg
from services.standards.imports.opcua.nodeset import UANode, bare_name
from services.standards.imports.opcua.space import (
    BASE_EVENT,
    BASE_INTERFACE,
    BASE_OBJECT,
    CONDITION_CLASS,
    ENCODING,
    FOLDER,
    NAMESPACE_METADATA,
    PLACEHOLDERS,
    STATE_TYPE,
    TRANSITION_TYPE,
    AddressSpace,
    Relation,
)

MAX_DEPTH = 32
MAX_MEMBERS = 20_000
MAX_LISTED = 50


@dataclass(eq=False)
class Member:
    path: tuple[str, ...]
    node: UANode
    relation: Relation
    parent: Member | None
    type_id: str | None
    uris: tuple[str, ...] = ()  # the namespace URI of each browse name of ``path``
    placeholder: bool = False
    recursive: bool = False
    state: bool = False  # a state or transition object of a state machine type
    same_as: Member | None = None  # an instance's node reached again by another path
    children: list[Member] = field(default_factory=list)


def label(space: AddressSpace, node: UANode) -> str:
    """How the report names a candidate: browse name, kind and absolute NodeId."""
    if node.kind == "UAObject":
        type_id = space.type_definition.get(node.key)
        type_node = space.nodes.get(type_id or "")
        kind = f"instance of {type_node.browse_name if type_node else type_id}"
    else:
        kind = "type"
    return f"{node.browse_name} ({kind}, {node.key})"


def candidates(space: AddressSpace, primary: set[str]) -> list[UANode]:
    used = {space.type_definition[k] for k in space.parents if k in space.type_definition}
    found: list[tuple[tuple[int, int, int], UANode]] = []
    for node in space.nodes.values():
        if node.model not in primary:
            continue
        if node.kind == "UAObjectType":
            if (
                node.abstract
                or node.key in used
                or any(
                    space.is_a(node.key, base)
                    for base in (BASE_EVENT, CONDITION_CLASS, BASE_INTERFACE, FOLDER)
                )
            ):
                continue
            found.append(((1, -_machine_like(space, node.key), -len(space.members(node.key))), node))
        elif node.kind == "UAObject" and node.key not in space.rule:
            type_id = space.type_definition.get(node.key)
            parent = space.parents.get(node.key)
            if parent is not None and parent in space.nodes and space.nodes[parent].model in primary:
                continue
            if (
                type_id is None
                or not space.declared(node.key)
                or any(space.is_a(type_id, t) for t in (FOLDER, NAMESPACE_METADATA, STATE_TYPE, ENCODING))
            ):
                continue
            generic = type_id == BASE_OBJECT  # a bare container, not a described machine: after the types
            found.append(
                ((2 if generic else 0, -_machine_like(space, type_id), -len(space.declared(node.key))), node)
            )
    found.sort(key=lambda pair: pair[0])
    return [node for _, node in found]


def _machine_like(space: AddressSpace, type_id: str) -> int:
    names = {name for name, _, _ in space.members(type_id)}
    interfaces = [i for t in space.chain(type_id) for i in space.interfaces.get(t, ())]
    nameplate = any("Nameplate" in space.nodes[i].browse_name for i in interfaces if i in space.nodes)
    return int("Identification" in names or nameplate)


def choose(space: AddressSpace, found: list[UANode], node: str | None, local: dict[str, str]) -> UANode:
    """The candidate named by ``node`` (NodeId, absolute or as the primary NodeSet writes it, or browse
    name), any object or object type so named, or the first candidate; a 422 naming the query else."""
    if node is None:
        if not found:
            raise ValidationFailed(
                Msg("the NodeSets hold no machine type or instance to import"),
                fields=[field_error("body", Msg("no object type or object instance"))],
            )
        return found[0]
    wanted = node.strip()
    key, name = local.get(wanted, wanted), bare_name(wanted)
    pool = found + [n for n in space.nodes.values() if n.kind in ("UAObject", "UAObjectType")]
    for candidate in pool:
        if candidate.key == key or candidate.browse_name == name:
            return candidate
    listed = ", ".join(label(space, n) for n in found[:MAX_LISTED]) or "-"
    raise ValidationFailed(
        Msg(
            "no object or object type '{node}' in the NodeSets; candidates: {candidates}",
            node=wanted,
            candidates=listed,
        ),
        fields=[field_error("query.node", Msg("unknown node '{node}'", node=wanted))],
    )


def tree(space: AddressSpace, root: UANode) -> list[Member]:
    """The machine's members in document order (parents before children), the root first."""
    as_type = root.kind == "UAObjectType"
    top = Member((), root, "component", None, root.key if as_type else space.type_definition.get(root.key))
    ordered: list[Member] = []
    stack = [top]
    reached: dict[str, Member] = {}  # an instance's nodes: a node referenced twice (or in a cycle) once
    while stack:
        member = stack.pop()
        ordered.append(member)
        if len(ordered) > MAX_MEMBERS:
            raise ValidationFailed(
                Msg("the machine has more than {limit} members", limit=MAX_MEMBERS),
                fields=[field_error("body", Msg("too many members"))],
            )
        if not as_type:
            member.same_as = reached.setdefault(member.node.key, member)
            member.same_as = member.same_as if member.same_as is not member else None
        if (
            member.placeholder
            or member.recursive
            or member.state
            or member.same_as
            or member.node.kind == "UAMethod"
        ):
            continue
        kids = _children(space, member, as_type)
        if kids and len(member.path) >= MAX_DEPTH:
            raise ValidationFailed(
                Msg(
                    "nodes nested deeper than {limit} levels below {root}",
                    limit=MAX_DEPTH,
                    root=root.browse_name,
                ),
                fields=[field_error("body", Msg("nesting deeper than {limit} levels", limit=MAX_DEPTH))],
            )
        member.children = kids
        stack.extend(reversed(kids))
    return ordered


def _children(space: AddressSpace, member: Member, as_type: bool) -> list[Member]:
    if member.parent is None and as_type:
        declared = space.members(member.node.key)
    elif as_type:
        own = space.declarations(member.node.key)
        inherited = space.members(member.type_id) if member.type_id else []
        names = {space.qualified(c) for _, _, c in own}
        declared = [m for m in inherited if space.qualified(m[2]) not in names] + own
    else:
        declared = space.declared(member.node.key)
    kids = []
    for name, relation, child_id in declared:
        child = space.nodes[child_id]
        type_id = space.type_definition.get(child_id)
        kid = Member((*member.path, name), child, relation, member, type_id, (*member.uris, child.browse_uri))
        kid.placeholder = space.rule.get(child_id) in PLACEHOLDERS
        kid.state = any(space.is_a(type_id, t) for t in (STATE_TYPE, TRANSITION_TYPE))
        # Only a type's own members can repeat without end: a generic type (BaseObjectType) nests freely.
        kid.recursive = (
            as_type and child.kind == "UAObject" and bool(type_id and space.members(type_id))
            and _nests_itself(member, type_id)
        )  # fmt: skip
        kids.append(kid)
    return kids


def _nests_itself(parent: Member, type_id: str | None) -> bool:
    current: Member | None = parent
    while current is not None:
        if type_id is not None and current.type_id == type_id:
            return True
        current = current.parent
    return False
