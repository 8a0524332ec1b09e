"""Snapshot worlds and started data directories (tests/snapshots.py): each test starts on the seed's rows and
files and nothing of another test; a copied lake names the copy's files; a seed that writes readings is
refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from catalog.lake import Lake, LakeConfig
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from tests import snapshots
from tests.conftest import Auth
from tests.factories import company_body
from tests.snapshots import Snapshots

COMPANIES = "/api/v1/companies"


def seed_company(client: TestClient, auth: Auth) -> dict[str, Any]:
    sme = auth("sme", org_id="org-sme-1")
    body = company_body(company_id="org-sme-1", kind="sme", brn_first9="123456789")
    assert client.post(COMPANIES, json=body, headers=sme).status_code == 201
    return {"sme": sme, "seen": []}


@pytest.fixture
@snapshots.seeded_by(seed_company)
def world(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(snapshots.seeded(request))


@pytest.mark.parametrize("turn", [1, 2])
def test_a_test_of_a_world_starts_on_the_seeds_rows_and_value_only(
    client: TestClient, world: dict[str, Any], turn: int
) -> None:
    # Each turn adds a factory and notes it in the value: neither reaches the other turn.
    assert client.get(f"{COMPANIES}/org-sme-1", headers=world["sme"]).json()["id"] == "org-sme-1"
    factories = client.get(f"{COMPANIES}/org-sme-1/factories", headers=world["sme"])
    assert factories.status_code == 200 and factories.json()["items"] == []
    site = {"id": f"factory-{turn}", "name": "제1공장", "region_code": "48", "industry_code": "C29"}
    answer = client.post(f"{COMPANIES}/org-sme-1/factories", json=site, headers=world["sme"])
    assert answer.status_code == 201, answer.text
    assert world["seen"] == []
    world["seen"].append(turn)


def test_a_copied_data_directory_names_its_own_lake(settings: PlatformSettings) -> None:
    lake = Lake(LakeConfig.from_settings(settings))
    where = settings.data_dir.resolve()
    table = lake.catalog.load_table(lake.readings_id)
    assert table.location() == f"file://{where}/lake/telemetry/readings"
    assert table.metadata_location.startswith(f"file://{where}/lake/telemetry/readings/metadata/")
    for path in settings.data_dir.rglob("*"):
        if path.is_file():  # no file names the directory it was copied from
            assert b"/snapshots" not in path.read_bytes(), path


def test_a_seed_that_writes_to_the_lake_is_refused(_snapshots: Snapshots, _sqlite_template: Path) -> None:
    def readings(client: TestClient, auth: Auth) -> None:
        lake = state_of(cast(FastAPI, client.app)).settings.data_dir / "lake"
        (lake / "part-0.parquet").write_bytes(b"PAR1")

    with pytest.raises(pytest.UsageError, match=r"wrote to the lake \(part-0.parquet\)"):
        _snapshots.sqlite(readings, _sqlite_template)
