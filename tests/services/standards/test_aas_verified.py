"""AAS exports are valid AAS V3 as the official SDK (aas-core3.0) verifies them: the whole catalogue, and
IDTA submodel templates after an import, with their elements' semantic ids kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aas_core3 import jsonization, verification
from fastapi.testclient import TestClient

from services.standards.exports import aas_environment, is_platform_concept
from services.standards.library import CATALOGUE
from services.standards.schemas import VersionOut
from tests.conftest import Auth
from tests.interop import SAMPLES

URL = "/api/v1/standards"
TEMPLATES = sorted((SAMPLES / "aas").glob("IDTA_*.json"))


def problems(environment: dict[str, Any]) -> list[str]:
    parsed = jsonization.environment_from_jsonable(environment)
    return [f"{error.path}: {error.cause}" for error in verification.verify(parsed)]


def semantic_ids(elements: list[dict[str, Any]]) -> set[str]:
    """The semantic ids of every element below ``elements`` that may hold a reading."""
    found: set[str] = set()
    for element in elements:
        if element.get("modelType") in ("SubmodelElementCollection", "SubmodelElementList"):
            found |= semantic_ids(element.get("value") or [])
        elif element.get("semanticId"):
            found.add(element["semanticId"]["keys"][0]["value"])
    return found


# Every element of each template that is not a collection or list (counted by hand from the documents).
ELEMENTS = {
    "IDTA_02002-1-0-1_Template_ContactInformation.json": 31,
    "IDTA_02023-1-0-1__Template_CarbonFootprint.json": 16,
    "IDTA_02053-1-0-1_Template_ControlConfig.json": 38,
    "IDTA_02058-1-0-1_Template_AIDataset.json": 30,
}


def test_the_samples_are_there() -> None:
    assert len(TEMPLATES) == 4, f"IDTA templates expected in {SAMPLES}/aas"


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda m: m["id"])
def test_every_catalogue_model_exports_valid_aas(model: dict[str, Any]) -> None:
    version = VersionOut.model_validate(
        {
            "ideal_cycle_time_s": None,
            **model,
            "model_id": model["id"],
            "status": "published",
            "published_at": None,
        }
    )
    environment = aas_environment(version, "https://platform.example")
    assert problems(environment) == []
    submodel = environment["submodels"][0]
    assert submodel["administration"] == dict(
        zip(("version", "revision"), model["version"].split(".")[:2], strict=True)
    )
    assert {"name": "SemanticVersion", "valueType": "xs:string", "value": model["version"]} in submodel[
        "extensions"
    ]
    ids = [c["id"] for c in environment["conceptDescriptions"]]
    assert len(ids) == len(set(ids)), "a concept description is listed once"
    assert all("semanticId" in e for e in submodel["submodelElements"])


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name.split("_")[1])
def test_an_imported_idta_template_exports_valid_aas_with_its_semantic_ids(
    client: TestClient, auth: Auth, template: Path
) -> None:
    vendor = auth("vendor", org_id="org-vendor-1")
    source = json.loads(template.read_bytes())
    answer = client.post(
        f"{URL}/imports/aas",
        params={"model_id": "idta-import", "version": "1.0.0", "equipment_type": "NAMEPLATE"},
        content=template.read_bytes(),
        headers=vendor,
    )
    assert answer.status_code == 201, answer.text
    counts = answer.json()["report"]["counts"]
    assert (
        counts["mapped"] + counts["attributes"] + counts["dropped"]
        == counts["elements"]
        == ELEMENTS[template.name]
    )
    export = client.get(f"{URL}/idta-import/versions/1.0.0/aas-environment", headers=vendor)
    assert export.status_code == 200, export.text
    exported = export.json()
    assert problems(exported) == []
    kept = semantic_ids(source["submodels"][0]["submodelElements"])
    version = client.get(f"{URL}/idta-import/versions/1.0.0", headers=vendor).json()
    carried = [i for i in version["items"] if i.get("semantic_id")]
    assert carried, "the template's elements have semantic ids"
    for item in carried:
        assert item["semantic_id"] in kept and not is_platform_concept(item["semantic_id"])
    # Items are where the template had them (test_aas_roundtrip.py), each with its semantic id.
    assert semantic_ids(exported["submodels"][0]["submodelElements"]) >= {i["semantic_id"] for i in carried}


def test_a_platform_named_concept_is_not_taken_for_a_semantic_id() -> None:
    assert is_platform_concept("https://other.example/api/v1/standards/cnc-lathe/items/spindle_speed")
    assert not is_platform_concept("0173-1#02-BAA120#008")
    assert not is_platform_concept("https://admin-shell.io/zvei/nameplate/1/0/ContactInformations/Phone")


def test_static_data_are_attributes_and_survive_a_round_trip(client: TestClient, auth: Auth) -> None:
    """A PARAMETER or CONSTANT element, or a date, describes the product: an attribute, kept through an
    export and a new import (the carbon footprint's publication date is no longer dropped)."""
    vendor = auth("vendor", org_id="org-vendor-1")
    template = SAMPLES / "aas" / "IDTA_02023-1-0-1__Template_CarbonFootprint.json"
    params = {"model_id": "pcf", "version": "1.0.0", "equipment_type": "NAMEPLATE"}
    answer = client.post(f"{URL}/imports/aas", params=params, content=template.read_bytes(), headers=vendor)
    assert answer.status_code == 201, answer.text
    attributes = {a["name"]: a for a in answer.json()["version"]["attributes"]}
    assert {"ProductCarbonFootprints/0/PublicationDate", "ProductCarbonFootprints/0/PcfCO2eq"} <= set(
        attributes
    )
    assert attributes["ProductCarbonFootprints/0/PublicationDate"]["value"] is None  # a template: no value
    item_ids = {i["id"] for i in answer.json()["version"]["items"]}
    assert not any("publication_date" in i or "pcf_co2eq" in i for i in item_ids)
    exported = client.get(f"{URL}/pcf/versions/1.0.0/aas-environment", headers=vendor).json()
    assert problems(exported) == []
    again = client.post(
        f"{URL}/imports/aas",
        params={**params, "model_id": "pcf-again"},
        content=json.dumps(exported).encode(),
        headers=vendor,
    )
    assert again.status_code == 201, again.text
    assert [a["name"] for a in again.json()["version"]["attributes"]] == list(attributes)
    assert {i["id"] for i in again.json()["version"]["items"]} == item_ids
