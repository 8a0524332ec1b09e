"""A case's runnable ONNX model: the checks on upload (each refusal naming its field), storage by SHA-256, and
who may attach and read it. On SQLite and the real PostgreSQL; the dry runs are real child processes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from services.usecases.runnable.store import MODELS
from tests import snapshots
from tests.conftest import Auth
from tests.factories import model_body, usecase_body
from tests.onnx_models import endless_loop, window_mean

URL = "/api/v1/usecases"
# 2 items x 6 values per window
SIGNATURE: dict[str, Any] = {
    "model_id": "cnc-lathe",
    "model_version": "1.0.0",
    "items": ["spindle_speed", "coolant_temp"],
    "window_length": 6,
    "interval_seconds": 600,
    "outputs": [{"name": "score", "kind": "score"}],
}


def seed_world(client: TestClient, auth: Auth) -> dict[str, Any]:
    """A published cnc-lathe standard and a vendor's draft case: the vendor's headers and the case's id."""
    admin = auth("admin", org_id="org-operator")
    assert client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
    assert client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    vendor = auth("vendor", org_id="org-vendor-1")
    case = client.post(URL, json=usecase_body(), headers=vendor)
    assert case.status_code == 201, case.text
    return {"vendor": vendor, "case_id": case.json()["id"]}


@pytest.fixture
@snapshots.seeded_by(seed_world)
def world(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(snapshots.seeded(request))


def put(client: TestClient, case_id: str, headers: dict[str, str], data: bytes, **signature: Any) -> Any:
    return client.put(
        f"{URL}/{case_id}/model",
        files={"file": ("model.onnx", data, "application/octet-stream")},
        data={"signature": json.dumps({**SIGNATURE, **signature})},
        headers=headers,
    )


def locs(answer: Any) -> list[str]:
    return [f["loc"] for f in answer.json().get("fields", [])]


def test_a_checked_model_is_stored_by_its_hash_and_shown_with_the_case(
    client: TestClient, world: dict[str, Any], auth: Auth
) -> None:
    data = window_mean(12)
    answer = put(client, world["case_id"], world["vendor"], data)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    import hashlib

    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size_bytes"] == len(data)
    assert body["signature"]["items"] == ["spindle_speed", "coolant_temp"]
    stored = state_of(client.app).get(MODELS).get(f"models/{body['sha256']}.onnx")
    assert stored == data
    # a draft's model is the owner's to see; once published, everyone's
    assert client.get(f"{URL}/{world['case_id']}/model").status_code == 404
    assert client.get(f"{URL}/{world['case_id']}/model", headers=world["vendor"]).json() == body
    assert client.post(f"{URL}/{world['case_id']}/publish", headers=world["vendor"]).status_code == 200
    assert client.get(f"{URL}/{world['case_id']}/model").json()["sha256"] == body["sha256"]
    # another organisation cannot replace it
    other = auth("vendor", org_id="org-vendor-2")
    assert put(client, world["case_id"], other, data).status_code == 403


def test_a_case_without_a_model_says_so(client: TestClient, world: dict[str, Any]) -> None:
    answer = client.get(f"{URL}/{world['case_id']}/model", headers=world["vendor"])
    assert answer.status_code == 404 and "carries no model" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("data", "signature", "status", "where"),
    [
        (b"\x08\x07garbage that is no protobuf", {}, 422, ["body.file"]),
        (b"", {}, 422, ["body.file"]),
        (window_mean(10), {}, 422, ["body.signature.window_length"]),
        (window_mean(12, output="anomaly"), {}, 422, ["body.signature.outputs[0].name"]),
        (window_mean(12), {"items": ["spindle_speed", "torque"]}, 422, ["body.signature.items[1]"]),
        (window_mean(12), {"items": ["spindle_speed", "execution"]}, 422, ["body.signature.items[1]"]),
        (window_mean(12), {"model_version": "9.9.9"}, 422, ["body.signature.model_version"]),
        (window_mean(12), {"window_length": 0}, 422, ["body.signature.window_length"]),
        (
            window_mean(12),
            {"outputs": [{"name": "score", "kind": "value"}]},
            422,
            ["body.signature.outputs[0]"],
        ),
    ],
)
def test_bad_models_and_signatures_are_refused_naming_the_field(
    client: TestClient,
    world: dict[str, Any],
    data: bytes,
    signature: dict[str, Any],
    status: int,
    where: list[str],
) -> None:
    answer = put(client, world["case_id"], world["vendor"], data, **signature)
    assert answer.status_code == status, answer.text
    assert locs(answer) == where
    assert client.get(f"{URL}/{world['case_id']}/model", headers=world["vendor"]).status_code == 404


def test_a_model_failing_its_dry_run_is_refused_with_the_reason(
    settings: PlatformSettings, world: dict[str, Any], client: TestClient
) -> None:
    state_of(client.app).settings = settings.replaced(ai={"cpu_seconds": 1, "wall_seconds": 20})
    answer = put(client, world["case_id"], world["vendor"], endless_loop(12))
    assert answer.status_code == 422, answer.text
    assert locs(answer) == ["body.file"]
    assert "dry run failed (cpu_time)" in answer.json()["fields"][0]["msg"]


def test_an_oversized_model_is_refused_before_it_is_read_further(settings: PlatformSettings) -> None:
    with TestClient(create_app(settings.replaced(ai={"model_max_bytes": 100}))) as small:
        issuer = state_of(small.app).get(DEV_ISSUER)
        vendor = {"Authorization": "Bearer " + issuer.issue(subject="v", roles=["vendor"], org_id="org-v")}
        case = small.post(URL, json=usecase_body(), headers=vendor).json()
        answer = put(small, case["id"], vendor, window_mean(12))
        assert answer.status_code == 413, answer.text
        assert locs(answer) == ["body.file"]
