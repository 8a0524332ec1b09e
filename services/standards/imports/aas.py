"""AAS metamodel V3 JSON (an Environment, or one Submodel / submodel template) into a draft model.

Properties, MultiLanguageProperties and Ranges become items; SubmodelElementCollections and Lists are
walked, their idShorts prefixing the item ids. An item's fields come from its qualifiers (as this platform
exports them: Category, Unit, Min, Max, Role, AllowedValues, Source, mapping qualifiers), else from its IEC
61360 concept description (preferred name, unit, data type, value list), else from the element itself.

What describes the machine rather than what it does becomes a model attribute, never a reading: an element
whose AAS category is CONSTANT or PARAMETER (a nameplate's serial number, a configured limit), and a date
or time (a commissioning date). Collections and lists are structure: every element inside them is counted,
so the report's mapped, attribute and dropped counts add up to the document's elements.
Exporting a version, importing the export and exporting again gives the same template.

The submodel's nesting is kept beside the items (``Draft.structure``, see ``aas_structure``): each element's
skeleton in document order, pointing at the item or attribute it became, so the export gives the template's
collections, lists, idShorts and semanticIds back. Of a submodel that is itself a platform export (its
semanticId is a platform model's URL) only the elements' structure is kept: the new model names itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from services.kit.errors import BadRequest, ValidationFailed, field_error
from services.kit.messages import Msg
from services.standards import aas_structure
from services.standards.exports import (
    ATTRIBUTE_NAME,
    EXT_EQUIPMENT_TYPE,
    EXT_IDEAL_CYCLE_TIME,
    ITEM_QUALIFIERS,
    is_platform_concept,
    is_platform_model,
    is_platform_submodel,
)
from services.standards.imports.draft import Draft, Reason, snake_id
from services.standards.imports.units import platform_unit
from services.standards.schemas import DataItem

XS_TYPES = {
    "xs:double": "float", "xs:float": "float", "xs:decimal": "float",
    "xs:int": "int", "xs:integer": "int", "xs:long": "int", "xs:short": "int", "xs:byte": "int",
    "xs:unsignedInt": "int", "xs:unsignedLong": "int", "xs:unsignedShort": "int", "xs:unsignedByte": "int",
    "xs:nonNegativeInteger": "int", "xs:positiveInteger": "int",
    "xs:boolean": "bool", "xs:string": "string", "xs:anyURI": "string",
}  # fmt: skip
IEC_TYPES = {
    "REAL_MEASURE": "float", "REAL_COUNT": "float", "REAL_CURRENCY": "float",
    "INTEGER_MEASURE": "int", "INTEGER_COUNT": "int", "INTEGER_CURRENCY": "int",
    "BOOLEAN": "bool", "STRING": "string", "STRING_TRANSLATABLE": "string",
}  # fmt: skip
ITEM_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
REPEATABLE = {"ZeroToMany", "OneToMany"}
STRUCTURE = aas_structure.STRUCTURE
READINGS = ("Property", "MultiLanguageProperty", "Range")
# Qualifiers the export writes from an item or attribute: not kept as the element's own.
PLATFORM_QUALIFIERS = {kind for kind, _, _ in ITEM_QUALIFIERS} | {"AllowedValues", ATTRIBUTE_NAME}


def _load(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))  # JSON travels as UTF-8 (RFC 8259)
    except UnicodeDecodeError as exc:
        raise BadRequest(
            Msg("the document is not UTF-8 text"), fields=[field_error("body", Msg("not UTF-8"))]
        ) from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(
            Msg(
                "not valid JSON: {msg} (line {lineno}, column {colno})",
                msg=exc.msg,
                lineno=exc.lineno,
                colno=exc.colno,
            ),
            fields=[
                field_error(
                    "body",
                    Msg("invalid JSON at line {lineno}, column {colno}", lineno=exc.lineno, colno=exc.colno),
                )
            ],
        ) from exc
    except RecursionError as exc:
        raise BadRequest(
            Msg("the JSON document nests too deeply"), fields=[field_error("body", Msg("nesting too deep"))]
        ) from exc


def _not_aas(what: Msg) -> ValidationFailed:
    return ValidationFailed(
        Msg("not an AAS V3 Environment or Submodel: {what}", what=what), fields=[field_error("body", what)]
    )


def _langs(value: Any) -> dict[str, str]:
    """``[{"language": "ko", "text": ...}]`` as ``{"ko": ..., "en": ...}`` (first of each language)."""
    out: dict[str, str] = {}
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("text"), str):
            lang = str(entry.get("language", "")).lower()[:2]
            out.setdefault(lang, entry["text"])
    return out


def _first_key(reference: Any) -> str | None:
    keys = reference.get("keys") if isinstance(reference, dict) else None
    if (
        isinstance(keys, list)
        and keys
        and isinstance(keys[0], dict)
        and isinstance(keys[0].get("value"), str)
    ):
        return str(keys[0]["value"])
    return None


def _iec(concept: dict[str, Any] | None) -> dict[str, Any]:
    for spec in (concept or {}).get("embeddedDataSpecifications") or []:
        content = spec.get("dataSpecificationContent") if isinstance(spec, dict) else None
        if isinstance(content, dict):
            return content
    return {}


def _qualifiers(element: dict[str, Any]) -> dict[str, str]:
    return {
        str(q["type"]): str(q.get("value", ""))
        for q in element.get("qualifiers") or []
        if isinstance(q, dict) and "type" in q
    }


def _number(text: Any, what: str, notes: list[Reason]) -> float | None:
    if text in (None, ""):
        return None
    try:
        return float(text)
    except (ValueError, TypeError):
        notes.append(Msg("{what} '{text}' is not a number: ignored", what=what, text=text))
        return None


def _static_value(element: dict[str, Any]) -> tuple[str | None, str | None]:
    """The value a template gives (templates mostly leave it to each machine: None), and the language of a
    multi-language text's (Korean, else English, else the first)."""
    if element.get("modelType") == "MultiLanguageProperty":
        texts = _langs(element.get("value"))
        language = next((lang for lang in ("ko", "en", *texts) if texts.get(lang)), None)
        return (texts[language], language) if language else (None, None)
    if element.get("modelType") == "Range":
        low, high = element.get("min"), element.get("max")
        return (None if low is None and high is None else f"{low or ''}..{high or ''}"), None
    value = element.get("value")
    return (str(value) if value not in (None, "") else None), None


class _Walk:
    def __init__(self, draft: Draft, concepts: dict[str, dict[str, Any]]) -> None:
        self.draft, self.concepts = draft, concepts
        self.counted = 0

    def elements(self, elements: Any, prefix: list[str], path: str, in_list: bool) -> list[dict[str, Any]]:
        """Walk ``elements``; answer their structure nodes (``aas_structure``) in document order."""
        nodes: list[dict[str, Any]] = []
        for n, element in enumerate(elements if isinstance(elements, list) else []):
            if not isinstance(element, dict):
                self.counted += 1
                self.draft.drop(f"{path}[{n}]", Msg("not an object"))
                continue
            id_short = str(element.get("idShort") or n)
            source = f"{path}/{id_short}"
            kind = element.get("modelType")
            node = aas_structure.node(element, in_list, PLATFORM_QUALIFIERS) if isinstance(kind, str) else {}
            if kind in STRUCTURE:
                if _qualifiers(element).get("SMT/Cardinality") in REPEATABLE:
                    self.draft.notes.append(
                        Msg("{source} may repeat; its items are imported once", source=source)
                    )
                is_list = kind == "SubmodelElementList"
                node["value"] = self.elements(element.get("value"), [*prefix, id_short], source, is_list)
                if is_list:
                    node.update(aas_structure.list_fields(element, node["value"]))
                nodes.append(node)
                continue
            self.counted += 1
            kept: dict[str, Any] | None = None
            if kind in READINGS and aas_structure.is_static(
                element.get("category"), element.get("valueType")
            ):
                name = _qualifiers(element).get(ATTRIBUTE_NAME) or "/".join([*prefix, id_short])
                value, language = _static_value(element)
                attribute = self.draft.attribute(source, name, value)
                kept = aas_structure.bare(element, {**node, "attribute": attribute.name})
                if kept is not None and language:
                    kept["language"] = language
            elif kind in READINGS:
                item = self.item(element, prefix, id_short, source)
                kept = aas_structure.bare(element, node)
                if item is not None and kept is not None:
                    kept.update(item=item.id, dataType=item.data_type)
            else:
                self.draft.drop(
                    source, Msg("a {kind} holds no reading", kind=kind or "element without modelType")
                )
                kept = aas_structure.bare(element, node) if node else None
            if kept is not None:
                nodes.append(kept)
        return nodes

    def item(self, element: dict[str, Any], prefix: list[str], id_short: str, source: str) -> DataItem | None:
        notes: list[Reason] = []
        qualifiers = _qualifiers(element)
        named = _first_key(element.get("semanticId"))
        concept_ids = [named] + [_first_key(r) for r in element.get("supplementalSemanticIds") or []]
        concept = _iec(next((self.concepts[c] for c in concept_ids if c in self.concepts), None))
        semantic_id = None if named is None or is_platform_concept(named) else named
        kind = element["modelType"]
        if kind == "MultiLanguageProperty":
            data_type: str | None = "string"
            notes.append(Msg("a multi-language text: imported as a string item"))
        else:
            value_type = element.get("valueType")
            data_type = (
                XS_TYPES.get(str(value_type)) if value_type else IEC_TYPES.get(concept.get("dataType", ""))
            )
        if data_type is None:
            self.draft.drop(
                source,
                Msg("value type {value_type} is not a single reading", value_type=element.get("valueType")),
            )
            return None
        unit_text = qualifiers.get("Unit") or concept.get("unit")
        unit = platform_unit(unit_text)
        if unit_text and unit is None:
            self.draft.drop(source, Msg("unit '{unit}' has no platform equivalent", unit=unit_text))
            return None
        numeric = data_type in ("float", "int")
        lo = _number(qualifiers.get("Min") or (element.get("min") if kind == "Range" else None), "Min", notes)
        hi = _number(qualifiers.get("Max") or (element.get("max") if kind == "Range" else None), "Max", notes)
        allowed: list[str] | None = None
        if "AllowedValues" in qualifiers:
            try:
                allowed = [str(v) for v in json.loads(qualifiers["AllowedValues"])]
            except (ValueError, TypeError):
                notes.append(Msg("AllowedValues qualifier is not a JSON list: ignored"))
        elif isinstance(concept.get("valueList"), dict):
            pairs = concept["valueList"].get("valueReferencePairs") or []
            allowed = [str(p["value"]) for p in pairs if isinstance(p, dict) and "value" in p] or None
        names = _langs(element.get("displayName")) or _langs(concept.get("preferredName"))
        english = names.get("en") or id_short
        if "ko" not in names:
            notes.append(Msg("no Korean name: the English name stands in"))
        plain = id_short if not prefix and ITEM_ID.match(id_short) else snake_id(*prefix, id_short)
        mappings = {m: qualifiers.get(q) for q, f, m in ITEM_QUALIFIERS if m}
        candidate: dict[str, Any] = {
            "id": plain,
            "name": {"ko": names.get("ko") or english, "en": names.get("en")},
            "category": qualifiers.get("Category") or ("SAMPLE" if numeric and unit else "EVENT"),
            "data_type": data_type,
            "unit": unit,
            "min": lo if numeric else None,
            "max": hi if numeric else None,
            "semantic_id": semantic_id,
            "allowed_values": allowed,
            "role": qualifiers.get("Role"),
            "source": qualifiers.get("Source"),
            "mappings": {k: v for k, v in mappings.items() if v} or None,
        }
        return self.draft.add(source, candidate, notes)


def parse(data: bytes) -> Draft:
    document = _load(data)
    if not isinstance(document, dict):
        raise _not_aas(Msg("the top level is not an object"))
    if "submodels" in document:
        submodels = document["submodels"]
        if not isinstance(submodels, list) or not submodels or not isinstance(submodels[0], dict):
            raise _not_aas(Msg("the Environment has no submodel"))
    elif document.get("modelType") == "Submodel":
        submodels = [document]
    else:
        raise _not_aas(Msg("neither 'submodels' nor modelType Submodel"))
    concepts = {
        str(c["id"]): c
        for c in document.get("conceptDescriptions") or []
        if isinstance(c, dict) and isinstance(c.get("id"), str)
    }
    submodel = submodels[0]
    names = _langs(submodel.get("displayName"))
    id_short = str(submodel.get("idShort") or "submodel")
    extensions = {
        str(e.get("name")): e.get("value") for e in submodel.get("extensions") or [] if isinstance(e, dict)
    }
    draft = Draft(
        title=names.get("ko") or names.get("en") or id_short,
        title_en=names.get("en"),
        equipment_type=str(extensions.get(EXT_EQUIPMENT_TYPE) or snake_id(id_short).upper()),
    )
    ideal_notes: list[Reason] = []
    draft.ideal_cycle_time_s = _number(extensions.get(EXT_IDEAL_CYCLE_TIME), "IdealCycleTimeS", ideal_notes)
    draft.notes.extend(ideal_notes)
    for other in submodels[1:]:
        other_id = other.get("idShort") if isinstance(other, dict) else None
        draft.notes.append(Msg("submodel {other_id} not imported: one model per submodel", other_id=other_id))
    walk = _Walk(draft, concepts)
    nodes = walk.elements(submodel.get("submodelElements"), [], id_short, False)
    draft.elements = walk.counted
    semantic = aas_structure.reference(submodel.get("semanticId"))
    own = not is_platform_model(aas_structure.first_key(semantic) or "")
    template_id = aas_structure.text(submodel.get("id"), aas_structure.MAX_ID)
    if template_id and is_platform_submodel(template_id):  # an export: the template it was made from
        administration = submodel.get("administration")
        kept = administration.get("templateId") if isinstance(administration, dict) else None
        template_id = aas_structure.text(kept, aas_structure.MAX_ID)
    draft.structure = {
        "id": template_id if own else None,
        "idShort": id_short if own and aas_structure.ID_SHORT.match(id_short) else None,
        "semanticId": semantic if own else None,
        "description": aas_structure.lang_strings(submodel.get("description")) if own else None,
        "elements": nodes,
    }
    return draft
