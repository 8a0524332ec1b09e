"""Uploads and ``/validate`` answer the same readings the same way: they share one validator."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import snapshots
from tests.conftest import Auth
from tests.factories import item, model_body, register_factory

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ITEMS = [
    item("coolant_temp", unit="°C", lo=-10, hi=80),
    item("length", unit="mm", lo=0, hi=500),
    item("part_count", data_type="int", unit="mm", lo=0, hi=1000, category="EVENT"),
    item("running", data_type="bool", unit=None, lo=None, category="EVENT"),
    item(
        "execution", data_type="string", unit=None, lo=None, category="EVENT", allowed_values=["RUN", "IDLE"]
    ),
]
NOW = datetime.now(UTC)
_batches = itertools.count()

values = st.one_of(
    st.floats(min_value=-100, max_value=2000, allow_nan=False),
    st.integers(min_value=-5, max_value=1500),
    st.sampled_from([1.25, 2.5, 0.1, 11.000000000000002]),
    st.booleans(),
    st.sampled_from(["RUN", "IDLE", "STOP", "12"]),
)
samples = st.fixed_dictionaries(
    {
        "item_id": st.sampled_from([i["id"] for i in ITEMS] + ["unknown_item"]),
        "value": values,
        "unit": st.sampled_from([None, "°C", "°F", "K", "mm", "cm", "m", "in", "rpm"]),
        "timestamp": st.sampled_from(
            [
                (NOW - timedelta(hours=1)).isoformat(),
                (NOW + timedelta(minutes=1)).isoformat(),
                (NOW + timedelta(days=1)).isoformat(),
                "2025-11-24T09:00:00",  # no zone
            ]
        ),
    }
)


def seed_world(client: TestClient, auth: Auth) -> dict[str, str]:
    """The cnc-lathe standard published and factory-sme-1-a registered: its gateway's headers."""
    admin = auth("admin", org_id="org-operator")
    assert client.post("/api/v1/standards", json=model_body(items=ITEMS), headers=admin).status_code == 201
    assert client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    register_factory(client, admin)
    return {
        **auth("gateway", org_id="org-sme-1", factory_id="factory-sme-1-a"),
        "X-Factory-Id": "factory-sme-1-a",
    }


@pytest.fixture
@snapshots.seeded_by(seed_world)
def world(request: pytest.FixtureRequest) -> dict[str, str]:
    return dict(snapshots.seeded(request))


def _via_validate(client: TestClient, readings: list[dict[str, Any]]) -> set[tuple[int, str]]:
    answer = client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/validate", json={"readings": readings})
    assert answer.status_code == 200, answer.text
    return {
        (v["index"], "ts" if v["field"] == "timestamp" else v["field"]) for v in answer.json()["violations"]
    }


def _via_upload(
    client: TestClient, gateway: dict[str, str], readings: list[dict[str, Any]]
) -> set[tuple[int, str]]:
    rows = [
        {
            "equipment_id": "eq-1",
            "model_id": "cnc-lathe",
            "model_version": "1.0.0",
            "item_id": r["item_id"],
            "ts": r["timestamp"],
            "value": r["value"],
            "unit": r["unit"],
        }
        for r in readings
    ]
    answer = client.post(
        "/api/v1/ingest/batches",
        json={"readings": rows},
        headers={**gateway, "X-Batch-Id": f"prop-{next(_batches)}"},
    )
    if answer.status_code == 202:
        return set()
    assert answer.status_code == 400, answer.text
    found = set()
    for field in answer.json()["fields"]:
        row, name = field["loc"].removeprefix("rows[").split("].")
        found.add((int(row), name))
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(readings=st.lists(samples, min_size=1, max_size=12))
def test_the_same_readings_get_the_same_verdict(
    client: TestClient, world: dict[str, str], readings: list[dict[str, Any]]
) -> None:
    assert _via_validate(client, readings) == _via_upload(client, world, readings)


def test_an_int_item_in_a_convertible_unit_is_converted_by_both(
    client: TestClient, world: dict[str, str]
) -> None:
    now = datetime.now(UTC).isoformat()
    exact = {"item_id": "part_count", "value": 0.011, "unit": "m", "timestamp": now}  # 11 mm
    fraction = {"item_id": "part_count", "value": 0.0125, "unit": "m", "timestamp": now}  # 12.5 mm
    assert (
        _via_validate(client, [exact, fraction])
        == _via_upload(client, world, [exact, fraction])
        == {(1, "value")}
    )
    answer = client.post(
        "/api/v1/standards/cnc-lathe/versions/1.0.0/validate", json={"readings": [exact]}
    ).json()
    assert answer["normalized"] == [{"item_id": "part_count", "value": 11, "unit": "mm"}]


def test_booleans_after_numbers_stay_booleans(client: TestClient, world: dict[str, str]) -> None:
    now = datetime.now(UTC).isoformat()
    mixed = [
        {"item_id": "coolant_temp", "value": 30.0, "unit": "°C", "timestamp": now},
        {"item_id": "running", "value": True, "unit": None, "timestamp": now},
        {"item_id": "coolant_temp", "value": True, "unit": "°C", "timestamp": now},
    ]
    assert _via_validate(client, mixed) == _via_upload(client, world, mixed) == {(2, "value")}
