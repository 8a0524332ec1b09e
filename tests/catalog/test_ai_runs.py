"""Applying a case's model to an SME's own equipment, on the lake on MinIO + PostgreSQL and on the embedded
lake: windows and predictions written out by hand, exactly once across re-runs and scheduled rounds, runs
past their limits failing with the reason and writing nothing, and nobody but the SME seeing its predictions.

The model of these tests answers the mean of each window's values, so every prediction can be written out:
spindle speed 1000 + hour and coolant 20 in every 10-minute interval make an hour's window (6 values each)
average (6 x (1000 + h) + 6 x 20) / 12 = 510 + h / 2.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from catalog.ai_runs import apply, follow
from catalog.ai_runs.predictions import Moved, Subscription, Watermark, commit_predictions, predictions_table
from catalog.lake import READINGS_SCHEMA
from catalog.runtime import ANALYTICS
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from services.usecases.runnable import store
from services.usecases.runnable.runner import Limits
from services.usecases.runnable.signature import Signature
from services.usecases.runnable.store import MODELS
from tests.catalog.conftest import LAKES, LakeSetup, make_setup
from tests.factories import model_body, usecase_body
from tests.onnx_models import endless_loop, memory_hog, window_mean

DAY = datetime(2026, 3, 2, tzinfo=UTC)
SME1, SME2, VENDOR = "org-sme-1", "org-sme-2", "org-vendor-1"
F1, F2 = "factory-sme-1-a", "factory-sme-2-a"
SIGNATURE: dict[str, Any] = {
    "model_id": "cnc-lathe",
    "model_version": "1.0.0",
    "items": ["spindle_speed", "coolant_temp"],
    "window_length": 6,
    "interval_seconds": 600,
    "outputs": [{"name": "score", "kind": "score"}],
}


def readings(factory_id: str, org_id: str, first_hour: int, hours: int, *, closing: bool = True) -> pa.Table:
    """Every 10 minutes of ``hours`` hours from ``first_hour``: spindle 1000 + hour, coolant 20 (and, with
    ``closing``, one reading of the next hour, which closes the last window)."""
    rows = []
    stamps = [DAY + timedelta(hours=first_hour, minutes=10 * n) for n in range(6 * hours)]
    if closing:
        stamps.append(DAY + timedelta(hours=first_hour + hours))
    for ts in stamps:
        for item, value, unit in (("spindle_speed", 1000.0 + ts.hour, "rpm"), ("coolant_temp", 20.0, "°C")):
            rows.append(
                {
                    "factory_id": factory_id,
                    "org_id": org_id,
                    "equipment_id": "lathe-01",
                    "model_id": "cnc-lathe",
                    "model_version": "1.0.0",
                    "item_id": item,
                    "ts": ts,
                    "value_num": value,
                    "value_text": None,
                    "unit": unit,
                    "quality": "good",
                    "batch_key": f"{factory_id}/{first_hour}",
                    "ingested_at": DAY,
                }
            )
    return pa.Table.from_pylist(rows, schema=READINGS_SCHEMA)


@dataclass
class RunWorld:
    setup: LakeSetup
    client: TestClient
    case_id: str
    sha256: str

    def headers(self, *roles: str, org_id: str | None = None) -> dict[str, str]:
        issuer = state_of(self.client.app).get(DEV_ISSUER)
        token = issuer.issue(subject=f"{roles[0]}-{org_id}", roles=list(roles), org_id=org_id)
        return {"Authorization": f"Bearer {token}"}

    def apply(self, org_id: str, factory_id: str, equipment_id: str = "lathe-01") -> Any:
        body = {"case_id": self.case_id, "factory_id": factory_id, "equipment_id": equipment_id}
        return self.client.post(
            "/api/v1/analytics/ai-runs", json=body, headers=self.headers("sme", org_id=org_id)
        )

    def run(self, org_id: str, run_id: str) -> dict[str, Any]:
        for _ in range(300):
            answer = self.client.get(
                f"/api/v1/analytics/ai-runs/{run_id}", headers=self.headers("sme", org_id=org_id)
            )
            assert answer.status_code == 200, answer.text
            if answer.json()["state"] != "running":
                return dict(answer.json())
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} still running")

    def predictions(self, headers: dict[str, str], factory_id: str = F1) -> list[tuple[str, float]]:
        answer = self.client.get(
            "/api/v1/analytics/ai-predictions",
            params={"case_id": self.case_id, "factory_id": factory_id, "equipment_id": "lathe-01"},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        return [(p["window_start"], p["value"]) for p in answer.json()["points"]]


@pytest.fixture(scope="module", params=LAKES)
def rworld(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    directory: Path = tmp_path_factory.mktemp(f"ai-runs-{request.param}")
    store_kind = {"store": "minio"} if request.param == "minio" else {}
    with (
        make_setup(
            request, request.param, directory, ai={"follow_seconds": 0}, documents=store_kind
        ) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        world = RunWorld(setup, client, "", "")
        admin = world.headers("admin", org_id="org-operator")
        assert client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
        assert (
            client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code
            == 200
        )
        vendor = world.headers("vendor", org_id=VENDOR)
        case = client.post("/api/v1/usecases", json=usecase_body(), headers=vendor).json()
        put = client.put(
            f"/api/v1/usecases/{case['id']}/model",
            files={"file": ("m.onnx", window_mean(12), "application/octet-stream")},
            data={"signature": json.dumps(SIGNATURE)},
            headers=vendor,
        )
        assert put.status_code == 200, put.text
        assert client.post(f"/api/v1/usecases/{case['id']}/publish", headers=vendor).status_code == 200
        world.case_id, world.sha256 = case["id"], put.json()["sha256"]
        table = setup.lake().readings()
        table.append(readings(F1, SME1, 0, 3), snapshot_properties={"smartmfg.test": "1"})
        table.append(readings(F2, SME2, 0, 3), snapshot_properties={"smartmfg.test": "2"})
        yield world


def test_apply_scores_the_closed_windows_then_follows_new_data_exactly_once(rworld: RunWorld) -> None:
    sme1 = rworld.headers("sme", org_id=SME1)
    answer = rworld.apply(SME1, F1)
    assert answer.status_code == 202, answer.text
    assert answer.json()["state"] in ("running", "succeeded")
    run = rworld.run(SME1, answer.json()["run_id"])
    assert (run["state"], run["windows"], run["skipped"], run["kind"]) == ("succeeded", 3, 0, "apply")
    assert run["until"].startswith("2026-03-02T03:00:00")
    assert rworld.predictions(sme1) == [
        ("2026-03-02T00:00:00Z", 510.0),
        ("2026-03-02T01:00:00Z", 510.5),
        ("2026-03-02T02:00:00Z", 511.0),
    ]

    again = rworld.run(SME1, rworld.apply(SME1, F1).json()["run_id"])  # no new readings: nothing to add
    assert (again["state"], again["windows"]) == ("succeeded", 0)
    assert len(rworld.predictions(sme1)) == 3

    # new readings: a scheduled round scores the hour they closed, once; a second round finds nothing
    rworld.setup.lake().readings().append(
        readings(F1, SME1, 3, 1), snapshot_properties={"smartmfg.test": "3"}
    )
    analytics, models = state_of(rworld.client.app).get(ANALYTICS), state_of(rworld.client.app).get(MODELS)
    assert follow.round_once(analytics, models, Limits()) == 1  # the one subscription, behind the readings
    assert follow.round_once(analytics, models, Limits()) == 0
    assert rworld.predictions(sme1)[3:] == [("2026-03-02T03:00:00Z", 511.5)]
    assert len(rworld.predictions(sme1)) == 4


def test_a_stale_run_commits_nothing(rworld: RunWorld) -> None:
    lake = rworld.setup.lake()
    sub = Subscription(rworld.case_id, rworld.sha256, SME1, F1, "lathe-01")
    table = predictions_table(lake)
    before = table.current_snapshot()
    with pytest.raises(Moved):
        commit_predictions(
            lake,
            sub,
            None,
            Watermark(1, 2, SIGNATURE),
            predictions_table(lake).schema().as_arrow().empty_table(),
        )
    assert predictions_table(lake).current_snapshot() == before


GIB = 1 << 30


@pytest.mark.parametrize(
    ("model", "limits", "reason"),
    [
        (endless_loop(12), Limits(cpu_seconds=1, memory_bytes=GIB, wall_seconds=30), "cpu_time"),
        (memory_hog(12), Limits(cpu_seconds=1, memory_bytes=GIB, wall_seconds=30), "memory"),
        # CPU time to spare: the clock stops it (a model waiting, or one on a machine that starves it)
        (endless_loop(12), Limits(cpu_seconds=600, memory_bytes=GIB, wall_seconds=2), "wall_time"),
    ],
    ids=["cpu", "memory", "wall"],
)
def test_a_model_past_its_limits_fails_with_the_reason_and_writes_nothing(
    rworld: RunWorld, model: bytes, limits: Limits, reason: str
) -> None:
    engine = state_of(rworld.client.app).get(ANALYTICS).engine()
    models = state_of(rworld.client.app).get(MODELS)
    digest = store.save(models, model)  # as if a model passed its dry run and misbehaved on real data
    request = apply.RunRequest(
        Subscription("case-x", digest, SME2, F2, "lathe-01"), Signature(**SIGNATURE), "t"
    )
    before = predictions_table(engine.lake).current_snapshot()
    run_id, at = apply.new_run_id(), apply.now()
    outcome = apply.execute(engine, models, request, limits, run_id, at)
    assert (outcome.state, outcome.reason) == ("failed", reason)
    assert predictions_table(engine.lake).current_snapshot() == before
    run = rworld.run(SME2, run_id)
    assert (run["state"], run["reason"]) == ("failed", reason)


def test_nobody_but_the_sme_sees_its_runs_and_predictions(rworld: RunWorld) -> None:
    run = rworld.run(SME1, rworld.apply(SME1, F1).json()["run_id"])
    owner = rworld.headers("vendor", org_id=VENDOR)
    other = rworld.headers("sme", org_id=SME2)
    for headers in (owner, other):
        assert rworld.predictions(headers) == []
        assert (
            rworld.client.get(f"/api/v1/analytics/ai-runs/{run['run_id']}", headers=headers).status_code
            == 404
        )
        listed = rworld.client.get("/api/v1/analytics/ai-runs", headers=headers).json()["items"]
        assert SME1 not in {r["org_id"] for r in listed}
    assert rworld.predictions(rworld.headers("sme", org_id=SME1))  # the SME itself does
    # and no SME applies a model to another's factory, or to equipment without the model's readings
    assert rworld.apply(SME2, F1).status_code == 403
    missing = rworld.apply(SME1, F1, equipment_id="press-09")
    assert missing.status_code == 422 and [f["loc"] for f in missing.json()["fields"]] == [
        "body.equipment_id"
    ]
    assert (
        rworld.client.post(
            "/api/v1/analytics/ai-runs",
            json={"case_id": rworld.case_id, "factory_id": F1, "equipment_id": "lathe-01"},
            headers=owner,
        ).status_code
        == 403
    )


def test_runs_are_listed_newest_first_in_pages(rworld: RunWorld) -> None:
    sme1 = rworld.headers("sme", org_id=SME1)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = rworld.client.get("/api/v1/analytics/ai-runs", params=params, headers=sme1).json()
        seen += [r["run_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = rworld.client.get("/api/v1/analytics/ai-runs", params={"limit": 200}, headers=sme1).json()
    assert seen == [r["run_id"] for r in everything["items"]]
    assert len(seen) == len(set(seen)) >= 2
    times = [r["requested_at"] for r in everything["items"]]
    assert times == sorted(times, reverse=True)
