"""A model version as JSON Schema (one telemetry reading) and as an AAS submodel template (V3 JSON)."""

from __future__ import annotations

from typing import Any

from services.standards.schemas import DataItem, VersionOut

_JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "string": "string"}
_XS_TYPES = {"float": "xs:double", "int": "xs:int", "bool": "xs:boolean", "string": "xs:string"}


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


def aas_submodel(version: VersionOut, base_url: str) -> dict[str, Any]:
    elements = []
    for item in version.items:
        qualifiers = [
            {"type": "SMT/Cardinality", "valueType": "xs:string", "value": "ZeroToMany"},
            {"type": "Category", "valueType": "xs:string", "value": item.category},
        ]
        for kind, value in (("Unit", item.unit), ("Min", item.min), ("Max", item.max)):
            if value is not None:
                qualifiers.append({"type": kind, "valueType": "xs:string", "value": str(value)})
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
        elements.append(element)
    model_url = f"{base_url}/api/v1/standards/{version.model_id}"
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
        "submodelElements": elements,
    }
