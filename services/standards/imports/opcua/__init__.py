"""OPC UA NodeSet2 documents (companion specifications, instance NodeSets) into a draft model of one machine.

The upload is one NodeSet, or several (zip or multipart) so that the models a NodeSet requires (DI,
Machinery...) come along; their ``RequiredModel``s are resolved against each other and the report names the
ones resolved and missing. The machine is one object type or instance of the primary NodeSets (``node=``
picks it; by default the first candidate, see ``machine``); its members, with those its supertypes
declare, become items (``items``): browse path below the machine in ``mappings.opcua_browse_name`` with
the namespace URI of each name in ``opcua_browse_namespaces`` (never an index: a server numbers namespaces
its own way), the absolute NodeId in ``mappings.opcua_node_id`` when the NodeSet describes a real machine
(an instance). Units the importer gives (``units``) are checked before the document is read and their
paths once it is mapped: a path that names no numeric variable refuses the import, nothing half-applied.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg
from services.standards.imports.draft import Draft, snake_id
from services.standards.imports.opcua import bundle, machine, nodeset
from services.standards.imports.opcua.items import Mapper
from services.standards.imports.opcua.shelf import NoShelf, Shelf
from services.standards.imports.opcua.space import AddressSpace
from services.standards.imports.units import unit_of


@contextmanager
def _acyclic() -> Iterator[None]:
    """Reading builds a few hundred thousand objects that hold no reference cycle; the cyclic collector
    would scan them again and again (doubling the time of an 8 MiB NodeSet), reference counting frees
    them all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse(
    data: bytes, node: str | None = None, shelf: Shelf | None = None, units: Sequence[str] = ()
) -> Draft:
    """``units``: ``browse/path=unit`` (a UNECE code or a unit symbol) for variables whose NodeSet leaves
    the unit to each machine; checked before the document is read, their paths once it is mapped."""
    given = _given_units(units)
    with _acyclic():
        return _parse(data, node, shelf or NoShelf(), given)


def _units_error(detail: Msg) -> ValidationFailed:
    return ValidationFailed(detail, fields=[field_error("query.units", detail)])


def _given_units(entries: Sequence[str]) -> dict[str, str]:
    given = {}
    for entry in entries:
        path, sep, text = entry.rpartition("=")
        path = path.strip().strip("/")
        if not (sep and path and text.strip()):
            raise _units_error(
                Msg("'{entry}': units are given as browse/path=unit, e.g. Speed/ActualValue=rpm",
                    entry=entry[:300])
            )  # fmt: skip
        unit = unit_of(text.strip())
        if unit is None:
            raise _units_error(
                Msg("unknown unit '{unit}': neither a UNECE code the platform knows nor a unit symbol",
                    unit=text.strip()[:50])
            )  # fmt: skip
        given[path] = unit
    return given


def _with_required(uploaded: list[nodeset.NodeSet], shelf: Shelf) -> tuple[list[nodeset.NodeSet], list[str]]:
    """The uploaded NodeSets and, from the shelf, the models they require (and those require) that the
    upload lacks; with the URIs taken from the shelf."""
    nodesets, taken = list(uploaded), list[str]()
    have = {n.model_uri for n in uploaded} | {nodeset.BASE_URI}
    wanted = [uri for n in uploaded for uri in n.required]
    while wanted and len(taken) < bundle.MAX_DOCUMENTS:
        uri = wanted.pop(0)
        if uri in have:
            continue
        have.add(uri)
        document = shelf.find(uri)
        if document is not None:
            kept = nodeset.read(document)
            nodesets.append(kept)
            taken.append(uri)
            wanted.extend(kept.required)
    return nodesets, taken


def _parse(data: bytes, node: str | None, shelf: Shelf, units: dict[str, str]) -> Draft:
    documents = bundle.documents(data)
    uploaded = [nodeset.read(document) for document in documents]
    for read, document in zip(uploaded, documents, strict=True):
        shelf.keep(read.model_uri, read.version, read.published, document)
    nodesets, from_shelf = _with_required(uploaded, shelf)
    known = {n.model_uri for n in nodesets} | {nodeset.BASE_URI}
    required = {uri for n in nodesets for uri in n.required}
    upload_needs = {uri for n in uploaded for uri in n.required}
    primary = {n.model_uri for n in uploaded if n.model_uri not in upload_needs} or {
        n.model_uri for n in uploaded
    }
    space = AddressSpace(nodesets)
    found = machine.candidates(space, primary)
    first = next(n for n in nodesets if n.model_uri in primary)
    local = _local_ids(first)
    chosen = machine.choose(space, found, node, local)
    as_instance = chosen.kind == "UAObject"
    title = chosen.browse_name
    type_id = space.type_definition.get(chosen.key) if as_instance else chosen.key
    type_node = space.nodes.get(type_id or "")
    kind_name = (type_node.browse_name if type_node else title).removesuffix("Type")
    draft = Draft(title=title, title_en=title, equipment_type=snake_id(kind_name).upper() or None)
    draft.available = [machine.label(space, n) for n in found[: machine.MAX_LISTED]]
    draft.chosen = machine.label(space, chosen)
    if node is None and len(found) > 1:
        draft.notes.append(Msg("{count} machines in the NodeSets: the first was imported; pick another with "
                               "node= (NodeId or browse name)", count=len(found)))  # fmt: skip
    resolved = sorted(
        uri for uri in required if uri in known and uri != nodeset.BASE_URI and uri not in from_shelf
    )
    missing = sorted(required - known)
    if resolved:
        draft.notes.append(Msg("required models resolved: {models}", models=", ".join(resolved)))
    if from_shelf:
        kept = Msg(
            "required models resolved from NodeSets imported before: {models}", models=", ".join(from_shelf)
        )
        draft.notes.append(kept)
    if missing:
        draft.notes.append(Msg("required models missing (upload them with this NodeSet): {models}",
                               models=", ".join(missing)))  # fmt: skip
    members = machine.tree(space, chosen)
    source = f"OPC UA {chosen.model} {title}"
    mapper = Mapper(space, draft, as_instance, source, units)
    mapper.run(members)
    for path in units:
        if path not in mapper.given:
            raise _units_error(
                Msg("no variable '{path}' below {machine}: units name browse paths the report lists",
                    path=path[:200], machine=title)
            )  # fmt: skip
        if not mapper.given[path]:
            raise _units_error(Msg("'{path}' is not numeric: a unit applies to numbers only", path=path))
    if mapper.missing:
        draft.notes.append(Msg("types from missing models, their members not imported: {types}",
                               types=", ".join(sorted(mapper.missing)[:20])))  # fmt: skip
    if mapper.unitless:
        unitless = Msg(
            "{count} analog items have no unit in the NodeSet (a type leaves it to each machine): "
            "give them at import (units=browse/path=unit) or set them before publishing",
            count=mapper.unitless,
        )
        draft.notes.append(unitless)
    if not as_instance:
        draft.notes.append(Msg("a type, not a machine: items carry browse paths; node ids come with the "
                               "machine's instance NodeSet"))  # fmt: skip
    return draft


def _local_ids(document: nodeset.NodeSet) -> dict[str, str]:
    """``ns=1;i=13`` as the primary NodeSet writes it -> its absolute id, for ``node=``."""
    index = {uri: n for n, uri in enumerate(document.uris, start=1)}
    local = {}
    for key in document.nodes:
        uri, _, rest = key.removeprefix("nsu=").partition(";")
        if key.startswith("nsu=") and uri in index:
            local[f"ns={index[uri]};{rest}"] = key
    return local
