"""The demo's labelled dataset: the reflow ovens' week with injected anomalies, published by the regional AI
centre of Daegu-Gyeongbuk, once. Only the three ovens' demo telemetry is loaded (what the dataset reads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from catalog.appends import commit, split, write
from catalog.datasets.snapshot import DATASETS, load_snapshot
from platform_api import demo_dataset, demo_telemetry
from platform_api.app import create_app
from platform_api.demo_data import DemoWorld, build_world
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import make_setup


@pytest.fixture(scope="module")
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, DemoWorld]]:
    world = build_world()
    directory: Path = tmp_path_factory.mktemp("demo-dataset")
    with make_setup(request, "local", directory) as setup, TestClient(create_app(setup.settings)) as client:
        admin = {
            "Authorization": "Bearer "
            + state_of(client.app).get(DEV_ISSUER).issue(subject="t", roles=["admin"], org_id="org-op")
        }
        model = next(m for m in world.models if m["id"] == demo_dataset.MODEL)
        assert client.post("/api/v1/standards", json=model, headers=admin).status_code == 201
        assert (
            client.post(f"/api/v1/standards/{model['id']}/versions/1.0.0/publish", headers=admin).status_code
            == 200
        )
        ovens = demo_dataset.ovens(world)
        for company in world.companies:
            if company["id"] in {org for _, org, _ in ovens}:
                assert client.post("/api/v1/companies", json=company, headers=admin).status_code == 201
        lake = setup.lake()
        lake.ensure_tables()
        factories = {f["id"]: f for _, f in world.factories}
        tables = [
            demo_telemetry.equipment_readings(
                factory_id,
                org,
                next(e for e in factories[factory_id]["equipment"] if e["equipment_id"] == equipment_id),
                model,
                days=demo_dataset.DAYS,
            )
            for factory_id, org, equipment_id in ovens
        ]
        table, rows = lake.readings(), pa.concat_tables(tables, promote_options="permissive")
        commit(table, [write(table, p, [part]) for p, part in split(table, rows.unify_dictionaries())], {})
        assert demo_dataset.inject(lake, world) == 3 * 4 * 60  # 3 ovens x 4 spells x 60 half minutes
        assert demo_dataset.inject(lake, world) == 0
        yield client, world


async def _publish(client: TestClient, world: DemoWorld) -> int:
    app = client.app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://seed") as seed:
        return await demo_dataset.publish(seed, app, world)  # type: ignore[arg-type]


def test_the_demo_dataset_is_published_once_with_its_labels(demo: tuple[TestClient, DemoWorld]) -> None:
    client, world = demo
    # On the app's own loop: a browser test earlier on this worker may hold this thread's loop.
    portal = client.portal
    assert portal is not None
    assert portal.call(_publish, client, world) == 1
    assert portal.call(_publish, client, world) == 0
    listed = client.get("/api/v1/datasets", params={"model_id": "reflow-oven"}).json()["items"]
    assert len(listed) == 1
    dataset = client.get(f"/api/v1/datasets/{listed[0]['id']}").json()
    card = dataset["latest"]["card"]
    # a minute's zone temperature for a week, and 240 spikes, of three ovens
    assert (card["equipment"], card["factories"], card["rows"], card["label_rows"]) == (3, 3, 3 * 10320, 12)
    assert card["publisher"]["kind"] == "centre" and card["publisher"]["region_codes"] == ["27", "47"]
    snapshot = load_snapshot(state_of(client.app).get(DATASETS), dataset["id"], 1)
    assert snapshot.labels is not None
    spikes = snapshot.readings.filter(pa.compute.equal(snapshot.readings["value"], 345.0)).num_rows
    assert spikes == 720
