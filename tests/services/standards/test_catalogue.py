"""The published catalogue (services.standards.library) through the API, and search over it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from platform_api.demo_data import build_world
from services.kit.reference import INDUSTRY_BY_CODE, SUBFIELD_BY_CODE
from services.kit.units import UNITS
from services.standards.library import CATALOGUE
from services.standards.schemas import ModelCreate
from tests.conftest import Auth
from tests.factories import item, model_body

URL = "/api/v1/standards"


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


@pytest.fixture
def catalogue(client: TestClient, admin: dict[str, str]) -> list[str]:
    for body in CATALOGUE:
        assert client.post(URL, json=body, headers=admin).status_code == 201, body["id"]
        assert client.post(f"{URL}/{body['id']}/versions/1.0.0/publish", headers=admin).status_code == 200
    return [m["id"] for m in CATALOGUE]


def test_catalogue_content_is_sourced_and_typed() -> None:
    assert len(CATALOGUE) >= 30
    assert len({m["equipment_type"] for m in CATALOGUE}) == len(CATALOGUE)
    for model in CATALOGUE:
        assert model["name"]["ko"] and model["name"]["en"]
        assert model["subfields"] and set(model["subfields"]) <= set(SUBFIELD_BY_CODE)
        assert model["industries"] and set(model["industries"]) <= set(INDUSTRY_BY_CODE)
        roles = [i.get("role") for i in model["items"]]
        assert any(roles), model["id"]  # every model feeds at least one KPI
        for data_item in model["items"]:
            where = f"{model['id']}.{data_item['id']}"
            assert data_item["name"]["ko"] and data_item["name"]["en"], where
            assert data_item["category"] in ("SAMPLE", "EVENT", "CONDITION"), where
            if data_item["data_type"] in ("float", "int") and data_item["category"] == "SAMPLE":
                assert data_item["unit"] in UNITS and "min" in data_item and "max" in data_item, where
            assert data_item.get("mappings", {}).get("mtconnect_type") or data_item["id"] in {
                "confidence",
                "lighting",
                "mach_speed",
                "placement_rate",
                "pickup_error_rate",
                "illuminance",
            }, where
            if data_item.get("mappings"):
                assert data_item["source"] and len(data_item["source"]) <= 200, where


def test_catalogue_publishes_and_is_found(client: TestClient, catalogue: list[str]) -> None:
    listed = client.get(URL, params={"limit": 200}).json()["items"]
    assert sorted(m["id"] for m in listed) == sorted(catalogue)
    assert all(m["latest_published_version"] == "1.0.0" for m in listed)

    def found(**params: str) -> list[str]:
        return [m["id"] for m in client.get(URL, params={"limit": 200, **params}).json()["items"]]

    assert found(q="사출") == ["die-casting"]  # by its item "사출 속도" (shot velocity)
    assert found(q="압출") == ["plastic-extruder"]
    assert found(q="chiller") == ["chiller"]
    assert found(q="주축 회전수") == ["cnc-machining-center", "cnc-router"]
    assert "agv" in found(subfield="INFO-LOG") and "chiller" not in found(subfield="INFO-LOG")
    assert found(subfield="auto-vision") == []
    assert found(industry="C13") == [
        "boiler",
        "industrial-sewing-machine",
        "plastic-extruder",
        "weaving-loom",
    ]
    robots = found(subfield="AUTO-ROBOT")
    assert "collaborative-robot" in robots
    part_counters = found(item="PART_COUNT")
    assert "cnc-machining-center" in part_counters and "chiller" not in part_counters
    assert found(item="battery_level") == ["agv"]
    assert found(equipment_type="POWER_METER", item="energy") == ["power-meter"]
    mtc = client.get(f"{URL}/cnc-machining-center/versions/1.0.0").json()
    roles = {i["role"] for i in mtc["items"] if i["role"]}
    assert roles == {
        "execution_state",
        "part_count",
        "good_count",
        "reject_count",
        "cycle_time",
        "alarm",
        "energy",
    }
    assert mtc["ideal_cycle_time_s"] == 180.0
    speed = next(i for i in mtc["items"] if i["id"] == "spindle_speed")
    assert speed["mappings"]["opcua_browse_name"] == "Monitoring/Spindles/Spindle1/ActualSpeed"
    assert "OPC 40501-1 Machine Tools" in speed["source"] and "ROTARY_VELOCITY" in speed["source"]


def test_semantic_id_search_and_bad_taxonomy(client: TestClient, admin: dict[str, str], auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-1")
    body = model_body(items=[item(semantic_id="0173-1#02-BAA120#008")], subfields=["AUTO-EQUIP"])
    assert client.post(URL, json=body, headers=vendor).status_code == 201
    assert client.get(URL, params={"semantic_id": "0173-1#02-BAA120#008"}).json()["items"] == []  # a draft
    owner_view = client.get(URL, params={"semantic_id": "0173-1#02-baa120#008"}, headers=vendor).json()
    assert [m["id"] for m in owner_view["items"]] == ["cnc-lathe"]
    bad = client.post(URL, json=model_body(model_id="other", subfields=["ROBOTS"]), headers=vendor)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "body.subfields[0]"
    bad = client.post(URL, json=model_body(model_id="other", industries=["C99"]), headers=vendor)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "body.industries[0]"
    patched = client.patch(f"{URL}/cnc-lathe", json={"industries": ["C29"]}, headers=vendor).json()
    assert patched["industries"] == ["C29"] and patched["subfields"] == ["AUTO-EQUIP"]
    assert [m["id"] for m in client.get(URL, params={"industry": "C29"}, headers=vendor).json()["items"]] == [
        "cnc-lathe"
    ]


def test_key_equipment_progress_counts_published_models_only(
    client: TestClient, admin: dict[str, str], auth: Auth
) -> None:
    vendor = auth("vendor", org_id="org-vendor-1")
    bodies = [m for m in CATALOGUE if m["id"] in ("chiller", "boiler", "agv")]
    for body in bodies:
        assert client.post(URL, json=body, headers=vendor).status_code == 201
    for model_id in ("chiller", "boiler"):
        assert client.post(f"{URL}/{model_id}/versions/1.0.0/publish", headers=admin).status_code == 200
    second = model_body(
        model_id="chiller-b", equipment_type="CHILLER", subfields=["CONN-SENSOR"], industries=["C22"]
    )
    assert client.post(URL, json=second, headers=vendor).status_code == 201
    assert client.post(f"{URL}/chiller-b/versions/1.0.0/publish", headers=admin).status_code == 200
    assert client.post(f"{URL}/boiler/versions/1.0.0/deprecate", headers=admin).status_code == 200
    progress = client.get(f"{URL}/key-equipment").json()
    assert progress["target_equipment_types"] == 500
    assert (progress["equipment_types"], progress["published_models"], progress["progress_pct"]) == (
        1,
        2,
        0.2,
    )
    assert progress["by_equipment_type"] == [
        {"equipment_type": "CHILLER", "published_models": 2, "equipment_in_use": 0}
    ]
    by_subfield = {s["code"]: (s["published_models"], s["equipment_types"]) for s in progress["by_subfield"]}
    assert len(by_subfield) == 14
    assert by_subfield["CONN-SENSOR"] == (2, 1) and by_subfield["AUTO-EQUIP"] == (1, 1)
    assert by_subfield["INFO-LOG"] == (0, 0)  # the AGV is a draft
    by_industry = {i["code"]: i["published_models"] for i in progress["by_industry"]}
    assert by_industry == {"C10": 1, "C21": 1, "C22": 2, "C26": 1}
    assert (
        next(s for s in progress["by_subfield"] if s["code"] == "CONN-SENSOR")["name"]["ko"]
        == "센서·액추에이터"
    )


def test_demo_world_seeds_the_demo_models_and_the_catalogue() -> None:
    models = build_world().models
    ids = [m["id"] for m in models]
    assert len(ids) == len(set(ids)) == 10 + len(CATALOGUE)
    assert ids[:3] == ["cnc-lathe", "injection-molding", "spot-welder"]  # the demo telemetry's models
    for body in models:
        created = ModelCreate.model_validate(body)
        assert created.subfields and created.industries, body["id"]
