"""One NodeSet2 document read into plain node records whose NodeIds are absolute.

A NodeSet writes ``ns=2;i=1002`` with an index into its own ``NamespaceUris``; documents uploaded together
number their namespaces differently, so every id is rewritten once here as ``nsu=<uri>;i=1002`` (namespace
0, the OPC UA base, stays ``i=58``). Aliases (``HasComponent``, ``Double``) are resolved at the same time.

Reading is one pass over the document's nodes and one over each node's references: linear in the size of
the document whatever shape its node graph has (a deep parent chain costs what a flat list costs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg
from services.standards.imports import xml

BASE_URI = "http://opcfoundation.org/UA/"
NODE_KINDS = frozenset(
    {"UAObject", "UAVariable", "UAMethod", "UAObjectType", "UAVariableType", "UADataType", "UAReferenceType"}
)
# Reference type names a NodeSet may write without declaring an alias for them (OPC 10000-6 F.2).
STANDARD_NAMES = {
    "Organizes": "i=35",
    "HasComponent": "i=47",
    "HasProperty": "i=46",
    "HasOrderedComponent": "i=49",
    "HasAddIn": "i=17604",
    "HasSubtype": "i=45",
    "HasTypeDefinition": "i=40",
    "HasModellingRule": "i=37",
    "HasInterface": "i=17603",
    "HasEncoding": "i=38",
    "HasNotifier": "i=48",
    "HasEventSource": "i=36",
    "GeneratesEvent": "i=41",
    "HasCause": "i=53",
    "HasEffect": "i=54",
    "FromState": "i=51",
    "ToState": "i=52",
    "HasSubStateMachine": "i=117",
}
# Built-in data types by name (a NodeSet may write DataType="Double" with or without an alias).
BUILTIN_NAMES = {
    "Boolean": "i=1", "SByte": "i=2", "Byte": "i=3", "Int16": "i=4", "UInt16": "i=5", "Int32": "i=6",
    "UInt32": "i=7", "Int64": "i=8", "UInt64": "i=9", "Float": "i=10", "Double": "i=11", "String": "i=12",
    "DateTime": "i=13", "Guid": "i=14", "ByteString": "i=15", "XmlElement": "i=16", "NodeId": "i=17",
    "StatusCode": "i=19", "QualifiedName": "i=20", "LocalizedText": "i=21", "Structure": "i=22",
    "BaseDataType": "i=24", "Number": "i=26", "Integer": "i=27", "UInteger": "i=28", "Enumeration": "i=29",
    "Duration": "i=290", "UtcTime": "i=294", "Range": "i=884", "EUInformation": "i=887",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ref:
    type: str
    target: str
    forward: bool


@dataclass(slots=True)
class UANode:
    key: str
    kind: str
    browse_name: str
    model: str
    element: Element
    names: dict[str, str] = field(default_factory=dict)  # locale ("" when none) -> display name
    refs: list[Ref] = field(default_factory=list)
    data_type: str | None = None
    value_rank: int = -1
    dimensions: tuple[int, ...] = ()
    abstract: bool = False
    # A data type's Definition: (field name, field data type, value rank, value); an enumeration's fields
    # have no data type and their value is the integer that travels on the wire.
    definition: tuple[tuple[str, str | None, int, int], ...] | None = None
    browse_uri: str = BASE_URI  # the namespace of the browse name (``2:Monitoring``), not of the NodeId

    def name(self, locale: str) -> str | None:
        return next((v for k, v in self.names.items() if k.lower().startswith(locale)), None)

    @property
    def english(self) -> str:
        return self.name("en") or self.names.get("") or self.browse_name


@dataclass
class NodeSet:
    model_uri: str
    required: list[str]
    nodes: dict[str, UANode]
    version: str | None = None
    published: str | None = None  # the Model's PublicationDate, ISO 8601 (compares as text)
    uris: list[str] = field(default_factory=list)  # the document's NamespaceUris, index 1 first


class _Ids:
    """Turns a document's NodeIds and alias names into absolute ids."""

    def __init__(self, uris: list[str], aliases: dict[str, str]) -> None:
        self.uris = uris
        self.aliases = aliases

    def uri(self, browse_name: str) -> str:
        """The namespace URI of a browse name (``2:Monitoring``; no prefix is namespace 0)."""
        prefix, sep, _ = browse_name.partition(":")
        if sep and prefix.isdigit() and 0 < int(prefix) <= len(self.uris):
            return self.uris[int(prefix) - 1]
        return BASE_URI

    def absolute(self, text: str | None) -> str | None:
        if not text:
            return None
        text = text.strip()
        text = self.aliases.get(text, text)
        if text in STANDARD_NAMES:
            return STANDARD_NAMES[text]
        if text in BUILTIN_NAMES:
            return BUILTIN_NAMES[text]
        head, sep, rest = text.partition(";")
        if not (sep and head.startswith("ns=") and head[3:].isdigit()):
            return text  # namespace 0 (``i=58``) or already absolute (``nsu=...``)
        index = int(head[3:])
        if index == 0:
            return rest
        if index > len(self.uris):
            return text  # an index the document does not declare: never equal to a declared node
        return f"nsu={self.uris[index - 1]};{rest}"


def bare_name(text: str) -> str:
    """``1:RamForce`` -> ``RamForce`` (the index only says which namespace the name belongs to)."""
    prefix, _, rest = text.partition(":")
    return rest if rest and prefix.isdigit() else text


def _dimensions(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        return ()


def _rank(text: str | None) -> int:
    try:
        return int(text or "-1")
    except ValueError:
        return -1


def _fields(fields: Iterable[Element]) -> Iterator[tuple[Element, int]]:
    """A Definition's named fields with their ``Value``; a field that writes none takes the one after the
    field before (counting from 0), as enumerations whose values count up are written."""
    after = -1
    for f in fields:
        if not f.get("Name"):
            continue
        written = f.get("Value")
        value = int(written) if written and written.lstrip("-").isdigit() else after + 1
        after = value
        yield f, value


def _reference(ids: _Ids, ref: Element) -> Ref | None:
    kind_id, target = ids.absolute(ref.get("ReferenceType")), ids.absolute(ref.text)
    if not (kind_id and target):
        return None
    return Ref(kind_id, target, (ref.get("IsForward") or "true").lower() != "false")


def read(data: bytes) -> NodeSet:
    """The document's nodes, model URI and required models; a 4xx naming the body when it is no NodeSet."""
    root = xml.parse(data, "UANodeSet")
    namespaces = xml.child(root, "NamespaceUris")
    uris = [xml.text_of(e) or "" for e in xml.children(namespaces, "Uri")] if namespaces is not None else []
    alias_block = xml.child(root, "Aliases")
    aliases = {
        a.get("Alias", ""): (a.text or "").strip()
        for a in (xml.children(alias_block, "Alias") if alias_block is not None else ())
    }
    ids = _Ids(uris, {})
    ids.aliases = {name: ids.absolute(target) or target for name, target in aliases.items()}
    models = xml.child(root, "Models")
    model = xml.child(models, "Model") if models is not None else None
    model_uri = (model.get("ModelUri") if model is not None else None) or (uris[0] if uris else "")
    required = [
        r.get("ModelUri", "")
        for r in (xml.children(model, "RequiredModel") if model is not None else ())
        if r.get("ModelUri")
    ]
    nodes: dict[str, UANode] = {}
    for element in root:
        kind = xml.local(element)
        key = ids.absolute(element.get("NodeId")) if kind in NODE_KINDS else None
        if key is None or key in nodes:
            continue
        node = UANode(
            key=key,
            kind=kind,
            browse_name=bare_name(element.get("BrowseName", "")),
            browse_uri=ids.uri(element.get("BrowseName", "")),
            model=model_uri,
            element=element,
            data_type=ids.absolute(element.get("DataType"))
            if kind in ("UAVariable", "UAVariableType")
            else None,
            abstract=(element.get("IsAbstract") or "").lower() == "true",
            dimensions=_dimensions(element.get("ArrayDimensions")),
        )
        node.value_rank = _rank(element.get("ValueRank"))
        for part in element:  # one pass over the node's own elements
            name = xml.local(part)
            if name == "DisplayName" and part.text and part.text.strip():
                node.names.setdefault(part.get("Locale") or "", part.text.strip())
            elif name == "References":
                node.refs = [r for r in (_reference(ids, ref) for ref in part) if r is not None]
            elif name == "Definition" and kind == "UADataType":
                node.definition = tuple(
                    (f.get("Name", ""), ids.absolute(f.get("DataType")), _rank(f.get("ValueRank")), n)
                    for f, n in _fields(xml.children(part, "Field"))
                )
        nodes[key] = node
    if not nodes:
        raise ValidationFailed(
            Msg("the NodeSet {model} holds no nodes", model=model_uri or "?"),
            fields=[field_error("body", Msg("no UANode elements"))],
        )
    return NodeSet(
        model_uri=model_uri,
        required=required,
        nodes=nodes,
        version=model.get("Version") if model is not None else None,
        published=model.get("PublicationDate") if model is not None else None,
        uris=uris,
    )
