"""Exports of a version: JSON Schema with a valid example payload, Arrow schemas, AAS environment, page."""

from __future__ import annotations

import copy

import jsonschema
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from services.standards.library import CATALOGUE
from tests.conftest import Auth
from tests.factories import item, model_body

URL = "/api/v1/standards"


@pytest.fixture
def machining_centre(client: TestClient, auth: Auth) -> str:
    admin = auth("admin", org_id="org-operator")
    body = next(m for m in CATALOGUE if m["id"] == "cnc-machining-center")
    assert client.post(URL, json=body, headers=admin).status_code == 201
    assert client.post(f"{URL}/cnc-machining-center/versions/1.0.0/publish", headers=admin).status_code == 200
    return f"{URL}/cnc-machining-center/versions/1.0.0"


def test_example_payload_validates_against_the_json_schema(client: TestClient, machining_centre: str) -> None:
    schema = client.get(f"{machining_centre}/json-schema").json()
    payload = client.get(f"{machining_centre}/example-payload").json()
    version = client.get(machining_centre).json()
    assert [r["item_id"] for r in payload["readings"]] == [i["id"] for i in version["items"]]
    for reading in payload["readings"]:
        jsonschema.validate(reading, schema, format_checker=jsonschema.FormatChecker())
    too_fast = copy.deepcopy(payload["readings"][0])
    assert too_fast["item_id"] == "spindle_speed"
    too_fast["value"] = 99_999
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(too_fast, schema)
    wrong_state = copy.deepcopy(next(r for r in payload["readings"] if r["item_id"] == "execution"))
    wrong_state["value"] = "DANCING"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong_state, schema)
    # The same payload is accepted by the platform's own validator.
    readings = [{k: r[k] for k in ("item_id", "value", "unit") if k in r} for r in payload["readings"]]
    checked = client.post(f"{machining_centre}/validate", json={"readings": readings}).json()
    assert checked["valid"] is True, checked["violations"]


def test_arrow_schemas_long_and_wide(client: TestClient, machining_centre: str) -> None:
    long = client.get(f"{machining_centre}/arrow-schema").json()
    assert [f["name"] for f in long["fields"]] == [
        "equipment_id", "model_id", "model_version", "item_id", "ts", "value_num", "value_text", "unit",
        "quality",
    ]  # fmt: skip
    assert long["metadata"]["smartmfg.model_id"] == "cnc-machining-center"
    answer = client.get(f"{machining_centre}/arrow-schema", params={"layout": "wide", "format": "ipc"})
    assert answer.headers["content-type"] == "application/vnd.apache.arrow.stream"
    wide = pa.ipc.read_schema(pa.py_buffer(answer.content))
    assert wide.field("spindle_speed").type == pa.float64() and wide.field("part_count").type == pa.int64()
    assert wide.field("execution").type == pa.string() and wide.field("ts").type == pa.timestamp(
        "us", tz="UTC"
    )
    assert wide.field("spindle_speed").metadata[b"unit"] == b"rpm"
    assert wide.field("spindle_speed").metadata[b"max"] == b"12000.0"
    assert client.get(f"{machining_centre}/arrow-schema", params={"layout": "tall"}).status_code == 422


def test_aas_environment_has_concept_descriptions(client: TestClient, machining_centre: str) -> None:
    environment = client.get(f"{machining_centre}/aas-environment").json()
    (submodel,) = environment["submodels"]
    concepts = {c["id"]: c for c in environment["conceptDescriptions"]}
    assert len(concepts) == len(submodel["submodelElements"])
    speed = next(e for e in submodel["submodelElements"] if e["idShort"] == "spindle_speed")
    concept_id = speed["semanticId"]["keys"][0]["value"]
    assert concept_id == "http://testserver/api/v1/standards/cnc-machining-center/items/spindle_speed"
    iec = concepts[concept_id]["embeddedDataSpecifications"][0]["dataSpecificationContent"]
    assert iec["modelType"] == "DataSpecificationIec61360" and iec["unit"] == "rpm"
    assert (
        iec["dataType"] == "REAL_MEASURE"
        and {"language": "ko", "text": "주축 회전수"} in iec["preferredName"]
    )
    execution = next(e for e in submodel["submodelElements"] if e["idShort"] == "execution")
    execution_cd = concepts[execution["semanticId"]["keys"][0]["value"]]
    values = execution_cd["embeddedDataSpecifications"][0]["dataSpecificationContent"]["valueList"]
    assert [p["value"] for p in values["valueReferencePairs"]][:2] == ["ACTIVE", "READY"]
    assert {"name": "IdealCycleTimeS", "valueType": "xs:double", "value": "180.0"} in submodel["extensions"]


def test_readable_page_in_korean_and_english(client: TestClient, machining_centre: str) -> None:
    korean = client.get(f"{machining_centre}/page", headers={"Accept-Language": "ko-KR"})
    assert korean.headers["content-type"].startswith("text/html")
    assert "<html lang='ko'>" in korean.text and "주축 회전수" in korean.text and "데이터 항목" in korean.text
    english = client.get(f"{machining_centre}/page", params={"lang": "en"}).text
    assert "Spindle speed" in english and "Ideal cycle time" in english and "180 s" in english
    assert "<script" not in english and "http" not in english.split("</title>", 1)[1].split("<table")[0]
    assert client.get(f"{URL}/nothing/versions/1.0.0/page").status_code == 404


def test_an_items_semantic_id_is_its_aas_semantic_id(client: TestClient, auth: Auth) -> None:
    """An item with a semantic id (e.g. an ECLASS IRDI a vendor adds) carries it as the element's semanticId
    and as the id of its concept description; one without gets a concept the platform names (AASd-118 wants a
    main semantic id wherever there is one), which the model's search by semantic id does not find."""
    admin = auth("admin", org_id="org-operator")
    irdi = "0173-1#02-AAB325#008"  # ECLASS "rated voltage"
    body = model_body(
        model_id="drive-unit",
        items=[
            item("rated_voltage", unit="V", lo=0, hi=1000, semantic_id=irdi),
            item("motor_temp", unit="°C", lo=-20, hi=200),
        ],
    )
    assert client.post(URL, json=body, headers=admin).status_code == 201
    environment = client.get(f"{URL}/drive-unit/versions/1.0.0/aas-environment", headers=admin).json()
    elements = {e["idShort"]: e for e in environment["submodels"][0]["submodelElements"]}
    assert elements["rated_voltage"]["semanticId"]["keys"][0]["value"] == irdi
    platform_concept = "http://testserver/api/v1/standards/drive-unit/items/motor_temp"
    assert elements["motor_temp"]["semanticId"]["keys"][0]["value"] == platform_concept
    assert "supplementalSemanticIds" not in elements["motor_temp"]
    concepts = {c["id"] for c in environment["conceptDescriptions"]}
    assert concepts == {irdi, platform_concept}
    assert client.get(URL, params={"semantic_id": platform_concept}, headers=admin).json()["items"] == []
    found = client.get(URL, params={"semantic_id": irdi}, headers=admin).json()["items"]
    assert [m["id"] for m in found] == ["drive-unit"]
