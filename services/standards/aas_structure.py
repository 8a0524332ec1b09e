"""The AAS structure of a version imported from an AAS submodel: what its export needs to give the template's
nesting, idShorts, order and semanticIds back (``std_versions.aas_structure``, JSON; None for a model not
imported from AAS, whose export stays flat).

    {"id": the template's id, "idShort": ..., "semanticId": Reference, "description": [LangString],
     "elements": [Node]}        (submodel-level fields None for a submodel that was itself a platform export)

A node is the skeleton of one submodel element: ``modelType``, ``idShort`` (absent inside a list),
``category``, ``semanticId`` (and ``supplementalSemanticIds``), ``displayName``, ``description`` and
``qualifiers`` (the template's own: the platform's are written from the item at export), and one of
- ``value``: the nodes of a collection or list (a list also keeps ``typeValueListElement``,
  ``semanticIdListElement``, ``valueTypeListElement``, ``orderRelevant``);
- ``item``: the id of the data item the element became; its names, unit, range and semantic id are the
  item's, so an edit of the item shows in the export. ``valueType`` is the element's own while the item
  keeps the data type it had (``dataType``);
- ``attribute``: the name of the model attribute it became; its value is the attribute's, written with the
  element's ``valueType`` (``language`` for a multi-language text);
- neither: an element that holds no reading (File, ReferenceElement) or was dropped, kept as structure
  without a value (``valueType`` of a Property or Range, ``contentType`` of a File or Blob).

Every field is checked here, when the structure is captured, against what AAS V3 allows (idShort,
BCP 47 languages, reference and qualifier shapes, categories): a field that does not pass is left out, so the
export of a stored structure verifies whatever the imported document held. Elements of other kinds
(Operation, Entity, relationships, events) are not kept.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

MAX_TEXT = 1023  # AAS V3: a description's text, a qualifier's value
MAX_NAME = 128  # a display name's text, an idShort, a qualifier's type
MAX_ID = 2000  # an identifier, a reference key's value
ID_SHORT = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
# A language and an optional region (ko, en, de-DE): a subset of BCP 47, which AAS V3 asks for.
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?$")
# Characters XML 1.0 cannot carry: an AAS string holding one fails verification.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CATEGORIES = {"VARIABLE", "CONSTANT", "PARAMETER"}
STATIC_CATEGORIES = {"CONSTANT", "PARAMETER"}
MOMENTS = {"xs:date", "xs:dateTime", "xs:time", "xs:gYear", "xs:gYearMonth", "xs:gMonthDay", "xs:duration"}
QUALIFIER_KINDS = {"ConceptQualifier", "TemplateQualifier", "ValueQualifier"}
STRUCTURE = ("SubmodelElementCollection", "SubmodelElementList")
# Element kinds kept as bare structure when they hold no item or attribute, with their type field.
KEPT = {
    "Property": "valueType",
    "Range": "valueType",
    "MultiLanguageProperty": None,
    "File": "contentType",
    "Blob": "contentType",
    "ReferenceElement": None,
}
_MIME = re.compile(r"^[a-zA-Z0-9!#$&^_.+-]+/[a-zA-Z0-9!#$&^_.+-]+$")
LIST_TYPES = {
    "AnnotatedRelationshipElement", "BasicEventElement", "Blob", "Capability", "Entity", "File",
    "MultiLanguageProperty", "Operation", "Property", "Range", "ReferenceElement", "RelationshipElement",
    "SubmodelElementCollection", "SubmodelElementList",
}  # fmt: skip
_IDENTIFIABLES = {"AssetAdministrationShell", "ConceptDescription", "Identifiable", "Submodel"}
_INTEGERS = {  # the xs integer types this module checks values of, with their bounds
    "xs:int": (-(2**31), 2**31 - 1),
    "xs:long": (-(2**63), 2**63 - 1),
    "xs:short": (-(2**15), 2**15 - 1),
    "xs:integer": (-(2**63), 2**63 - 1),
}
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DOUBLE = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?INF|NaN)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_MOMENT_PATTERNS = {"xs:date": _DATE, "xs:dateTime": _DATE_TIME}
VALUE_TYPES = {
    "xs:string", "xs:anyURI", "xs:boolean", "xs:decimal", "xs:double", "xs:float", "xs:date", "xs:dateTime",
    "xs:time", "xs:duration", "xs:gYear", "xs:gYearMonth", "xs:gMonthDay", "xs:byte", "xs:unsignedByte",
    "xs:unsignedShort", "xs:unsignedInt", "xs:unsignedLong", "xs:nonNegativeInteger", "xs:positiveInteger",
    "xs:negativeInteger", "xs:nonPositiveInteger", *_INTEGERS,
}  # fmt: skip


def is_static(category: Any, value_type: Any) -> bool:
    """Whether an element describes the machine rather than what it does: a model attribute, never a
    reading (category CONSTANT or PARAMETER, or a date or time)."""
    return category in STATIC_CATEGORIES or value_type in MOMENTS


def text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A string AAS V3 can carry (1 to ``limit`` characters of XML text), else None."""
    if isinstance(value, str) and 0 < len(value) <= limit and not _NOT_XML.search(value):
        return value
    return None


def lang_strings(value: Any, limit: int = MAX_TEXT) -> list[dict[str, str]] | None:
    """The valid language strings of ``value``, the first of each language."""
    out: dict[str, dict[str, str]] = {}
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        language, said = entry.get("language"), text(entry.get("text"), limit)
        if isinstance(language, str) and _LANGUAGE.match(language) and said:
            out.setdefault(language.lower(), {"language": language, "text": said})
    return list(out.values()) or None


def reference(value: Any) -> dict[str, Any] | None:
    """An external reference of global keys, or a model reference starting at an identifiable; else None."""
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        return None
    keys = [
        {"type": key["type"], "value": key["value"]}
        for key in value["keys"][:8]
        if isinstance(key, dict) and isinstance(key.get("type"), str) and text(key.get("value"), MAX_ID)
    ]
    if not keys or len(keys) != len(value["keys"]):
        return None
    if value.get("type") == "ExternalReference" and all(k["type"] == "GlobalReference" for k in keys):
        return {"type": "ExternalReference", "keys": keys}
    if value.get("type") == "ModelReference" and len(keys) == 1 and keys[0]["type"] in _IDENTIFIABLES:
        return {"type": "ModelReference", "keys": keys}
    return None


def first_key(ref: dict[str, Any] | None) -> str | None:
    return str(ref["keys"][0]["value"]) if ref else None


def qualifiers(value: Any, platform: set[str]) -> list[dict[str, Any]]:
    """The element's own string qualifiers (cardinality, form hints); the platform's are left out."""
    out = []
    for q in value if isinstance(value, list) else []:
        if not isinstance(q, dict) or q.get("valueType") != "xs:string":
            continue
        kind, value_text = text(q.get("type"), MAX_NAME), text(q.get("value"))
        if kind is None or kind in platform or value_text is None:
            continue
        kept: dict[str, Any] = {"type": kind, "valueType": "xs:string", "value": value_text}
        if q.get("kind") in QUALIFIER_KINDS:
            kept = {"kind": q["kind"], **kept}
        semantic = reference(q.get("semanticId"))
        out.append({"semanticId": semantic, **kept} if semantic else kept)
    return out


def conforms(value_type: str, value: str) -> bool:
    """Whether ``value`` is a lexical value of ``value_type`` (for the types checked here; any other type
    answers False, and the caller writes the value as ``xs:string``)."""
    if value_type in ("xs:string", "xs:anyURI"):
        return text(value) is not None
    if value_type == "xs:boolean":
        return value in ("true", "false", "1", "0")
    if value_type in _INTEGERS:
        low, high = _INTEGERS[value_type]
        return re.fullmatch(r"[+-]?\d{1,20}", value) is not None and low <= int(value) <= high
    if value_type == "xs:decimal":
        return _DECIMAL.match(value) is not None
    if value_type in ("xs:double", "xs:float"):
        return _DOUBLE.match(value) is not None
    pattern, parse = {
        "xs:date": (_DATE, date.fromisoformat),
        "xs:dateTime": (_DATE_TIME, datetime.fromisoformat),
    }.get(value_type, (None, None))
    if pattern is None or parse is None or not pattern.match(value):
        return False
    try:
        parse(value[:10] if value_type == "xs:date" else value)
    except ValueError:
        return False
    return True


def node(element: dict[str, Any], in_list: bool, platform: set[str]) -> dict[str, Any]:
    """The checked skeleton of ``element``: the fields every kind of node has (no idShort inside a list,
    nor when the element's is not one AAS allows: the export then names it)."""
    out: dict[str, Any] = {"modelType": element["modelType"]}
    id_short = text(element.get("idShort"), MAX_NAME)
    if not in_list and id_short and ID_SHORT.match(id_short):
        out["idShort"] = id_short
    if element.get("category") in CATEGORIES:
        out["category"] = element["category"]
    for field, limit in (("displayName", MAX_NAME), ("description", MAX_TEXT)):
        said = lang_strings(element.get(field), limit)
        if said:
            out[field] = said
    semantic = reference(element.get("semanticId"))
    if semantic:  # supplemental semantic ids only beside a main one (AASd-118)
        out["semanticId"] = semantic
        supplemental = [reference(r) for r in element.get("supplementalSemanticIds") or []]
        if supplemental and all(supplemental):
            out["supplementalSemanticIds"] = supplemental
    kept = qualifiers(element.get("qualifiers"), platform)
    if kept:
        out["qualifiers"] = kept
    return out


def list_fields(element: dict[str, Any], children: list[dict[str, Any]]) -> dict[str, Any]:
    """What a SubmodelElementList says of its children (an unknown kind of child: its first child's)."""
    kind = element.get("typeValueListElement")
    if kind not in LIST_TYPES:
        kind = children[0]["modelType"] if children else "SubmodelElementCollection"
    out: dict[str, Any] = {"typeValueListElement": kind}
    semantic = reference(element.get("semanticIdListElement"))
    if semantic:
        out["semanticIdListElement"] = semantic
    if element.get("valueTypeListElement") in VALUE_TYPES:
        out["valueTypeListElement"] = element["valueTypeListElement"]
    if isinstance(element.get("orderRelevant"), bool):
        out["orderRelevant"] = element["orderRelevant"]
    return out


def bare(element: dict[str, Any], skeleton: dict[str, Any]) -> dict[str, Any] | None:
    """An element kept as structure only (no item, no attribute), or None for a kind not kept."""
    kind = element["modelType"]
    if kind not in KEPT:
        return None
    field = KEPT[kind]
    if field == "valueType" and element.get("valueType") in VALUE_TYPES:
        skeleton["valueType"] = element["valueType"]
    elif field == "valueType":
        return None  # a Property or Range must say its value type
    elif field == "contentType":
        content_type = text(element.get("contentType"), 128)  # required: a file of unknown kind is bytes
        valid = content_type and _MIME.match(content_type)
        skeleton["contentType"] = content_type if valid else "application/octet-stream"
    return skeleton
