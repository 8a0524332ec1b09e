"""IDTA submodel templates survive a round trip: template -> import -> export equals the template except for
the differences docs/standards.md lists ("AAS round trip"), written out here one by one; the nesting,
idShorts and semanticIds are asserted literally per template. Every export verifies with aas-core3.0: the
templates' (also after edits), MTConnect and OPC UA imports', and a hostile submodel's."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.interop import SAMPLES
from tests.services.standards.test_aas_verified import problems

URL = "/api/v1/standards"
AAS = SAMPLES / "aas"
TEMPLATES = sorted(AAS.glob("IDTA_*.json"))
CONTACT = AAS / "IDTA_02002-1-0-1_Template_ContactInformation.json"
CARBON = AAS / "IDTA_02023-1-0-1__Template_CarbonFootprint.json"
CONTROL = AAS / "IDTA_02053-1-0-1_Template_ControlConfig.json"
AI_DATASET = AAS / "IDTA_02058-1-0-1_Template_AIDataset.json"
# Qualifiers the export writes from an item or an attribute (difference 5 and 6).
PLATFORM_QUALIFIERS = {"Category", "Unit", "Min", "Max", "Role", "Source", "AllowedValues", "AttributeName"}
READINGS = {"Property", "MultiLanguageProperty", "Range"}
STRUCTURE = {"SubmodelElementCollection", "SubmodelElementList"}


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-1")


def imported(client: TestClient, headers: dict[str, str], data: bytes, model_id: str) -> dict[str, Any]:
    params = {"model_id": model_id, "version": "1.0.0", "equipment_type": "NAMEPLATE"}
    answer = client.post(f"{URL}/imports/aas", params=params, content=data, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def exported(client: TestClient, headers: dict[str, str], model_id: str, version: str = "1.0.0") -> Any:
    answer = client.get(f"{URL}/{model_id}/versions/{version}/aas-environment", headers=headers)
    assert answer.status_code == 200, answer.text
    environment = answer.json()
    assert problems(environment) == []
    return environment


def own_qualifiers(element: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in element.get("qualifiers", []) if q["type"] not in PLATFORM_QUALIFIERS]


def unexplained(template: list[dict[str, Any]], export: list[dict[str, Any]], path: str) -> list[str]:
    """What differs between two element lists beyond the documented differences."""
    if [e.get("idShort") for e in template] != [e.get("idShort") for e in export]:
        return [
            f"{path}: idShorts {[e.get('idShort') for e in template]} != {[e.get('idShort') for e in export]}"
        ]
    found = []
    for n, (theirs, ours) in enumerate(zip(template, export, strict=True)):
        here = f"{path}/{theirs.get('idShort', n)}"
        theirs, ours = copy.deepcopy(theirs), copy.deepcopy(ours)
        kinds = {q["type"] for q in ours.get("qualifiers", [])}
        if theirs["modelType"] in READINGS:
            theirs.pop("value", None)  # 4: a template's example value; an attribute's is the model's
            ours.pop("value", None)
        if "Category" in kinds:  # 5: an item: its names, and its names as description if it had none
            theirs.pop("displayName", None)
            ours.pop("displayName")
            if "description" not in theirs:
                ours.pop("description")
        if "Category" in kinds or "AttributeName" in kinds:  # 5, 6: the platform's qualifiers
            ours["qualifiers"] = own_qualifiers(ours)
            if not ours["qualifiers"] and "qualifiers" not in theirs:
                ours.pop("qualifiers")
        if theirs["modelType"] in STRUCTURE:
            found += unexplained(theirs.pop("value", []), ours.pop("value", []), here)
        if theirs != ours:
            keys = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
            found.append(f"{here}: {keys}")
    return found


# (items, attributes) of each template, counted by hand: every Property, MultiLanguageProperty or Range of
# category CONSTANT or PARAMETER, or of a date or time type, is an attribute; the other ones are items.
KEPT = {CONTACT.name: (31, 0), CARBON.name: (6, 8), CONTROL.name: (6, 22), AI_DATASET.name: (1, 23)}


def walked(elements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in elements:
        yield element
        if element["modelType"] in STRUCTURE:
            yield from walked(element.get("value", []))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name.split("_")[1])
def test_an_idta_template_round_trips_with_the_documented_differences_only(
    client: TestClient, vendor: dict[str, str], template: Path
) -> None:
    source = json.loads(template.read_bytes())["submodels"][0]
    version = imported(client, vendor, template.read_bytes(), "idta")["version"]
    assert (len(version["items"]), len(version["attributes"])) == KEPT[template.name]
    environment = exported(client, vendor, "idta")
    submodel = environment["submodels"][0]
    elements = list(walked(submodel["submodelElements"]))
    assert (
        len([e for e in elements if qualifier(e, "Category")]),
        len([e for e in elements if qualifier(e, "AttributeName")]),
    ) == KEPT[template.name]
    # 1, 2, 3: the submodel's id, administration, names and extensions are the platform version's.
    assert submodel["id"] == "http://testserver/api/v1/standards/idta/versions/1.0.0/aas"
    assert submodel["administration"] == {"version": "1", "revision": "0", "templateId": source["id"]}
    assert [e["name"] for e in submodel["extensions"]] == ["EquipmentType", "SemanticVersion"]
    for field in ("idShort", "semanticId", "description", "kind"):
        assert submodel.get(field) == source.get(field), field
    assert unexplained(source["submodelElements"], submodel["submodelElements"], source["idShort"]) == []
    # Importing the export and exporting again changes nothing but the model's own ids.
    imported(client, vendor, json.dumps(environment).encode(), "idta-again")
    again = json.dumps(exported(client, vendor, "idta-again"), ensure_ascii=False)
    assert again.replace("idta-again", "idta") == json.dumps(environment, ensure_ascii=False)


def by_path(elements: list[dict[str, Any]], *path: str | int) -> dict[str, Any]:
    """The element at ``path``: idShorts in collections, positions in lists."""
    element: dict[str, Any] = {"value": elements}
    for step in path:
        children = element["value"]
        element = (
            children[step] if isinstance(step, int) else next(e for e in children if e["idShort"] == step)
        )
    return element


def semantic(element: dict[str, Any]) -> str:
    return str(element["semanticId"]["keys"][0]["value"])


def qualifier(element: dict[str, Any], kind: str) -> str | None:
    return next((q["value"] for q in element.get("qualifiers", []) if q["type"] == kind), None)


def test_contact_information_keeps_its_collections_model_reference_and_multiplicities(
    client: TestClient, vendor: dict[str, str]
) -> None:
    version = imported(client, vendor, CONTACT.read_bytes(), "contact")["version"]
    submodel = exported(client, vendor, "contact")["submodels"][0]
    assert (submodel["idShort"], submodel["semanticId"]) == (
        "ContactInformations",
        {
            "type": "ModelReference",
            "keys": [
                {"type": "Submodel", "value": "https://admin-shell.io/zvei/nameplate/1/0/ContactInformations"}
            ],
        },
    )
    elements = submodel["submodelElements"]
    assert [e["idShort"] for e in elements] == ["ContactInformation"]
    contact = by_path(elements, "ContactInformation")
    assert (
        semantic(contact)
        == "https://admin-shell.io/zvei/nameplate/1/0/ContactInformations/ContactInformation"
    )
    assert qualifier(contact, "Multiplicity") == "OneToMany"
    assert [e["idShort"] for e in contact["value"]] == [
        "RoleOfContactPerson", "NationalCode", "Language", "TimeZone", "CityTown", "Company", "Department",
        "Phone", "Fax", "Email", "IPCommunication__00__", "Street", "Zipcode", "POBox", "ZipCodeOfPOBox",
        "StateCounty", "NameOfContact", "FirstName", "MiddleNames", "Title", "AcademicTitle",
        "FurtherDetailsOfContact", "AddressOfAdditionalLink",
    ]  # fmt: skip
    phone = by_path(elements, "ContactInformation", "Phone")
    assert (
        semantic(phone)
        == "https://admin-shell.io/zvei/nameplate/1/0/ContactInformations/ContactInformation/Phone"
    )
    assert [(e["modelType"], e["idShort"], semantic(e)) for e in phone["value"]] == [
        ("MultiLanguageProperty", "TelephoneNumber", "0173-1#02-AAO136#002"),
        ("Property", "TypeOfTelephone", "0173-1#02-AAO137#003"),
        ("MultiLanguageProperty", "AvailableTime",
         "https://admin-shell.io/zvei/nameplate/1/0/ContactInformations/ContactInformation/AvailableTime/"),
    ]  # fmt: skip
    number = by_path(elements, "ContactInformation", "Phone", "TelephoneNumber")
    assert qualifier(number, "Multiplicity") == "One" and qualifier(number, "Category") == "EVENT"
    assert "valueType" not in number  # a multi-language text stays one
    # The element is the item's: its id is the path, its semantic id the template's.
    items = {i["id"]: i for i in version["items"]}
    assert items["contact_information_phone_telephone_number"]["semantic_id"] == "0173-1#02-AAO136#002"
    assert semantic(by_path(elements, "ContactInformation", "Email")) == "0173-1#02-AAQ836#005"


def test_carbon_footprint_keeps_its_lists_the_address_collection_and_its_dates_as_attributes(
    client: TestClient, vendor: dict[str, str]
) -> None:
    imported(client, vendor, CARBON.read_bytes(), "pcf")
    submodel = exported(client, vendor, "pcf")["submodels"][0]
    assert semantic(submodel) == "https://admin-shell.io/idta/CarbonFootprint/CarbonFootprint/1/0"
    elements = submodel["submodelElements"]
    footprints = by_path(elements, "ProductCarbonFootprints")
    assert footprints["modelType"] == "SubmodelElementList"
    assert footprints["typeValueListElement"] == "SubmodelElementCollection"
    assert semantic({"semanticId": footprints["semanticIdListElement"]}) == (
        "https://admin-shell.io/idta/CarbonFootprint/ProductCarbonFootprint/1/0"
    )
    footprint = by_path(elements, "ProductCarbonFootprints", 0)
    assert "idShort" not in footprint  # an element of a list has none (AASd-120)
    assert [e["idShort"] for e in footprint["value"]] == [
        "PcfCalculationMethods", "PcfCO2eq", "ReferenceImpactUnitForCalculation",
        "QuantityOfMeasureForCalculation", "LifeCyclePhases", "ExplanatoryStatement", "GoodsHandoverAddress",
        "PublicationDate", "ExpirationDate",
    ]  # fmt: skip
    address = by_path(elements, "ProductCarbonFootprints", 0, "GoodsHandoverAddress")
    assert (
        semantic(address)
        == "https://admin-shell.io/zvei/nameplate/1/0/ContactInformations/AddressInformation"
    )
    assert [semantic({"semanticId": s}) for s in address["supplementalSemanticIds"]] == [
        "https://admin-shell.io/smt-dropin/smt-dropin-use/1/0", "0112/2///61360_7#AAS002#001",
        "0173-1#02-AAQ837#008",
    ]  # fmt: skip
    date = by_path(elements, "ProductCarbonFootprints", 0, "PublicationDate")
    assert (date["modelType"], date["valueType"], date["category"]) == (
        "Property",
        "xs:dateTime",
        "PARAMETER",
    )
    assert semantic(date) == "https://admin-shell.io/idta/CarbonFootprint/PublicationDate/1/0"
    assert qualifier(date, "AttributeName") == "ProductCarbonFootprints/0/PublicationDate"
    assert qualifier(date, "SMT/Cardinality") == "One"
    co2 = by_path(elements, "ProductCarbonFootprints", 0, "PcfCO2eq")
    assert (co2["valueType"], semantic(co2)) == ("xs:decimal", "0173-1#02-ABG855#003")
    method = by_path(elements, "ProductCarbonFootprints", 0, "PcfCalculationMethods", 0)
    assert (method["modelType"], method["valueType"], semantic(method)) == (
        "Property", "xs:string", "0173-1#02-ABG854#003"
    )  # fmt: skip
    statement = by_path(elements, "ProductCarbonFootprints", 0, "ExplanatoryStatement")
    assert statement["modelType"] == "File"  # no reading, kept as structure
    endpoint = by_path(
        elements, "ProductOrSectorSpecificCarbonFootprints", 0, "ExternalPcfApi", "PcfApiEndpoint"
    )
    assert (endpoint["valueType"], qualifier(endpoint, "Category")) == ("xs:anyURI", "EVENT")


def test_control_configuration_keeps_its_nesting_categories_and_value_types(
    client: TestClient, vendor: dict[str, str]
) -> None:
    imported(client, vendor, CONTROL.read_bytes(), "cnc-config")
    submodel = exported(client, vendor, "cnc-config")["submodels"][0]
    assert submodel["idShort"] == "ControlConfig__00__"
    elements = submodel["submodelElements"]
    assert [e["idShort"] for e in elements] == [
        "DigitalNameplate", "ControllerType", "TimeUnit", "LengthUnit", "FieldbusType", "CNCCycleTime",
        "PLCCycleTime", "FieldbusCycleTime", "VelocityUnit", "AccelerationUnit", "JerkUnit",
        "ControlConfigData__00__", "Channels__00__", "Axes__00__", "NCProgramConfig__00__",
        "CommunicationConfig__00__", "Tools__00__",
    ]  # fmt: skip
    time_unit = by_path(elements, "TimeUnit")  # a VARIABLE: an item, its template value type kept
    assert (time_unit["category"], time_unit["valueType"], qualifier(time_unit, "Category")) == (
        "VARIABLE", "xs:float", "EVENT"
    )  # fmt: skip
    assert qualifier(time_unit, "FormTitle") == "TimeUnit"
    limit = by_path(elements, "Axes__00__", "Axis__00__", "VelocityLimit")
    assert (limit["valueType"], semantic(limit)) == (
        "xs:long",
        "https://admin-shell.io/idta/ControlConfig/Axes/VelocityLimit/1/0",
    )
    drive = by_path(elements, "Axes__00__", "Axis__00__", "Drive__00__", "DriveConfigData__00__")
    assert semantic(drive) == "https://admin-shell.io/idta/ControlConfig/Axes/Axis/DriveConfigData/1/0"
    assert [e["idShort"] for e in drive["value"]] == ["DriveConfigFileName", "DriveConfigFile"]
    name = by_path(
        elements, "Axes__00__", "Axis__00__", "Drive__00__", "DriveConfigData__00__", "DriveConfigFileName"
    )
    assert (name["category"], qualifier(name, "AttributeName")) == (
        "CONSTANT", "Axes__00__/Axis__00__/Drive__00__/DriveConfigData__00__/DriveConfigFileName"
    )  # fmt: skip
    tool = by_path(elements, "Tools__00__", "Tool__00__", "ToolDescription")
    assert (tool["modelType"], semantic(tool)) == (
        "ReferenceElement",
        "https://admin-shell.io/idta/ToolDescription/1/0",
    )


def test_ai_dataset_keeps_its_deep_nesting(client: TestClient, vendor: dict[str, str]) -> None:
    imported(client, vendor, AI_DATASET.read_bytes(), "ai-dataset")
    submodel = exported(client, vendor, "ai-dataset")["submodels"][0]
    elements = submodel["submodelElements"]
    label = by_path(
        elements, "Labeled", "Classification", "SingleFiles", "ExampleSingleFile", "Labels", "Label"
    )
    assert semantic(label) == (
        "https://admin-shell.io/idta/AIDataset/labeled/Classification/SingleFiles/SingleFile/Labels/Label/1/0"
    )
    assert qualifier(label, "SMT/Cardinality") == "ZeroToMany"
    test_size = by_path(elements, "SizeInformation", "TestSize")  # the one VARIABLE: an item
    assert (test_size["category"], qualifier(test_size, "Category")) == ("VARIABLE", "EVENT")
    synthetic = by_path(elements, "BoundaryConditions", "SyntheticData")
    assert (synthetic["modelType"], synthetic["category"]) == ("MultiLanguageProperty", "PARAMETER")


def test_attributes_are_exported_as_their_elements_with_value_and_value_type(
    client: TestClient, vendor: dict[str, str]
) -> None:
    version = imported(client, vendor, CARBON.read_bytes(), "pcf")["version"]
    values = {
        "ProductCarbonFootprints/0/PublicationDate": "2025-03-01T00:00:00Z",
        "ProductCarbonFootprints/0/ExpirationDate": "next spring",  # not a dateTime: written as a string
        "ProductCarbonFootprints/0/PcfCO2eq": "12.5",
        "ProductCarbonFootprints/0/QuantityOfMeasureForCalculation": "1",
    }
    attributes = [{**a, "value": values.get(a["name"], a["value"])} for a in version["attributes"]]
    changed = client.patch(f"{URL}/pcf/versions/1.0.0", json={"attributes": attributes}, headers=vendor)
    assert changed.status_code == 200, changed.text
    elements = exported(client, vendor, "pcf")["submodels"][0]["submodelElements"]

    def written(id_short: str) -> tuple[str, str, str | None]:
        element = by_path(elements, "ProductCarbonFootprints", 0, id_short)
        return element["valueType"], element["category"], element.get("value")

    assert written("PublicationDate") == ("xs:dateTime", "PARAMETER", "2025-03-01T00:00:00Z")
    assert written("ExpirationDate") == ("xs:string", "PARAMETER", "next spring")
    assert written("PcfCO2eq") == ("xs:decimal", "PARAMETER", "12.5")
    assert written("QuantityOfMeasureForCalculation") == ("xs:double", "PARAMETER", "1")
    assert written("ReferenceImpactUnitForCalculation") == ("xs:string", "PARAMETER", None)


def test_an_ai_dataset_text_attribute_is_a_multi_language_property_with_its_value(
    client: TestClient, vendor: dict[str, str]
) -> None:
    version = imported(client, vendor, AI_DATASET.read_bytes(), "ai-dataset")["version"]
    attributes = [
        {**a, "value": "합성 데이터 없음"} if a["name"] == "BoundaryConditions/SyntheticData" else a
        for a in version["attributes"]
    ]
    changed = client.patch(
        f"{URL}/ai-dataset/versions/1.0.0", json={"attributes": attributes}, headers=vendor
    )
    assert changed.status_code == 200, changed.text
    elements = exported(client, vendor, "ai-dataset")["submodels"][0]["submodelElements"]
    synthetic = by_path(elements, "BoundaryConditions", "SyntheticData")
    assert synthetic["value"] == [{"language": "en", "text": "합성 데이터 없음"}]


def test_items_added_removed_or_renamed_later_and_new_versions(
    client: TestClient, vendor: dict[str, str]
) -> None:
    """A removed item leaves its element out, an added or renamed one follows at the top level; a version
    made from an imported one keeps the structure."""
    version = imported(client, vendor, CONTROL.read_bytes(), "cnc-config")["version"]
    items = [i for i in version["items"] if i["id"] != "time_unit"]
    items.append(
        {"id": "spindle_speed", "name": {"ko": "주축 회전수", "en": "Spindle speed"}, "category": "SAMPLE",
         "data_type": "float", "unit": "rpm"}
    )  # fmt: skip
    created = client.post(
        f"{URL}/cnc-config/versions", json={"version": "1.1.0", "items": items}, headers=vendor
    )
    assert created.status_code == 201, created.text
    elements = exported(client, vendor, "cnc-config", "1.1.0")["submodels"][0]["submodelElements"]
    ids = [e["idShort"] for e in elements]
    assert "TimeUnit" not in ids and ids[-1] == "spindle_speed"
    assert ids[:3] == ["DigitalNameplate", "ControllerType", "LengthUnit"]
    assert by_path(elements, "Axes__00__", "Axis__00__", "VelocityLimit")["valueType"] == "xs:long"


HOSTILE = {
    "modelType": "Submodel",
    "id": "urn:x:hostile",
    "idShort": "bad id!",
    "semanticId": {"type": "ModelReference", "keys": [{"type": "Property", "value": "x"}]},
    "submodelElements": [
        {
            "modelType": "SubmodelElementList",
            "idShort": "Weird",
            "typeValueListElement": "NoSuchKind",
            "semanticIdListElement": {
                "type": "ExternalReference",
                "keys": [{"type": "GlobalReference", "value": "a"}],
            },
            "value": [
                {
                    "modelType": "Property",
                    "idShort": "not allowed here",
                    "valueType": "xs:int",
                    "category": "VARIABLE",
                    "semanticId": {
                        "type": "ExternalReference",
                        "keys": [{"type": "GlobalReference", "value": "b"}],
                    },
                    "qualifiers": [{"type": "Unit", "valueType": "xs:string", "value": "bar"}],
                },
                {"modelType": "Property", "valueType": "xs:string", "category": "VARIABLE"},
            ],
        },
        {
            "modelType": "SubmodelElementCollection",
            "idShort": "1starts_with_a_digit",
            "description": [{"language": "not a language", "text": "x"}, {"language": "en", "text": ""}],
            "qualifiers": [
                {"type": "SMT/Cardinality", "valueType": "xs:int", "value": "many"},
                {"type": "Note", "valueType": "xs:string", "value": "bell\u0007"},
                {"type": "Kept", "kind": "Nonsense", "valueType": "xs:string", "value": "yes"},
            ],
            "value": [
                {
                    "modelType": "Property",
                    "idShort": "Twice",
                    "valueType": "xs:double",
                    "category": "VARIABLE",
                    "qualifiers": [{"type": "Unit", "valueType": "xs:string", "value": "bar"}],
                },
                {
                    "modelType": "Property",
                    "idShort": "Twice",
                    "valueType": "xs:double",
                    "category": "VARIABLE",
                    "qualifiers": [{"type": "Unit", "valueType": "xs:string", "value": "bar"}],
                },
                {"modelType": "File", "idShort": "Manual", "contentType": "not a mime type"},
                {"modelType": "Operation", "idShort": "Run"},
                {"modelType": "Property", "idShort": "Since", "valueType": "xs:date"},
                {
                    "modelType": "Range",
                    "idShort": "Band",
                    "valueType": "xs:int",
                    "category": "PARAMETER",
                    "min": "1",
                    "max": "9",
                },
            ],
        },
    ],
}


def test_a_hostile_submodel_imports_and_its_export_still_verifies(
    client: TestClient, vendor: dict[str, str]
) -> None:
    imported(client, vendor, json.dumps(HOSTILE).encode(), "hostile")
    submodel = exported(client, vendor, "hostile")["submodels"][0]
    assert submodel["idShort"] == "hostile"  # not an idShort AAS allows: the model's own
    assert semantic(submodel) == "http://testserver/api/v1/standards/hostile"
    weird = by_path(submodel["submodelElements"], "Weird")
    assert weird["typeValueListElement"] == "Property" and weird["valueTypeListElement"] == "xs:int"
    assert "semanticIdListElement" not in weird  # its children carry another semantic id
    assert [("idShort" in e, e["valueType"]) for e in weird["value"]] == [(False, "xs:int")]
    collection = submodel["submodelElements"][1]
    assert collection["idShort"] == "SubmodelElementCollection"
    assert "description" not in collection
    assert collection["qualifiers"] == [{"type": "Kept", "valueType": "xs:string", "value": "yes"}]
    assert [e["idShort"] for e in collection["value"]] == ["Twice", "Twice_2", "Manual", "Since", "Band"]
    assert by_path(collection["value"], "Manual")["contentType"] == "application/octet-stream"


def test_a_range_attribute_with_its_bounds(client: TestClient, vendor: dict[str, str]) -> None:
    version = imported(client, vendor, json.dumps(HOSTILE).encode(), "hostile")["version"]
    band = next(a for a in version["attributes"] if a["name"].endswith("Band"))
    assert band["value"] == "1..9"
    element = by_path(exported(client, vendor, "hostile")["submodels"][0]["submodelElements"], 1, "Band")
    assert (element["modelType"], element["valueType"], element["min"], element["max"]) == (
        "Range",
        "xs:int",
        "1",
        "9",
    )


MTCONNECT = [
    "128.32.164.245.xml",
    "configuration.xml",
    "data_set.xml",
    "kinematics.xml",
    "reference_example.xml",
    "two_devices.xml",
]


@pytest.mark.parametrize("sample", MTCONNECT)
def test_an_mtconnect_import_exports_valid_aas(
    client: TestClient, vendor: dict[str, str], sample: str
) -> None:
    data = (SAMPLES / "mtconnect" / sample).read_bytes()
    answer = client.post(
        f"{URL}/imports/mtconnect", params={"model_id": "mtc", "version": "1.0.0"}, content=data,
        headers={"Content-Type": "application/xml", **vendor},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    elements = exported(client, vendor, "mtc")["submodels"][0]["submodelElements"]
    assert {qualifier(e, "MTConnectDataItemId") for e in elements if qualifier(e, "Category")} == {
        i["mappings"]["mtconnect_data_item_id"] for i in answer.json()["version"]["items"]
    }


OPCUA = {
    "machine-tool": (
        "Opc.Ua.MachineTool.NodeSet2.xml",
        "Opc.Ua.Machinery.NodeSet2.xml",
        "Opc.Ua.IA.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    ),
    "laser": (
        "LaserSystem-Example.NodeSet2.xml",
        "Opc.Ua.LaserSystems.NodeSet2.xml",
        "Opc.Ua.MachineTool.NodeSet2.xml",
        "Opc.Ua.Machinery.NodeSet2.xml",
        "Opc.Ua.IA.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    ),
    "extruder": (
        "Opc.Ua.PlasticsRubber.Extrusion.Extruder.NodeSet2.xml",
        "Opc.Ua.PlasticsRubber.Extrusion.GeneralTypes.NodeSet2.xml",
        "Opc.Ua.Di.NodeSet2.xml",
    ),
    "packml": ("Opc.Ua.PackML.NodeSet2.xml",),
}


@pytest.mark.parametrize("name", OPCUA)
def test_an_opcua_import_exports_valid_aas(client: TestClient, vendor: dict[str, str], name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in OPCUA[name]:
            archive.writestr(file, (SAMPLES / "opcua" / file).read_bytes())
    answer = client.post(
        f"{URL}/imports/opcua", params={"model_id": "opc", "version": "1.0.0"}, content=buffer.getvalue(),
        headers={"Content-Type": "application/octet-stream", **vendor},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    version = answer.json()["version"]
    elements = exported(client, vendor, "opc")["submodels"][0]["submodelElements"]
    assert len([e for e in elements if qualifier(e, "Category")]) == len(version["items"])
    assert len([e for e in elements if qualifier(e, "AttributeName")]) == len(version["attributes"])
