"""Imports of AAS, MTConnect and OPC UA documents into draft models, with their mapping reports (MTConnect's
own: test_import_mtconnect.py, OPC UA's: test_import_opcua.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import item, model_body

URL = "/api/v1/standards"
DOCS = Path(__file__).parent / "documents"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-1")


def post(client: TestClient, source: str, data: bytes, headers: dict[str, str], **params: str) -> Any:
    return client.post(
        f"{URL}/imports/{source}", params={"model_id": "imported", **params}, content=data, headers=headers
    )


def by_id(version: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in version["items"]}


def test_aas_template_with_collections_and_concept_descriptions(
    client: TestClient, vendor: dict[str, str]
) -> None:
    data = (DOCS / "aas_compressor_template.json").read_bytes()
    answer = post(client, "aas", data, vendor, equipment_type="AIR_COMPRESSOR")
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["model"]["name"] == {
        "ko": "스크류 압축기 운전 데이터",
        "en": "Screw compressor operational data",
    }
    items = by_id(result["version"])
    assert sorted(items) == [
        "load_state", "outlet_discharge_pressure", "outlet_discharge_temperature", "stage_oil_temperature",
        "status_text",
    ]  # fmt: skip
    pressure = items["outlet_discharge_pressure"]
    assert (pressure["unit"], pressure["name"]["ko"]) == ("bar", "토출 압력")  # from its concept description
    assert pressure["semantic_id"] == "https://example.com/cd/DischargePressure"
    temperature = items["outlet_discharge_temperature"]
    assert (temperature["unit"], temperature["min"], temperature["max"]) == ("°C", 0, 130)  # a Range, degC
    assert items["stage_oil_temperature"]["semantic_id"] == "0173-1#02-AAA000#001"
    assert items["load_state"]["allowed_values"] == ["LOADED", "UNLOADED"]
    assert items["status_text"]["data_type"] == "string"
    report = result["report"]
    assert {d["source"]: d["reason"] for d in report["dropped"]} == {
        "CompressorOperationalData/Manual": "a File holds no reading",
        "CompressorOperationalData/Airflow": "unit 'cfm' has no platform equivalent",
    }
    assert report["attributes"] == [
        {"name": "CommissionedAt", "value": None, "source": "CompressorOperationalData/CommissionedAt"}
    ]  # a date describes the machine: kept as an attribute, not a reading
    assert report["notes"] == ["CompressorOperationalData/Stage may repeat; its items are imported once"]
    found = client.get(URL, params={"semantic_id": "0173-1#02-AAA000#001"}, headers=vendor).json()["items"]
    assert [m["id"] for m in found] == ["imported"]


def test_aas_export_import_export_is_lossless(client: TestClient, vendor: dict[str, str], auth: Auth) -> None:
    items = [
        item(semantic_id="0173-1#02-BAA120#008", source="MTConnect SAMPLE ROTARY_VELOCITY",
             mappings={"mtconnect_type": "ROTARY_VELOCITY", "mtconnect_sub_type": "ACTUAL",
                       "opcua_browse_name": "Spindles/Spindle1/ActualSpeed",
                       "opcua_node_id": "nsu=urn:x;i=7"}),
        item("coolant_temp", unit="°C", lo=-10.5, hi=80),
        item("part_count", data_type="int", unit="count", lo=0, hi=1e9, category="EVENT", role="part_count"),
        item("energy", unit="kWh", lo=None, role="energy"),
        item("door_open", data_type="bool", unit=None, lo=None, category="EVENT"),
        item("execution", data_type="string", unit=None, lo=None, category="EVENT", role="execution_state",
             allowed_values=["ACTIVE", "READY", "대기 중"]),
        item("spindle_alarm", data_type="string", unit=None, lo=None, category="CONDITION", role="alarm"),
    ]  # fmt: skip
    items[4]["name"] = {"ko": "도어 열림"}
    body = model_body(items=items, ideal_cycle_time_s=42.5, equipment_type="CNC_MACHINING_CENTER")
    assert client.post(URL, json=body, headers=vendor).status_code == 201
    original = client.get(f"{URL}/cnc-lathe/versions/1.0.0", headers=vendor).json()
    first = client.get(f"{URL}/cnc-lathe/versions/1.0.0/aas-environment", headers=vendor).json()
    answer = post(client, "aas", json.dumps(first).encode(), vendor, model_id="round-trip", version="1.0.0")
    assert answer.status_code == 201, answer.text
    assert answer.json()["report"]["dropped"] == []
    imported = client.get(f"{URL}/round-trip/versions/1.0.0", headers=vendor).json()
    assert imported["items"] == original["items"]
    assert imported["ideal_cycle_time_s"] == 42.5 and imported["equipment_type"] == "CNC_MACHINING_CENTER"
    assert client.get(f"{URL}/round-trip", headers=vendor).json()["name"] == original["name"]
    second = client.get(f"{URL}/round-trip/versions/1.0.0/aas-environment", headers=vendor).json()

    def without_ids(environment: dict[str, Any]) -> str:
        return (
            json.dumps(environment, ensure_ascii=False)
            .replace("round-trip", "cnc-lathe")
            .replace("round_trip", "cnc_lathe")
        )

    assert without_ids(second) == without_ids(first)


HOSTILE_XML = [
    (b"<MTConnectDevices><Devices>", 400, "not well-formed XML"),
    (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<MTConnectDevices>&lol2;</MTConnectDevices>",
        400,
        "DTD",
    ),
    (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><MTConnectDevices>&x;'
        b"</MTConnectDevices>",
        400,
        "DTD",
    ),
    (b"<UANodeSet/>", 422, "root element"),
    (b"<MTConnectDevices><Devices/></MTConnectDevices>", 422, "no Device"),
    (
        b'<MTConnectDevices><Devices><Device id="d"><DataItems><DataItem id="a" category="SAMPLE" '
        b'type="ANGLE" units="DEGREE"/></DataItems></Device></Devices></MTConnectDevices>',
        422,
        "nothing in the document maps",
    ),
    (b"   ", 422, "empty"),
]


@pytest.mark.parametrize(("data", "status", "message"), HOSTILE_XML)
def test_malformed_or_hostile_xml_is_refused_and_creates_nothing(
    client: TestClient, vendor: dict[str, str], data: bytes, status: int, message: str
) -> None:
    answer = post(client, "mtconnect", data, {**vendor, **XML})
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"] and answer.json()["fields"][0]["loc"] == "body"
    assert client.get(URL, headers=vendor).json()["items"] == []


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b'{"submodels": [', 400, "not valid JSON"),
        (b"\xff\xfe{}", 400, "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "nests too deeply"),
        (b'{"modelType": "Shell"}', 422, "not an AAS"),
        (b'{"submodels": []}', 422, "no submodel"),
        (
            b'{"modelType": "Submodel", "submodelElements": [{"modelType": "File", "idShort": "f"}]}',
            422,
            "nothing",
        ),
    ],
)
def test_malformed_aas_json_is_refused(
    client: TestClient, vendor: dict[str, str], data: bytes, status: int, message: str
) -> None:
    answer = post(client, "aas", data, vendor)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert client.get(URL, headers=vendor).json()["items"] == []


def test_oversize_roles_conflicts_and_query_values(
    client: TestClient, vendor: dict[str, str], auth: Auth
) -> None:
    huge = b"<MTConnectDevices>" + b" " * (8 * 1024 * 1024) + b"</MTConnectDevices>"
    answer = post(client, "mtconnect", huge, {**vendor, **XML})
    assert answer.status_code == 413 and answer.json()["error"] == "PayloadTooLarge"
    data = (DOCS / "press_nodeset.xml").read_bytes()
    assert post(client, "opcua", data, XML).status_code == 401
    assert post(client, "opcua", b"", XML).status_code == 401  # refused before the body is read
    stranger = post(client, "opcua", data, {**vendor, **XML}, owner_org_id="org-vendor-2")
    assert stranger.status_code == 403  # only admins create for another organisation
    assert post(client, "opcua", data, {**auth("sme", org_id="org-sme-1"), **XML}).status_code == 403
    assert post(client, "opcua", data, {**vendor, **XML}, model_id="Bad Id").json()["fields"][0]["loc"] == (
        "query.model_id"
    )
    assert post(client, "iso15926", data, {**vendor, **XML}).status_code == 422
    assert post(client, "opcua", data, {**vendor, **XML}).status_code == 201
    again = post(client, "opcua", data, {**vendor, **XML})
    assert again.status_code == 409
    nameless = b'{"modelType": "Submodel", "idShort": "x", "submodelElements": [{"modelType": "Property", ' \
        b'"idShort": "a", "valueType": "xs:string"}]}'  # fmt: skip
    refused = post(client, "aas", nameless, vendor, model_id="nameless")
    assert refused.status_code == 422 and refused.json()["fields"][0]["loc"] == "query.equipment_type"


def test_large_documents_are_capped_not_echoed(client: TestClient, vendor: dict[str, str]) -> None:
    def devices(*elements: str) -> bytes:
        body = "".join(elements)
        return (
            f'<MTConnectDevices><Devices><Device id="d" name="Big"><DataItems>{body}</DataItems></Device>'
            "</Devices></MTConnectDevices>"
        ).encode()

    angles = [f'<DataItem id="a{n}" category="SAMPLE" type="ANGLE" units="DEGREE"/>' for n in range(2000)]
    states = [f'<DataItem id="s{n}" category="EVENT" type="PROGRAM"/>' for n in range(600)]
    answer = post(client, "mtconnect", devices(*angles, *states), {**vendor, **XML}, lang="ko")
    assert answer.status_code == 201, answer.text
    report = answer.json()["report"]
    assert len(answer.json()["version"]["items"]) == 500 and len(report["mapped"]) == 500
    assert len(report["dropped"]) == 1000
    assert report["notes"] == [
        "그 밖에 1100개 요소를 제외했습니다 (목록 생략)"
    ]  # 1000 angles + 100 beyond 500 items
