"""The demo's runnable cases end to end: trained at seed time, attached through the API (checked and dry-run
like any upload), and applied by ``sme1`` to its own injection-moulding machine (``eq-1-02``) over a day of
demo telemetry: 23 hourly windows scored (the 24th hour waits for a later reading), on the lake on MinIO +
PostgreSQL and on the embedded one."""

from __future__ import annotations

import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from catalog.lake import READINGS_SCHEMA
from platform_api import demo_models
from platform_api.app import create_app
from platform_api.demo_data import build_world
from platform_api.demo_telemetry import START, equipment_readings
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import LAKES, make_setup
from tests.factories import register_factory

SME1, FACTORY, MACHINE = "org-sme-1", "factory-sme-1-a", "eq-1-02"


@cache
def trained() -> dict[str, bytes]:
    return demo_models.train(build_world())


@pytest.mark.slow  # trains both demo models (seconds, a minute on a loaded machine)
@pytest.mark.parametrize("kind", LAKES)
def test_sme1_applies_both_demo_cases_to_its_machine(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    world = build_world()
    models = {m["id"]: m for m in world.models}
    machine = next(
        e
        for _, f in world.factories
        if f["id"] == FACTORY
        for e in f["equipment"]
        if e["equipment_id"] == MACHINE
    )
    documents = {"store": "minio"} if kind == "minio" else {}
    with (
        make_setup(request, kind, tmp_path, ai={"follow_seconds": 0}, documents=documents) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        issuer = state_of(client.app).get(DEV_ISSUER)

        def headers(role: str, org_id: str) -> dict[str, str]:
            return {
                "Authorization": "Bearer "
                + issuer.issue(subject=f"{role}-{org_id}", roles=[role], org_id=org_id)
            }

        admin = headers("admin", "org-operator")
        injection = models[demo_models.MODEL]
        assert client.post("/api/v1/standards", json=injection, headers=admin).status_code == 201
        assert (
            client.post(
                f"/api/v1/standards/{injection['id']}/versions/1.0.0/publish", headers=admin
            ).status_code
            == 200
        )

        async def attach() -> list[str]:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=client.app),
                base_url="http://seed",
                headers=admin,
                timeout=120,
            ) as seeder:
                return [
                    await demo_models.seed_runnable(seeder, item, trained()[item[0]])
                    for item in demo_models.CASES
                ]

        # On the app's own loop: a browser test earlier on this worker may hold this thread's loop.
        anomaly_case, energy_case = client.portal.call(attach)  # type: ignore[union-attr]
        day = equipment_readings(FACTORY, SME1, machine, injection, days=1).cast(READINGS_SCHEMA)
        setup.lake().readings().append(day, snapshot_properties={"smartmfg.test": "demo-day"})

        sme1 = headers("sme", SME1)
        register_factory(client, admin, company_id=SME1, factory_id=FACTORY, equipment=[machine])

        # the anomaly case from its page, as sme1 signed in to the portal; the energy case through the API
        client.cookies.set("portal_session", sme1["Authorization"].removeprefix("Bearer "))
        page = client.get(f"/cases/{anomaly_case}").text
        assert f'value="{FACTORY}/{MACHINE}"' in page and "<code>barrel_temp</code>" in page
        form = dict(re.findall(r'name="(csrf|submit)" value="([^"]+)"', page))
        form["target"] = f"{FACTORY}/{MACHINE}"
        applied = client.post(f"/cases/{anomaly_case}/apply", data=form, follow_redirects=False)
        assert applied.status_code == 303 and applied.headers["location"].endswith("#predictions")
        listed = client.get("/api/v1/analytics/ai-runs", params={"case_id": anomaly_case}, headers=sme1)
        runs = {anomaly_case: listed.json()["items"][0]["run_id"]}
        answer = client.post(
            "/api/v1/analytics/ai-runs",
            json={"case_id": energy_case, "factory_id": FACTORY, "equipment_id": MACHINE},
            headers=sme1,
        )
        assert answer.status_code == 202, answer.text
        runs[energy_case] = answer.json()["run_id"]

        outcomes: dict[str, Any] = {}
        for case_id, run_id in runs.items():
            for _ in range(600):
                run = client.get(f"/api/v1/analytics/ai-runs/{run_id}", headers=sme1).json()
                if run["state"] != "running":
                    break
                time.sleep(0.1)
            assert (run["state"], run["windows"], run["skipped"]) == ("succeeded", 23, 0), run
            series = client.get(
                "/api/v1/analytics/ai-predictions",
                params={"case_id": case_id, "factory_id": FACTORY, "equipment_id": MACHINE},
                headers=sme1,
            ).json()["points"]
            outcomes[case_id] = series
        shown = client.get("/me/predictions?partial=1&lang=en").text
        assert (
            shown.count("<svg") == 2
            and "Barrel temperature anomalies" in shown
            and "23 windows scored" in shown
            and "Windows per class" in shown
        )
        client.cookies.clear()
        scores = [p for p in outcomes[anomaly_case] if p["output"] == "scores"]
        labels = {p["label"] for p in outcomes[anomaly_case] if p["output"] == "label"}
        assert len(scores) == 23 and scores[0]["window_start"] == START.isoformat().replace("+00:00", "Z")
        assert labels <= {"-1", "1"} and "1" in labels
        energy = outcomes[energy_case]
        assert len(energy) == 23 and all(p["output"] == "variable" and p["value"] >= 0 for p in energy)
