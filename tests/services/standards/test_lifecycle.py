"""Vendor proposal -> operator review -> published -> deprecated, and the diff between versions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import item, model_body

URL = "/api/v1/standards"
V1 = f"{URL}/cnc-lathe/versions/1.0.0"


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-1", preferred_username="vendor-kim")


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator", preferred_username="operator-lee")


def test_proposal_review_and_publication(
    client: TestClient, vendor: dict[str, str], admin: dict[str, str], auth: Auth
) -> None:
    assert client.post(URL, json=model_body(), headers=vendor).status_code == 201
    other = auth("vendor", org_id="org-vendor-2")
    assert client.post(f"{V1}/propose", json={}, headers=other).status_code == 403
    assert client.post(f"{V1}/reviews", json={"decision": "approve"}, headers=admin).status_code == 409
    proposed = client.post(f"{V1}/propose", json={"comment": "검토 부탁드립니다"}, headers=vendor).json()
    assert proposed["status"] == "proposed"
    assert client.get(V1).status_code == 404  # still private
    locked = client.patch(V1, json={"changelog": "x"}, headers=vendor)
    assert locked.status_code == 409 and "review" in locked.json()["detail"]
    assert client.post(f"{V1}/propose", json={}, headers=vendor).status_code == 409
    assert client.post(f"{V1}/reviews", json={"decision": "approve"}, headers=vendor).status_code == 403
    bare = client.post(f"{V1}/reviews", json={"decision": "request_changes"}, headers=admin)
    assert bare.status_code == 422 and bare.json()["fields"][0]["loc"] == "body"
    noted = client.post(
        f"{V1}/reviews", json={"decision": "comment", "comment": "단위 확인 중"}, headers=admin
    )
    assert noted.json()["status"] == "proposed"
    sent_back = client.post(
        f"{V1}/reviews",
        json={"decision": "request_changes", "comment": "공급 속도 범위를 넓혀 주세요"},
        headers=admin,
    ).json()
    assert sent_back["status"] == "changes_requested"
    assert client.patch(V1, json={"items": [item(hi=9000)]}, headers=vendor).status_code == 200
    assert client.post(f"{V1}/propose", json={}, headers=vendor).json()["status"] == "proposed"
    approved = client.post(f"{V1}/reviews", json={"decision": "approve"}, headers=admin).json()
    assert approved["status"] == "published" and approved["published_at"]
    assert client.get(V1).json()["items"][0]["max"] == 9000
    assert (
        client.post(
            f"{V1}/reviews", json={"decision": "comment", "comment": "늦은 의견"}, headers=admin
        ).status_code
        == 409
    )
    assert client.patch(V1, json={"changelog": "x"}, headers=vendor).status_code == 409  # immutable
    assert client.post(f"{V1}/deprecate", headers=admin).json()["status"] == "deprecated"
    history = client.get(f"{V1}/reviews", headers=vendor).json()
    assert [(h["action"], h["author"]) for h in history] == [
        ("proposed", "vendor-kim"),
        ("comment", "operator-lee"),
        ("changes_requested", "operator-lee"),
        ("proposed", "vendor-kim"),
        ("approved", "operator-lee"),
        ("deprecated", "operator-lee"),
    ]
    assert history[2]["comment"] == "공급 속도 범위를 넓혀 주세요"
    assert client.get(f"{V1}/reviews", headers=other).status_code == 403
    assert client.get(f"{V1}/reviews").status_code == 401


def new_version(
    client: TestClient, headers: dict[str, str], version: str, items: list[dict[str, Any]]
) -> Any:
    return client.post(
        f"{URL}/cnc-lathe/versions", json={"version": version, "items": items}, headers=headers
    )


def test_diff_tells_what_changed_and_whether_uploads_still_pass(
    client: TestClient, vendor: dict[str, str], admin: dict[str, str]
) -> None:
    base = [
        item(),
        item("coolant_temp", unit="°C", lo=-10, hi=80),
        item(
            "execution", data_type="string", unit=None, lo=None, category="EVENT", allowed_values=["A", "B"]
        ),
        item("torque", unit="N·m", lo=0, hi=100),
    ]
    assert client.post(URL, json=model_body(items=base), headers=vendor).status_code == 201
    assert client.post(f"{V1}/publish", headers=admin).status_code == 200
    first = client.get(f"{V1}/diff").json()  # nothing earlier: every item is new
    assert first["from_version"] is None and first["added"] == [i["id"] for i in base]
    assert first["backward_compatible"] is True
    compatible = [
        item(lo=0, hi=8000),  # wider
        item("coolant_temp", unit="°F", lo=None, hi=None, role=None, semantic_id="x"),  # same quantity
        item(
            "execution",
            data_type="string",
            unit=None,
            lo=None,
            category="EVENT",
            allowed_values=["A", "B", "C"],
        ),
        item("torque", unit="N·m", lo=0, hi=100, source="OPC 40501-1"),
        item("vibration", unit="mm/s", lo=0, hi=50),
    ]
    assert new_version(client, vendor, "1.1.0", compatible).status_code == 201
    d = client.get(f"{URL}/cnc-lathe/versions/1.1.0/diff", headers=vendor).json()
    assert (d["from_version"], d["to_version"], d["added"], d["removed"]) == (
        "1.0.0",
        "1.1.0",
        ["vibration"],
        [],
    )
    assert {c["item_id"]: sorted(c["fields"]) for c in d["changed"]} == {
        "spindle_speed": ["max"],
        "coolant_temp": ["max", "min", "semantic_id", "unit"],
        "execution": ["allowed_values"],
        "torque": ["source"],
    }
    assert d["changed"][0]["fields"]["max"] == {"from": 6000, "to": 8000}
    assert d["backward_compatible"] is True and d["incompatibilities"] == []
    breaking = [
        item(lo=100, hi=5000),
        item("coolant_temp", unit="bar", lo=0, hi=10),
        item("execution", data_type="string", unit=None, lo=None, category="EVENT", allowed_values=["A"]),
    ]
    assert new_version(client, vendor, "2.0.0", breaking).status_code == 201
    d = client.get(f"{URL}/cnc-lathe/versions/2.0.0/diff", params={"against": "1.0.0"}, headers=vendor).json()
    assert d["removed"] == ["torque"] and d["backward_compatible"] is False
    assert d["incompatibilities"] == [
        "item torque removed",
        "item spindle_speed: minimum raised to 100",
        "item spindle_speed: maximum lowered to 5000",
        "item coolant_temp: unit °C -> bar cannot be converted",
        "item execution: values no longer allowed: B",
    ]
    # The public sees only published versions: the drafts' diffs are not theirs to read.
    assert client.get(f"{URL}/cnc-lathe/versions/2.0.0/diff").status_code == 404
    assert client.get(f"{V1}/diff", params={"against": "9.9.9"}, headers=vendor).status_code == 404
    assert client.get(f"{V1}/diff", params={"against": "one"}).json()["fields"][0]["loc"] == "query.against"
