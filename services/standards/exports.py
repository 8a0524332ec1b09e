"""A model version as JSON Schema (one telemetry reading) and as an AAS submodel template (V3 JSON).

The AAS template carries everything a version holds, so importing it gives the same version back: the
item's fields ride in qualifiers (Category, Unit, Min, Max, Role, AllowedValues, mappings, Source), the
equipment type and ideal cycle time in the submodel's extensions, and every item has an IEC 61360 concept
description (names, unit, data type, value list) reached through its semanticId, or through a supplemental
semantic id when the item has no semantic id of its own.
"""

from __future__ import annotations

import json
from typing import Any

from services.standards.schemas import DataItem, VersionOut

_JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "string": "string"}
_XS_TYPES = {"float": "xs:double", "int": "xs:int", "bool": "xs:boolean", "string": "xs:string"}
_IEC_TYPES = {"float": "REAL_MEASURE", "int": "INTEGER_COUNT", "bool": "BOOLEAN", "string": "STRING"}
IEC_61360 = "https://admin-shell.io/DataSpecificationTemplates/DataSpecificationIec61360/3/0"
# Qualifier types of an item's fields: (qualifier type, item field, mapping field or None).
ITEM_QUALIFIERS = (
    ("Category", "category", None),
    ("Unit", "unit", None),
    ("Min", "min", None),
    ("Max", "max", None),
    ("Role", "role", None),
    ("Source", "source", None),
    ("MTConnectType", None, "mtconnect_type"),
    ("MTConnectSubType", None, "mtconnect_sub_type"),
    ("OpcUaBrowseName", None, "opcua_browse_name"),
    ("OpcUaNodeId", None, "opcua_node_id"),
)
EXT_EQUIPMENT_TYPE = "EquipmentType"
EXT_IDEAL_CYCLE_TIME = "IdealCycleTimeS"


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
    }
    if item.semantic_id:
        element["semanticId"] = _reference(item.semantic_id)
    else:
        element["supplementalSemanticIds"] = [_reference(concept_id(version, base_url, item))]
    return element


def aas_submodel(version: VersionOut, base_url: str) -> dict[str, Any]:
    model_url = _model_url(version, base_url)
    extensions = [{"name": EXT_EQUIPMENT_TYPE, "valueType": "xs:string", "value": version.equipment_type}]
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
        "administration": {
            "version": version.version.split(".")[0],
            "revision": ".".join(version.version.split(".")[1:]),
        },
        "displayName": _lang_strings(version.name.ko, version.name.en),
        "extensions": extensions,
        "submodelElements": [_element(version, base_url, item) for item in version.items],
    }


def concept_description(version: VersionOut, base_url: str, item: DataItem) -> dict[str, Any]:
    content: dict[str, Any] = {
        "modelType": "DataSpecificationIec61360",
        "preferredName": _lang_strings(item.name.ko, item.name.en),
        "shortName": [{"language": "en", "text": item.id[:18]}],
        "dataType": _IEC_TYPES[item.data_type],
        "definition": _lang_strings(item.name.ko, item.source or item.name.en),
    }
    if item.unit:
        content["unit"] = item.unit
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
    return {
        "submodels": [aas_submodel(version, base_url)],
        "conceptDescriptions": [concept_description(version, base_url, item) for item in version.items],
    }
