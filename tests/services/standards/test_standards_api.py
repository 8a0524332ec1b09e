"""The standards API (제조데이터 표준) against SQLite and real PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.standards.roles import is_alarm, state_class
from tests.conftest import Auth
from tests.factories import item, model_body

URL = "/api/v1/standards"


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-1")


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


@pytest.fixture
def published(client: TestClient, vendor: dict[str, str], admin: dict[str, str]) -> str:
    assert client.post(URL, json=model_body(), headers=vendor).status_code == 201
    assert client.post(f"{URL}/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    return f"{URL}/cnc-lathe/versions/1.0.0"


def test_draft_is_private_until_an_admin_publishes(
    client: TestClient, vendor: dict[str, str], admin: dict[str, str], auth: Auth
) -> None:
    created = client.post(URL, json=model_body(), headers=vendor).json()
    assert created["owner_org_id"] == "org-vendor-1"
    assert created["versions"] == [{"version": "1.0.0", "status": "draft", "published_at": None}]
    assert client.get(URL).json()["items"] == []
    assert client.get(f"{URL}/cnc-lathe").status_code == 404
    assert (
        client.get(
            f"{URL}/cnc-lathe/versions/1.0.0", headers=auth("vendor", org_id="org-vendor-2")
        ).status_code
        == 404
    )
    assert [m["id"] for m in client.get(URL, headers=vendor).json()["items"]] == ["cnc-lathe"]
    assert client.post(f"{URL}/cnc-lathe/versions/1.0.0/publish", headers=vendor).status_code == 403
    published = client.post(f"{URL}/cnc-lathe/versions/1.0.0/publish", headers=admin).json()
    assert published["status"] == "published" and published["published_at"]
    assert client.post(f"{URL}/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 409
    listed = client.get(URL).json()["items"]
    assert [m["latest_published_version"] for m in listed] == ["1.0.0"]
    assert client.get(URL, params={"status": "draft"}).json()["items"] == []
    assert len(client.get(URL, params={"equipment_type": "CNC_LATHE", "q": "선반"}).json()["items"]) == 1
    nulled = client.patch(f"{URL}/cnc-lathe", json={"name": None}, headers=vendor)
    assert nulled.status_code == 422 and nulled.json()["fields"][0]["loc"] == "body.name"


def test_version_contract_used_by_ingest(client: TestClient, published: str) -> None:
    version = client.get(published).json()
    assert set(version) >= {
        "model_id",
        "version",
        "status",
        "equipment_type",
        "name",
        "items",
        "published_at",
    }
    speed = version["items"][0]
    assert speed == {
        **item(),
        "semantic_id": None,
        "mappings": None,
        "allowed_values": None,
        "role": None,
        "source": None,
    }
    assert version["ideal_cycle_time_s"] is None


def test_published_versions_are_immutable_and_versions_grow(
    client: TestClient, published: str, vendor: dict[str, str], admin: dict[str, str]
) -> None:
    assert client.patch(published, json={"changelog": "x"}, headers=vendor).status_code == 409
    assert (
        client.post(f"{URL}/cnc-lathe/versions", json={"version": "1.0.0"}, headers=vendor).status_code == 409
    )
    assert (
        client.post(f"{URL}/cnc-lathe/versions", json={"version": "0.9.9"}, headers=vendor).status_code == 409
    )
    draft = client.post(
        f"{URL}/cnc-lathe/versions", json={"version": "1.10.0", "base_version": "1.0.0"}, headers=vendor
    ).json()
    assert draft["status"] == "draft" and len(draft["items"]) == 5
    changed = client.patch(
        f"{URL}/cnc-lathe/versions/1.10.0",
        json={"items": [item(hi=8000)], "changelog": "범위"},
        headers=vendor,
    ).json()
    assert changed["items"][0]["max"] == 8000 and changed["changelog"] == "범위"
    assert (
        client.post(f"{URL}/cnc-lathe/versions", json={"version": "1.9.0"}, headers=vendor).status_code == 409
    )
    assert [v["version"] for v in client.get(f"{URL}/cnc-lathe/versions").json()] == ["1.0.0"]
    assert [v["version"] for v in client.get(f"{URL}/cnc-lathe/versions", headers=vendor).json()] == [
        "1.0.0",
        "1.10.0",
    ]
    assert client.post(f"{URL}/cnc-lathe/versions/1.10.0/deprecate", headers=admin).status_code == 409
    assert client.post(f"{published}/deprecate", headers=admin).json()["status"] == "deprecated"
    assert client.get(published).status_code == 200


def test_validate_reports_every_violation_and_normalises(client: TestClient, published: str) -> None:
    readings = [
        {"item_id": "coolant_temp", "value": 212, "unit": "°F"},
        {"item_id": "feed_rate", "value": 600, "unit": "mm/min"},
        {"item_id": "spindle_speed", "value": 9000},
        {"item_id": "spindle_speed", "value": True},
        {"item_id": "spindle_speed", "value": "1200"},
        {"item_id": "coolant_temp", "value": 20, "unit": "bar"},
        {"item_id": "execution", "value": "DANCING"},
        {"item_id": "part_count", "value": 1.5},
        {"item_id": "torque", "value": 1},
        {"item_id": "feed_rate", "value": 1, "timestamp": "2999-01-01T00:00:00+09:00"},
        {"item_id": "execution", "value": "RUNNING"},
    ]
    result = client.post(f"{published}/validate", json={"readings": readings}).json()
    assert result["valid"] is False
    found = [(v["index"], v["field"]) for v in result["violations"]]
    assert found == [
        (0, "value"),
        (2, "value"),
        (3, "value"),
        (4, "value"),
        (5, "unit"),
        (6, "value"),
        (7, "value"),
        (8, "item_id"),
        (9, "timestamp"),
    ]
    assert "above the maximum 80" in result["violations"][0]["reason"]  # 212 °F = 100 °C
    assert result["normalized"] == [
        {"item_id": "feed_rate", "value": 10.0, "unit": "mm/s"},
        {"item_id": "execution", "value": "RUNNING", "unit": None},
    ]
    ok = client.post(
        f"{published}/validate", json={"readings": [{"item_id": "coolant_temp", "value": 98.6, "unit": "°F"}]}
    ).json()
    assert ok["valid"] is True and ok["normalized"][0]["value"] == pytest.approx(37.0)
    assert (
        client.post(f"{published}/validate", json={"readings": []}).json()["fields"][0]["loc"]
        == "body.readings"
    )


def test_json_schema_and_aas_exports(client: TestClient, published: str) -> None:
    schema = client.get(f"{published}/json-schema").json()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["item_id"]["enum"] == [
        "spindle_speed",
        "coolant_temp",
        "feed_rate",
        "part_count",
        "execution",
    ]
    speed = schema["oneOf"][0]["properties"]
    assert speed["value"] == {"type": "number", "minimum": 0, "maximum": 6000} and speed["unit"] == {
        "const": "rpm"
    }
    assert schema["oneOf"][4]["properties"]["value"]["enum"] == ["RUNNING", "IDLE", "STOPPED"]
    aas = client.get(f"{published}/aas").json()
    assert aas["modelType"] == "Submodel" and aas["kind"] == "Template" and aas["idShort"] == "cnc_lathe"
    props = {e["idShort"]: e for e in aas["submodelElements"]}
    assert props["part_count"]["valueType"] == "xs:int"
    assert {"language": "ko", "text": "주축 회전수"} in props["spindle_speed"]["displayName"]
    assert {"type": "Unit", "valueType": "xs:string", "value": "rpm"} in props["spindle_speed"]["qualifiers"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (model_body(model_id="X"), "body.id"),
        (model_body(version="1.0"), "body.version"),
        (model_body(items=[]), "body.items"),
        (model_body(items=[item(unit="furlong")]), "body.items[0].unit"),
        (model_body(items=[item(unit="degC")]), "body.items[0].unit"),
        (model_body(items=[item(unit=None)]), "body.items[0]"),
        (model_body(items=[item(lo=10, hi=1)]), "body.items[0]"),
        (model_body(items=[item(category="SENSOR")]), "body.items[0].category"),
        (model_body(items=[item(), item()]), "body.items"),
        (model_body(equipment_type="lathe"), "body.equipment_type"),
        (model_body(items=[item(role="cycle")]), "body.items[0].role"),
        (model_body(items=[item(role="execution_state")]), "body.items[0]"),
        (model_body(items=[item(role="energy")]), "body.items[0]"),
        (model_body(items=[item(role="part_count")]), "body.items[0]"),
        (model_body(items=[item(role="alarm")]), "body.items[0]"),
        (
            model_body(items=[item(unit="s", role="cycle_time"), item("c2", unit="ms", role="cycle_time")]),
            "body.items",
        ),
        (model_body(ideal_cycle_time_s=0), "body.ideal_cycle_time_s"),
    ],
)
def test_invalid_models_name_the_field(
    client: TestClient, vendor: dict[str, str], body: dict, loc: str
) -> None:
    response = client.post(URL, json=body, headers=vendor)
    assert response.status_code == 422
    assert [f["loc"] for f in response.json()["fields"]] == [loc]


def test_roles_and_ownership(client: TestClient, vendor: dict[str, str], auth: Auth) -> None:
    assert client.post(URL, json=model_body()).status_code == 401
    assert client.post(URL, json=model_body(), headers=auth("sme", org_id="org-sme-1")).status_code == 403
    assert client.post(URL, json=model_body(), headers=vendor).status_code == 201
    assert client.post(URL, json=model_body(), headers=vendor).status_code == 409
    other = auth("vendor", org_id="org-vendor-2")
    assert (
        client.patch(f"{URL}/cnc-lathe", json={"name": {"ko": "남의 것"}}, headers=other).status_code == 403
    )
    assert (
        client.post(f"{URL}/cnc-lathe/versions", json={"version": "2.0.0"}, headers=other).status_code == 403
    )
    renamed = client.patch(
        f"{URL}/cnc-lathe", json={"description": {"ko": "범용 선반"}}, headers=vendor
    ).json()
    assert renamed["description"] == {"ko": "범용 선반", "en": None}
    assert client.get(f"{URL}/nothing-here").status_code == 404


def kpi_items() -> list[dict]:
    return [
        item(
            "execution",
            data_type="string",
            unit=None,
            lo=None,
            category="EVENT",
            role="execution_state",
            allowed_values=["ACTIVE", "READY", "FEED_HOLD"],
        ),
        item(
            "part_count", data_type="int", unit="count", lo=0, hi=10**9, category="EVENT", role="part_count"
        ),
        item(
            "good_count", data_type="int", unit="count", lo=0, hi=10**9, category="EVENT", role="good_count"
        ),
        item(
            "reject_count",
            data_type="int",
            unit="count",
            lo=0,
            hi=10**9,
            category="EVENT",
            role="reject_count",
        ),
        item("energy", unit="kWh", lo=0, hi=1e9, role="energy"),
        item("cycle_time", unit="s", lo=0, hi=3600, role="cycle_time"),
        item("spindle_alarm", data_type="string", unit=None, lo=None, category="CONDITION", role="alarm"),
        item("door_alarm", data_type="string", unit=None, lo=None, category="EVENT", role="alarm"),
    ]


def test_kpi_roles_and_ideal_cycle_time_travel_through_versions(
    client: TestClient, vendor: dict[str, str], admin: dict[str, str]
) -> None:
    body = model_body(items=kpi_items(), ideal_cycle_time_s=42.5)
    assert client.post(URL, json=body, headers=vendor).status_code == 201
    first = client.get(f"{URL}/cnc-lathe/versions/1.0.0", headers=vendor).json()
    assert first["ideal_cycle_time_s"] == 42.5
    assert {i["id"]: i["role"] for i in first["items"]} == {
        "execution": "execution_state",
        "part_count": "part_count",
        "good_count": "good_count",
        "reject_count": "reject_count",
        "energy": "energy",
        "cycle_time": "cycle_time",
        "spindle_alarm": "alarm",
        "door_alarm": "alarm",
    }
    copied = client.post(f"{URL}/cnc-lathe/versions", json={"version": "1.1.0"}, headers=vendor).json()
    assert copied["ideal_cycle_time_s"] == 42.5 and copied["items"] == first["items"]
    cleared = client.patch(
        f"{URL}/cnc-lathe/versions/1.1.0", json={"ideal_cycle_time_s": None}, headers=vendor
    ).json()
    assert cleared["ideal_cycle_time_s"] is None
    changed = client.post(
        f"{URL}/cnc-lathe/versions", json={"version": "1.2.0", "ideal_cycle_time_s": 40}, headers=vendor
    ).json()
    assert changed["ideal_cycle_time_s"] == 40
    refused = client.patch(f"{URL}/cnc-lathe/versions/1.2.0", json={"ideal_cycle_time_s": -1}, headers=vendor)
    assert refused.status_code == 422 and refused.json()["fields"][0]["loc"] == "body.ideal_cycle_time_s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ACTIVE", "running"),
        ("running", "running"),
        (" PRODUCING ", "running"),
        ("EXECUTING", "running"),
        ("FEED_HOLD", "down"),
        ("ALARM", "down"),
        ("FAULT", "down"),
        ("STOPPED", "down"),
        ("INTERRUPTED", "down"),
        ("PROGRAM_STOPPED", "down"),
        ("EXECUTE", "running"),
        ("ABORTED", "down"),
        ("HELD", "down"),
        ("SUSPENDED", "idle"),
        ("READY", "idle"),
        ("IDLE", "idle"),
        ("SETUP", "idle"),
    ],
)
def test_state_class_sorts_execution_states(value: str, expected: str) -> None:
    assert state_class(value) == expected


def test_alarm_values() -> None:
    assert [is_alarm(v) for v in ("normal", "UNAVAILABLE", "ARMED", "warning", "fault", "TRIGGERED")] == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]
