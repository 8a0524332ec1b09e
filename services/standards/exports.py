"""A model version as JSON Schema (one telemetry reading) and as an AAS submodel template (V3 JSON).

The AAS template carries everything a version holds, so importing it gives the same version back: the
item's fields ride in qualifiers (Category, Unit, Min, Max, Role, AllowedValues, mappings, Source), the
equipment type, ideal cycle time and full semantic version in the submodel's extensions, and every item has
an IEC 61360 concept description (names, unit, data type, value list) reached through its semanticId.

The export is valid AAS V3 as the official SDK (aas-core3.0) verifies it, which shapes three choices:
- ``administration`` holds the major version and the minor as revision (each must be digits alone); the
  whole ``1.2.3`` rides in the ``SemanticVersion`` extension.
- An item without a semantic id of its own gets one the platform names under the model's URL
  (``…/standards/{model}/items/{item}``; AASd-118 forbids supplemental ids without a main one); an import
  recognises that shape (``is_platform_concept``) and keeps the item's semantic id empty.
- Concept descriptions are listed once per id, however many items share a semantic id.
Model attributes (nameplate facts) are Properties of category PARAMETER, which the import reads back as
attributes, not readings.

A version imported from an AAS submodel keeps the submodel's structure (``aas_structure``): its export gives
the template's nesting, order, idShorts, semanticIds, categories and own qualifiers back, each item and
attribute where its element was (an attribute as the element it came from, with its value and value type).
The submodel's own id rides in ``administration.templateId``, its id being the version's URL. Items and
attributes the structure does not place (added later, or a model not imported from AAS) follow at the top
level, flat, as above.
"""

from __future__ import annotations

import json
import re
from typing import Any

from services.standards import aas_structure
from services.standards.schemas import Attribute, DataItem, Mappings, VersionOut

_JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "string": "string"}
_XS_TYPES = {"float": "xs:double", "int": "xs:int", "bool": "xs:boolean", "string": "xs:string"}
# IEC 61360 types of an item without a unit: a measure needs one (AASc-3a-009), a count does not.
_IEC_TYPES = {"float": "REAL_COUNT", "int": "INTEGER_COUNT", "bool": "BOOLEAN", "string": "STRING"}
_IEC_MEASURES = {"float": "REAL_MEASURE", "int": "INTEGER_MEASURE"}
IEC_61360 = "https://admin-shell.io/DataSpecificationTemplates/DataSpecificationIec61360/3/0"
_STANDARDS = {"opcua": "OpcUa", "mtconnect": "MTConnect"}


def _mapping_qualifier(field: str) -> str:
    """``mtconnect_data_item_id`` -> ``MTConnectDataItemId``: every mapping field rides in its qualifier."""
    standard, _, rest = field.partition("_")
    return _STANDARDS[standard] + "".join(word.capitalize() for word in rest.split("_"))


# Qualifier types of an item's fields: (qualifier type, item field, mapping field or None).
ITEM_QUALIFIERS = (
    ("Category", "category", None),
    ("Unit", "unit", None),
    ("Min", "min", None),
    ("Max", "max", None),
    ("Role", "role", None),
    ("Source", "source", None),
    *((_mapping_qualifier(field), None, field) for field in Mappings.model_fields),
)
EXT_EQUIPMENT_TYPE = "EquipmentType"
EXT_IDEAL_CYCLE_TIME = "IdealCycleTimeS"
EXT_SEMANTIC_VERSION = "SemanticVersion"
ATTRIBUTE_NAME = "AttributeName"
_PLATFORM_CONCEPT = re.compile(r"/api/v1/standards/[^/]+/items/[a-z][a-z0-9_]{0,63}$")
_PLATFORM_MODEL = re.compile(r"/api/v1/standards/[a-z][a-z0-9-]{2,63}$")
_PLATFORM_SUBMODEL = re.compile(r"/api/v1/standards/[a-z][a-z0-9-]{2,63}/versions/[^/]+/aas$")
_TEMPLATE_CARDINALITY = {"kind": "TemplateQualifier", "type": "SMT/Cardinality", "valueType": "xs:string"}


def _value_schema(item: DataItem) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _JSON_TYPES[item.data_type]}
    if item.min is not None:
        schema["minimum"] = item.min
    if item.max is not None:
        schema["maximum"] = item.max
    if item.allowed_values:
        schema["enum"] = item.allowed_values
    return schema


def json_schema(version: VersionOut, base_url: str) -> dict[str, Any]:
    variants = []
    for item in version.items:
        properties: dict[str, Any] = {"item_id": {"const": item.id}, "value": _value_schema(item)}
        if item.unit:
            properties["unit"] = {"const": item.unit}
        variants.append(
            {"title": item.name.en or item.name.ko, "description": item.name.ko, "properties": properties}
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}/api/v1/standards/{version.model_id}/versions/{version.version}/json-schema",
        "title": f"{version.name.ko} {version.version} reading",
        "type": "object",
        "required": ["equipment_id", "item_id", "ts", "value"],
        "properties": {
            "equipment_id": {"type": "string", "minLength": 1},
            "model_id": {"const": version.model_id},
            "model_version": {"const": version.version},
            "item_id": {"enum": [i.id for i in version.items]},
            "ts": {"type": "string", "format": "date-time"},
            "value": {},
            "unit": {"type": "string"},
            "quality": {"enum": ["good", "uncertain", "bad"]},
        },
        "oneOf": variants,
    }


def _lang_strings(ko: str, en: str | None) -> list[dict[str, str]]:
    return [{"language": "ko", "text": ko}] + ([{"language": "en", "text": en}] if en else [])


def _reference(value: str) -> dict[str, Any]:
    return {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": value}]}


def _qualifier(kind: str, value: str) -> dict[str, str]:
    return {"type": kind, "valueType": "xs:string", "value": value}


def _model_url(version: VersionOut, base_url: str) -> str:
    return f"{base_url}/api/v1/standards/{version.model_id}"


def concept_id(version: VersionOut, base_url: str, item: DataItem) -> str:
    """The item's concept description: its semantic id, else one the platform names for it."""
    return item.semantic_id or f"{_model_url(version, base_url)}/items/{item.id}"


def is_platform_concept(semantic_id: str) -> bool:
    """Whether a semantic id is one ``concept_id`` named for an item that had none (on any host)."""
    return _PLATFORM_CONCEPT.search(semantic_id) is not None


def is_platform_model(semantic_id: str) -> bool:
    """Whether a submodel's semantic id is a platform model's URL (a platform export, on any host)."""
    return _PLATFORM_MODEL.search(semantic_id) is not None


def is_platform_submodel(submodel_id: str) -> bool:
    """Whether a submodel's id is a platform version's URL (an export: its template is its templateId)."""
    return _PLATFORM_SUBMODEL.search(submodel_id) is not None


_NOT_ID_SHORT = re.compile(r"[^A-Za-z0-9_]+")


def _unique(name: str, taken: set[str]) -> str:
    """``name`` as an idShort (kept if it is one) not yet taken in its collection (AASd-022)."""
    base = (
        name if aas_structure.ID_SHORT.match(name) else _NOT_ID_SHORT.sub("_", name).strip("_") or "element"
    )
    base = base if base[0].isalpha() else f"a_{base}"
    id_short, n = base, 2
    while id_short in taken:
        id_short, n = f"{base}_{n}", n + 1
    taken.add(id_short)
    return id_short


def _written(*fields: tuple[str, Any]) -> dict[str, Any]:
    """An element with its fields in the order given, those without a value left out."""
    return {name: value for name, value in fields if value is not None}


def _element(
    version: VersionOut, base_url: str, item: DataItem, id_short: str | None, node: dict[str, Any] | None
) -> dict[str, Any]:
    """An item as the element it came from (``node``: its kind, category, value type, description and own
    qualifiers), else as a Property; its names, unit, range and semantic id are always the item's."""
    own = node.get("qualifiers", []) if node else [{**_TEMPLATE_CARDINALITY, "value": "ZeroToOne"}]
    qualifiers: list[dict[str, str]] = list(own)
    mappings = item.mappings.model_dump() if item.mappings else {}
    for kind, field, mapping in ITEM_QUALIFIERS:
        value = getattr(item, field) if field else mappings.get(mapping or "")
        if value is not None:
            qualifiers.append(_qualifier(kind, str(value)))
    if item.allowed_values:
        qualifiers.append(_qualifier("AllowedValues", json.dumps(item.allowed_values, ensure_ascii=False)))
    node = node or {}
    kind = node.get("modelType", "Property")
    # The element's own value type while the item keeps its data type (xs:decimal stays xs:decimal).
    own_type = node.get("valueType") if node.get("dataType") == item.data_type else None
    value_type = own_type or _XS_TYPES[item.data_type]
    names = _lang_strings(item.name.ko, item.name.en)
    ranged = kind == "Range"
    return _written(
        ("modelType", kind),
        ("idShort", id_short),
        ("category", node.get("category")),
        ("valueType", None if kind == "MultiLanguageProperty" else value_type),
        ("displayName", names),
        ("description", node.get("description", names)),
        ("qualifiers", qualifiers),
        ("semanticId", _reference(concept_id(version, base_url, item))),
        ("min", _range_end(value_type, item.min) if ranged else None),
        ("max", _range_end(value_type, item.max) if ranged else None),
    )


def _range_end(value_type: str, end: float | None) -> str | None:
    if end is None:
        return None
    written = str(int(end)) if end.is_integer() and value_type not in ("xs:double", "xs:float") else str(end)
    return written if aas_structure.conforms(value_type, written) else None


def _attribute(attribute: Attribute, id_short: str | None, node: dict[str, Any] | None) -> dict[str, Any]:
    """A model attribute as the element it came from (``node``), with its value written in the element's
    value type when the value is one (else as ``xs:string``); without a node, a PARAMETER Property (set once,
    not a reading). Its name, which may hold characters an idShort may not (``Identification/SerialNumber``),
    rides in the AttributeName qualifier."""
    node = node or {}
    qualifiers = [*node.get("qualifiers", []), _qualifier(ATTRIBUTE_NAME, attribute.name)]
    if attribute.source:
        qualifiers.append(_qualifier("Source", attribute.source))
    kind = node.get("modelType", "Property")
    value_type: str | None = node.get("valueType", "xs:string")
    value: Any = attribute.value
    low = high = None
    if kind == "MultiLanguageProperty":
        value_type = None
        value = [{"language": node.get("language", "en"), "text": value}] if value else None
    elif kind == "Range":
        low, _, high = (value or "").partition("..")
        if not all(aas_structure.conforms(str(value_type), end) for end in (low, high) if end):
            value_type = "xs:string"
        low, high, value = low or None, high or None, None
    elif value is not None and not aas_structure.conforms(str(value_type), value):
        value_type = "xs:string"
    static = aas_structure.is_static(node.get("category"), value_type)
    return _written(
        ("modelType", kind),
        ("idShort", id_short),
        # A value written as xs:string no longer says "date": the category keeps it an attribute.
        ("category", node.get("category") if static else "PARAMETER"),
        ("valueType", value_type),
        ("displayName", node.get("displayName")),
        ("description", node.get("description")),
        ("qualifiers", qualifiers),
        ("semanticId", node.get("semanticId")),
        ("value", value),
        ("min", low),
        ("max", high),
    )


class _Structure:
    """The submodel's elements from a stored structure: each node where the template had it, with the item
    or attribute it points at (a node whose item or attribute is gone is left out)."""

    def __init__(self, version: VersionOut, base_url: str) -> None:
        self.version, self.base_url = version, base_url
        self.items = {item.id: item for item in version.items}
        self.attributes = {attribute.name: attribute for attribute in version.attributes}

    def elements(self, nodes: list[dict[str, Any]], taken: set[str] | None) -> list[dict[str, Any]]:
        """The elements of ``nodes``; ``taken`` holds the idShorts of their collection (None in a list,
        whose elements have none)."""
        out = []
        for node in nodes:
            element = self.element(node, taken)
            if element is not None:
                out.append(element)
        return out

    def element(self, node: dict[str, Any], taken: set[str] | None) -> dict[str, Any] | None:
        def id_short(fallback: str) -> str | None:
            return None if taken is None else _unique(node.get("idShort", fallback), taken)

        if "item" in node:
            item = self.items.pop(node["item"], None)
            return _element(self.version, self.base_url, item, id_short(item.id), node) if item else None
        if "attribute" in node:
            attribute = self.attributes.pop(node["attribute"], None)
            return _attribute(attribute, id_short(attribute.name), node) if attribute else None
        kind = node["modelType"]
        children = None
        if kind in aas_structure.STRUCTURE:
            listed = kind == "SubmodelElementList"
            children = self.elements(node.get("value", []), None if listed else set())
        element = _written(
            ("modelType", kind),
            ("idShort", id_short(kind)),
            ("category", node.get("category")),
            ("valueType", node.get("valueType")),
            ("contentType", node.get("contentType")),
            ("displayName", node.get("displayName")),
            ("description", node.get("description")),
            ("qualifiers", node.get("qualifiers")),
            ("semanticId", node.get("semanticId")),
            ("supplementalSemanticIds", node.get("supplementalSemanticIds")),
        )
        if kind == "SubmodelElementList":
            element.update(_list_fields(node, children or []))
        elif children:  # AAS: a collection's value is absent rather than empty
            element["value"] = children
        return element


def _list_fields(node: dict[str, Any], children: list[dict[str, Any]]) -> dict[str, Any]:
    """A list's description of its children and the children that fit it: of its kind (AASd-108), of one
    semantic id (AASd-114), of its value type (AASd-109); its semanticIdListElement only while every child
    carries that id (AASd-107)."""
    kind = node["typeValueListElement"]
    fields: dict[str, Any] = {"typeValueListElement": kind}
    children = [c for c in children if c["modelType"] == kind]
    semantics = [c["semanticId"] for c in children if "semanticId" in c]
    children = (
        [c for c in children if c.get("semanticId", semantics[0]) == semantics[0]] if semantics else children
    )
    if kind in ("Property", "Range"):
        value_type = node.get("valueTypeListElement") or (
            children[0]["valueType"] if children else "xs:string"
        )
        children = [c for c in children if c["valueType"] == value_type]
        fields["valueTypeListElement"] = value_type
    elif "valueTypeListElement" in node:
        fields["valueTypeListElement"] = node["valueTypeListElement"]
    semantic = node.get("semanticIdListElement")
    if semantic and all(c.get("semanticId", semantic) == semantic for c in children):
        fields["semanticIdListElement"] = semantic
    if "orderRelevant" in node:
        fields["orderRelevant"] = node["orderRelevant"]
    if children:
        fields["value"] = children
    return fields


def aas_submodel(
    version: VersionOut, base_url: str, structure: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The version as a submodel template; with the AAS ``structure`` it was imported with, nested as the
    source was."""
    model_url = _model_url(version, base_url)
    extensions = [
        {"name": EXT_EQUIPMENT_TYPE, "valueType": "xs:string", "value": version.equipment_type},
        {"name": EXT_SEMANTIC_VERSION, "valueType": "xs:string", "value": version.version},
    ]
    major, minor = version.version.split(".")[:2]
    if version.ideal_cycle_time_s is not None:
        extensions.append(
            {"name": EXT_IDEAL_CYCLE_TIME, "valueType": "xs:double", "value": str(version.ideal_cycle_time_s)}
        )
    structure = structure or {}
    taken: set[str] = set()
    placed = _Structure(version, base_url)
    elements = placed.elements(structure.get("elements", []), taken)
    elements += [
        _element(version, base_url, item, _unique(item.id, taken), None) for item in placed.items.values()
    ]
    elements += [
        _attribute(attribute, _unique(attribute.name, taken), None)
        for attribute in placed.attributes.values()
    ]
    administration = {"version": major, "revision": minor}
    if structure.get("id"):
        administration["templateId"] = structure["id"]
    return _written(
        ("modelType", "Submodel"),
        ("kind", "Template"),
        ("id", f"{model_url}/versions/{version.version}/aas"),
        ("idShort", structure.get("idShort") or version.model_id.replace("-", "_")),
        ("semanticId", structure.get("semanticId") or _reference(model_url)),
        ("administration", administration),
        ("description", structure.get("description")),
        ("displayName", _lang_strings(version.name.ko, version.name.en)),
        ("extensions", extensions),
        ("submodelElements", elements),
    )


def concept_description(version: VersionOut, base_url: str, item: DataItem) -> dict[str, Any]:
    # IEC 61360 wants the preferred name and definition in English at least (AASc-3a-002, -008).
    english = item.name.en or item.id
    content: dict[str, Any] = {
        "modelType": "DataSpecificationIec61360",
        "preferredName": _lang_strings(item.name.ko, english),
        "shortName": [{"language": "en", "text": item.id[:18]}],
        "dataType": _IEC_TYPES[item.data_type],
        "definition": _lang_strings(item.name.ko, item.source or english),
    }
    if item.unit:
        content["unit"] = item.unit
        content["dataType"] = _IEC_MEASURES.get(item.data_type, content["dataType"])
    if item.allowed_values:
        cd = concept_id(version, base_url, item)
        content["valueList"] = {
            "valueReferencePairs": [
                {"value": value, "valueId": _reference(f"{cd}#{value}")} for value in item.allowed_values
            ]
        }
    return {
        "modelType": "ConceptDescription",
        "id": concept_id(version, base_url, item),
        "idShort": item.id,
        "embeddedDataSpecifications": [
            {"dataSpecification": _reference(IEC_61360), "dataSpecificationContent": content}
        ],
    }


def aas_environment(
    version: VersionOut, base_url: str, structure: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The submodel template with the IEC 61360 concept description of every item (AAS V3 Environment)."""
    concepts: dict[str, dict[str, Any]] = {}
    for item in version.items:
        concepts.setdefault(concept_id(version, base_url, item), concept_description(version, base_url, item))
    return {
        "submodels": [aas_submodel(version, base_url, structure)],
        "conceptDescriptions": list(concepts.values()),
    }
