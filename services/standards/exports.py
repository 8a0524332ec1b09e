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
"""

from __future__ import annotations

import json
import re
from typing import Any

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


def _element(version: VersionOut, base_url: str, item: DataItem) -> dict[str, Any]:
    qualifiers: list[dict[str, str]] = [
        {"kind": "TemplateQualifier", **_qualifier("SMT/Cardinality", "ZeroToOne")}
    ]
    mappings = item.mappings.model_dump() if item.mappings else {}
    for kind, field, mapping in ITEM_QUALIFIERS:
        value = getattr(item, field) if field else mappings.get(mapping or "")
        if value is not None:
            qualifiers.append(_qualifier(kind, str(value)))
    if item.allowed_values:
        qualifiers.append(_qualifier("AllowedValues", json.dumps(item.allowed_values, ensure_ascii=False)))
    element: dict[str, Any] = {
        "modelType": "Property",
        "idShort": item.id,
        "valueType": _XS_TYPES[item.data_type],
        "displayName": _lang_strings(item.name.ko, item.name.en),
        "description": _lang_strings(item.name.ko, item.name.en),
        "qualifiers": qualifiers,
        "semanticId": _reference(concept_id(version, base_url, item)),
    }
    return element


_NOT_ID_SHORT = re.compile(r"[^A-Za-z0-9_]+")


def _attribute(attribute: Attribute, taken: set[str]) -> dict[str, Any]:
    """A model attribute as a PARAMETER Property (set once, not a reading); its name, which may hold
    characters an idShort may not (``Identification/SerialNumber``), rides in the AttributeName qualifier."""
    base = _NOT_ID_SHORT.sub("_", attribute.name).strip("_") or "attribute"
    base = base if base[0].isalpha() else f"a_{base}"
    id_short, n = base, 2
    while id_short in taken:
        id_short, n = f"{base}_{n}", n + 1
    taken.add(id_short)
    qualifiers = [_qualifier(ATTRIBUTE_NAME, attribute.name)]
    if attribute.source:
        qualifiers.append(_qualifier("Source", attribute.source))
    element: dict[str, Any] = {
        "modelType": "Property",
        "idShort": id_short,
        "category": "PARAMETER",
        "valueType": "xs:string",
        "qualifiers": qualifiers,
    }
    if attribute.value is not None:
        element["value"] = attribute.value
    return element


def aas_submodel(version: VersionOut, base_url: str) -> dict[str, Any]:
    model_url = _model_url(version, base_url)
    extensions = [
        {"name": EXT_EQUIPMENT_TYPE, "valueType": "xs:string", "value": version.equipment_type},
        {"name": EXT_SEMANTIC_VERSION, "valueType": "xs:string", "value": version.version},
    ]
    major, minor = version.version.split(".")[:2]
    taken = {item.id for item in version.items}
    if version.ideal_cycle_time_s is not None:
        extensions.append(
            {"name": EXT_IDEAL_CYCLE_TIME, "valueType": "xs:double", "value": str(version.ideal_cycle_time_s)}
        )
    return {
        "modelType": "Submodel",
        "kind": "Template",
        "id": f"{model_url}/versions/{version.version}/aas",
        "idShort": version.model_id.replace("-", "_"),
        "semanticId": _reference(model_url),
        "administration": {"version": major, "revision": minor},
        "displayName": _lang_strings(version.name.ko, version.name.en),
        "extensions": extensions,
        "submodelElements": [
            *(_element(version, base_url, item) for item in version.items),
            *(_attribute(attribute, taken) for attribute in version.attributes),
        ],
    }


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


def aas_environment(version: VersionOut, base_url: str) -> dict[str, Any]:
    """The submodel template with the IEC 61360 concept description of every item (AAS V3 Environment)."""
    concepts: dict[str, dict[str, Any]] = {}
    for item in version.items:
        concepts.setdefault(concept_id(version, base_url, item), concept_description(version, base_url, item))
    return {"submodels": [aas_submodel(version, base_url)], "conceptDescriptions": list(concepts.values())}
