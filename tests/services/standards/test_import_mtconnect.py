"""MTConnect Devices documents (the reference agent's samples and our own) into draft models: DataItem ids
and component paths kept, readable unique item ids, device choice, 3D values, the stored bilingual report,
and hostile documents refused fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.interop import SAMPLES

URL = "/api/v1/standards"
DOCS = Path(__file__).parent / "documents"
MTCONNECT = SAMPLES / "mtconnect"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-1")


def post(client: TestClient, data: bytes, headers: dict[str, str], **params: str) -> Any:
    return client.post(
        f"{URL}/imports/mtconnect",
        params={"model_id": "imported", **params},
        content=data,
        headers={**headers, **XML},
    )


def by_id(version: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in version["items"]}


def test_a_multi_device_document_keeps_every_data_item_id_and_path(
    client: TestClient, vendor: dict[str, str]
) -> None:
    data = (MTCONNECT / "128.32.164.245.xml").read_bytes()
    answer = post(client, data, vendor, device="MoriSeiki")
    assert answer.status_code == 201, answer.text
    result = answer.json()
    items = by_id(result["version"])
    x = items["x_position_actual"]
    assert x | {"mappings": None} == {
        "id": "x_position_actual",
        "name": {"ko": "위치 (Linear[X] Xact)", "en": "Position, actual (Linear[X] Xact)"},
        "category": "SAMPLE", "data_type": "float", "unit": "mm", "min": None, "max": None,
        "semantic_id": None, "allowed_values": None, "role": None, "mappings": None,
        "source": "MTConnect SAMPLE POSITION/ACTUAL of device MoriSeiki",
    }  # fmt: skip
    assert {k: v for k, v in x["mappings"].items() if k.startswith("mtconnect_")} == {
        "mtconnect_type": "POSITION", "mtconnect_sub_type": "ACTUAL", "mtconnect_data_item_id": "25",
        "mtconnect_name": "Xact", "mtconnect_device": "MoriSeiki", "mtconnect_component": "Axes/Linear[X]",
        "mtconnect_units": "MILLIMETER", "mtconnect_native_units": "MILLIMETER", "mtconnect_statistic": None,
        "mtconnect_coordinate_system": None, "mtconnect_composition_id": None, "mtconnect_vector_index": None,
    }  # fmt: skip
    # The three axes' positions and loads: each bound to its own DataItem, none merged or lost.
    bound = {i["id"]: (i["mappings"]["mtconnect_data_item_id"], i["unit"]) for i in items.values()}
    axes = ("y_position_actual", "z_position_actual", "x_load", "y_load", "z_load")
    assert {k: bound[k] for k in axes} == {
        "y_position_actual": ("29", "mm"), "z_position_actual": ("31", "mm"),
        "x_load": ("26", "N"), "y_load": ("30", "N"), "z_load": ("32", "N"),
    }  # fmt: skip
    assert bound["s_spindle_speed_actual"] == ("21", "rpm")
    assert bound["axes_path_feedrate_actual"] == ("22", "mm/s")
    assert items["controller_execution"]["role"] == "execution_state"
    assert items["controller_mode"]["mappings"]["mtconnect_data_item_id"] == "36"
    # Eight thermometers of one component: told apart by their DataItem names.
    assert items["archrock_temperature_node_3_adc1_read_event"]["mappings"]["mtconnect_data_item_id"] == "43"
    # AMPERAGE without units: MTConnect fixes them (AMPERE).
    assert items["power_amperage_amp_a"]["unit"] == "A"
    data_item_ids = [i["mappings"]["mtconnect_data_item_id"] for i in items.values()]
    assert len(items) == 35 and len(set(data_item_ids)) == 35
    report = result["report"]
    assert (report["available"], report["chosen"]) == (["CMP", "MoriSeiki"], "MoriSeiki")
    assert report["counts"] == {"elements": 40, "mapped": 35, "attributes": 0, "dropped": 5}
    assert {d["source"]: d["reason"] for d in report["dropped"]} == {
        f"Device[CMP]/{path}": "device CMP was not chosen (import it with device=CMP)"
        for path in (
            "DataItem[3]", "Axes/Linear[Z]/DataItem[7]", "Axes/Linear[Z]/DataItem[8]",
            "Thermostat/DataItem[10]", "Power/DataItem[1]",
        )
    }  # fmt: skip
    notes = {m["item_id"]: m["notes"] for m in report["mapped"]}
    assert notes["power_amperage_amp_a"] == [
        "no units in the document: AMPERAGE is reported in AMPERE (MTConnect)"
    ]


def test_the_first_device_by_default_and_an_unknown_device_refused(
    client: TestClient, vendor: dict[str, str]
) -> None:
    data = (MTCONNECT / "128.32.164.245.xml").read_bytes()
    unknown = post(client, data, vendor, device="Okuma")
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"] == "query.device"
    assert unknown.json()["detail"] == "the document has no device 'Okuma'; it has CMP or MoriSeiki"
    assert client.get(URL, headers=vendor).json()["items"] == []
    answer = post(client, data, vendor, lang="ko")
    assert answer.status_code == 201, answer.text
    items = by_id(answer.json()["version"])
    assert sorted(items) == ["alarm", "power_status", "thermostat_temperature", "z_position_actual"]
    assert items["z_position_actual"]["mappings"]["mtconnect_data_item_id"] == "8"
    report = answer.json()["report"]
    assert report["counts"] == {"elements": 41, "mapped": 4, "attributes": 1, "dropped": 36}
    assert answer.json()["version"]["attributes"] == [
        {"name": "uuid", "value": "CMP", "source": "Device[CMP]@uuid"}
    ]
    dropped = {d["source"]: d["reason"] for d in report["dropped"]}
    assert dropped["Device[CMP]/Axes/Linear[Z]/DataItem[7]"] == (
        "SAMPLE에는 플랫폼이 아는 단위가 있어야 합니다 (units=None, nativeUnits=None)"
    )
    assert dropped["Device[MoriSeiki]/Axes/Linear[X]/DataItem[25]"] == (
        "장치 MoriSeiki는 선택되지 않았습니다 (device=MoriSeiki로 가져오세요)"
    )


def test_the_report_is_stored_with_the_version_in_both_languages(
    client: TestClient, vendor: dict[str, str], auth: Auth
) -> None:
    data = (MTCONNECT / "data_set.xml").read_bytes()
    answer = post(client, data, vendor)
    assert answer.status_code == 201, answer.text
    stored = client.get(f"{URL}/imported/versions/0.1.0/import-report", headers=vendor)
    assert stored.status_code == 200 and stored.json() == answer.json()["report"]
    assert stored.json()["counts"] == {"elements": 15, "mapped": 9, "attributes": 2, "dropped": 4}
    dropped = {d["source"].rsplit("/", 1)[-1]: d["reason"] for d in stored.json()["dropped"]}
    data_set = "representation DATA_SET: each observation is a set of key-value pairs, not one reading"
    table = "representation TABLE: each observation is a table of rows and cells, not one reading"
    assert dropped == {
        "DataItem[v1]": data_set,
        "DataItem[v2]": data_set,
        "DataItem[v3]": data_set,
        "DataItem[wp1]": table,
    }
    korean = client.get(f"{URL}/imported/versions/0.1.0/import-report", params={"lang": "ko"}, headers=vendor)
    assert {d["reason"] for d in korean.json()["dropped"]} == {
        "표현 방식 DATA_SET: 관측값 하나가 키-값 쌍의 집합이라 단일 측정값이 아닙니다",
        "표현 방식 TABLE: 관측값 하나가 행과 셀로 된 표라 단일 측정값이 아닙니다",
    }
    # A draft's report is its owner's; a version made by hand has none.
    other = auth("vendor", org_id="org-vendor-2")
    assert client.get(f"{URL}/imported/versions/0.1.0/import-report", headers=other).status_code == 404
    assert client.get(f"{URL}/imported/versions/0.1.0/import-report").status_code == 404
    items = answer.json()["version"]["items"]
    added = client.post(f"{URL}/imported/versions", json={"version": "0.2.0", "items": items}, headers=vendor)
    assert added.status_code == 201, added.text
    missing = client.get(f"{URL}/imported/versions/0.2.0/import-report", headers=vendor)
    assert missing.status_code == 404 and "not imported" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("sample", "elements", "mapped"),
    [
        ("128.32.164.245.xml", 41, 4),  # DataItems of both devices + CMP's uuid
        ("configuration.xml", 10, 8),  # 8 DataItems + uuid, manufacturer (serialNumber is empty)
        ("data_set.xml", 15, 9),
        ("kinematics.xml", 3, 1),
        ("reference_example.xml", 15, 13),
        ("two_devices.xml", 9, 3),  # 6 DataItems + Device1's uuid, manufacturer, serialNumber
    ],
)
def test_every_data_item_of_every_sample_is_accounted_for(
    client: TestClient, vendor: dict[str, str], sample: str, elements: int, mapped: int
) -> None:
    answer = post(client, (MTCONNECT / sample).read_bytes(), vendor)
    assert answer.status_code == 201, answer.text
    counts = answer.json()["report"]["counts"]
    assert (counts["elements"], counts["mapped"]) == (elements, mapped)
    assert counts["mapped"] + counts["attributes"] + counts["dropped"] == elements
    ids = [i["mappings"]["mtconnect_data_item_id"] for i in answer.json()["version"]["items"]]
    assert len(ids) == len(set(ids)) == mapped


def test_the_second_of_two_devices(client: TestClient, vendor: dict[str, str]) -> None:
    answer = post(client, (MTCONNECT / "two_devices.xml").read_bytes(), vendor, device="device-2")
    assert answer.status_code == 201, answer.text
    items = by_id(answer.json()["version"])
    assert {k: v["mappings"]["mtconnect_data_item_id"] for k, v in items.items()} == {
        "availability": "d2-1",
        "path_controller_mode": "d2-4",
        "path_execution": "d2-5",
    }
    assert items["path_execution"]["mappings"]["mtconnect_component"] == "Controller/Path"
    assert answer.json()["report"]["chosen"] == "Device2"


def test_a_machining_centre_with_constraints_roles_and_a_time_series(
    client: TestClient, vendor: dict[str, str]
) -> None:
    answer = post(client, (DOCS / "mtconnect_1_3_vmc.xml").read_bytes(), vendor)
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["model"]["equipment_type"] == "VMC_3_AXIS" and result["model"]["name"]["ko"] == "VMC-3Axis"
    items = by_id(result["version"])
    speed = items["c_rotary_velocity_actual"]
    assert (speed["unit"], speed["min"], speed["max"]) == ("rpm", 0.0, 12000.0)
    assert speed["mappings"]["mtconnect_data_item_id"] == "Sspeed"
    assert speed["mappings"]["mtconnect_component"] == "Axes[base]/Rotary[C]"
    assert items["x_position_actual"]["mappings"]["mtconnect_coordinate_system"] == "MACHINE"
    assert items["controller_mode"]["allowed_values"] == ["AUTOMATIC", "MANUAL", "MANUAL_DATA_INPUT"]
    assert items["electric_electrical_energy"]["unit"] == "J"
    roles = {i["id"]: i["role"] for i in items.values() if i["role"]}
    assert roles == {
        "emergency_stop": "alarm", "c_temperature": "alarm", "controller_logic_program": "alarm",
        "path_execution": "execution_state", "path_part_count_all": "part_count",
        "path_part_count_good": "good_count", "electric_electrical_energy": "energy",
    }  # fmt: skip
    assert items["path_part_count"]["mappings"]["mtconnect_data_item_id"] == "pc2"
    report = result["report"]
    assert report["counts"] == {"elements": 22, "mapped": 15, "attributes": 3, "dropped": 4}
    assert result["version"]["attributes"] == [
        {"name": "uuid", "value": "000-vmc-1", "source": "Device[VMC-3Axis]@uuid"},
        {"name": "manufacturer", "value": "Hwacheon", "source": "Device[VMC-3Axis]/Description@manufacturer"},
        {"name": "model", "value": "VESTA-660", "source": "Device[VMC-3Axis]/Description@model"},
    ]
    assert {d["source"]: d["reason"] for d in report["dropped"]} == {
        "Device[VMC-3Axis]/Axes[base]/Linear[X]/DataItem[Xangle]":
            "a SAMPLE needs units the platform knows (units='DEGREE', nativeUnits=None)",
        "Device[VMC-3Axis]/Axes[base]/Linear[X]/DataItem[Xpos_ts]":
            "representation TIME_SERIES: each observation is a series of values sampled at a rate, not one "
            "reading",
        "Device[VMC-3Axis]/Controller/Path/DataItem[flow]":
            "a SAMPLE needs units the platform knows (units='LITER/SECOND', nativeUnits=None)",
        "Device[Other]/DataItem[o]": "device Other was not chosen (import it with device=Other)",
    }  # fmt: skip
    notes = {m["item_id"]: m["notes"] for m in report["mapped"]}
    assert notes["path_part_count"] == [
        "role part_count stays with 'path_part_count_all' (one item per role)"
    ]
    assert notes["path_feedrate"] == [
        "nativeUnits FOOT/MINUTE are the controller's own; the agent reports in MILLIMETER/SECOND"
    ]


def test_3d_values_become_one_item_per_coordinate(client: TestClient, vendor: dict[str, str]) -> None:
    data = (
        b'<MTConnectDevices xmlns="urn:mtconnect.org:MTConnectDevices:2.2"><Devices>'
        b'<Device id="d" name="Robot"><Components><Controller id="c"><Components><Path id="p" name="path">'
        b'<DataItems><DataItem id="pp" category="SAMPLE" type="PATH_POSITION" subType="ACTUAL" '
        b'units="MILLIMETER_3D" coordinateSystem="WORK"/></DataItems></Path></Components></Controller>'
        b"</Components></Device></Devices></MTConnectDevices>"
    )
    answer = post(client, data, vendor)
    assert answer.status_code == 201, answer.text
    items = by_id(answer.json()["version"])
    assert {k: (v["unit"], v["mappings"]["mtconnect_vector_index"]) for k, v in items.items()} == {
        "path_position_actual_x": ("mm", 0),
        "path_position_actual_y": ("mm", 1),
        "path_position_actual_z": ("mm", 2),
    }
    assert {v["mappings"]["mtconnect_data_item_id"] for v in items.values()} == {"pp"}
    assert answer.json()["report"]["counts"] == {"elements": 1, "mapped": 1, "attributes": 0, "dropped": 0}
    assert answer.json()["report"]["mapped"][0]["notes"] == [
        "no Korean name for this type: the English name stands in",
        "coordinate X of a 3D value (MILLIMETER_3D)",
    ]


def test_deep_nesting_is_refused_and_stores_nothing(client: TestClient, vendor: dict[str, str]) -> None:
    depth = 5000
    data = (
        b'<MTConnectDevices><Devices><Device id="d" name="Deep">'
        + b'<Components><Axes id="a">' * depth
        + b"</Axes></Components>" * depth
        + b"</Device></Devices></MTConnectDevices>"
    )
    answer = post(client, data, vendor)  # its time: bench/standards_bench.py
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "the XML document nests too deeply (more than 128 elements, at line 1)"
    assert answer.json()["fields"][0]["loc"] == "body"
    assert client.get(URL, headers=vendor).json()["items"] == []


def test_mtconnect_2_with_a_prefix_and_an_agent(client: TestClient, vendor: dict[str, str]) -> None:
    data = (DOCS / "mtconnect_2_0_prefixed.xml").read_bytes()
    answer = post(client, data, vendor, equipment_type="INJECTION_MOLDING", name_ko="사출기")
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert (
        result["model"]["equipment_type"] == "INJECTION_MOLDING" and result["model"]["name"]["ko"] == "사출기"
    )
    items = by_id(result["version"])
    assert sorted(items) == [
        "barrel_pressure", "barrel_temperature", "ctrl_execution", "ctrl_part_count_bad",
        "ctrl_process_timer_process",
    ]  # fmt: skip
    assert items["barrel_temperature"]["unit"] == "°C" and items["barrel_temperature"]["max"] == 400
    assert items["barrel_pressure"]["unit"] == "Pa" and items["ctrl_part_count_bad"]["role"] == "reject_count"
    assert items["ctrl_part_count_bad"]["name"]["ko"] == "불량 수량 (Controller[ctrl] rejects)"
    report = result["report"]
    assert (report["available"], report["chosen"]) == (["Agent", "IMM 180t"], "IMM 180t")
    assert report["dropped"] == [
        {"source": "Device[Agent]/DataItem[agent_avail]", "reason": "device Agent was not chosen (import it "
         "with device=Agent)"}
    ]  # fmt: skip


def test_the_model_page_shows_the_report(client: TestClient, vendor: dict[str, str], auth: Auth) -> None:
    data = (MTCONNECT / "two_devices.xml").read_bytes()
    assert post(client, data, vendor, model_id="two-devices").status_code == 201
    admin = auth("admin", org_id="org-operator")
    published = client.post(f"{URL}/two-devices/versions/0.1.0/publish", headers=admin)
    assert published.status_code == 200, published.text
    korean = client.get("/standards/two-devices").text
    assert "가져오기 매핑 보고서" in korean and "문서의 요소 9개: 매핑 3개, 속성 3개, 제외 3개" in korean
    assert "문서에 있는 대상: Device1, Device2 · 가져온 대상: Device1" in korean
    assert "장치 Device2는 선택되지 않았습니다 (device=Device2로 가져오세요)" in korean
    english = client.get("/standards/two-devices", params={"lang": "en"}).text
    assert "9 elements in the document: 3 mapped, 3 kept as attributes, 3 dropped" in english
    assert "<code>Device[Device2]/Controller/Path/DataItem[d2-5]</code>" in english


def test_a_document_of_many_devices_lists_some(client: TestClient, vendor: dict[str, str]) -> None:
    devices = "".join(
        f'<Device id="d{n}" name="M{n}"><DataItems><DataItem id="e{n}" category="EVENT" type="EXECUTION"/>'
        "</DataItems></Device>"
        for n in range(250)
    )
    data = f"<MTConnectDevices><Devices>{devices}</Devices></MTConnectDevices>".encode()
    answer = post(client, data, vendor, device="M249")
    assert answer.status_code == 201, answer.text
    report = answer.json()["report"]
    assert len(report["available"]) == 200 and report["available"][:2] == ["M0", "M1"]
    assert report["chosen"] == "M249" and report["notes"] == ["50 more devices in the document, not listed"]
    assert report["counts"] == {"elements": 250, "mapped": 1, "attributes": 0, "dropped": 249}
    assert answer.json()["version"]["items"][0]["mappings"]["mtconnect_data_item_id"] == "e249"
