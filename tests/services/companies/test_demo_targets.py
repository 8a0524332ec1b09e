"""The ministry dashboard against the demo world (its registry part: companies, factories, standards, the
designations recorded from before the platform, centres, surveys), figures counted by hand from the demo
data's own definitions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from platform_api.demo_data import DESIGNATED_VENDORS, build_world
from platform_api.demo_seed import SeedProgress, seed
from tests.conftest import Auth

URL = "/api/v1/companies"


def test_targets_of_the_demo_registry(client: TestClient, auth: Auth, tmp_path: Path) -> None:
    world = replace(build_world(), deployments=[], usecases=[])
    admin = auth("admin", org_id="org-operator", username="demo-seed")

    async def load() -> int:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seed.test", headers=admin) as http:
            return await seed(http, SeedProgress(tmp_path / "seed.json"), world)

    # On the client's own event loop: a browser test earlier in the session keeps one running in this thread.
    assert client.portal is not None
    assert client.portal.call(load) > 0
    # Rerun: nothing sent twice (the progress file), nothing recorded twice.
    assert client.portal.call(load) == 0

    vendors = {c["id"]: c for c in world.companies if c["id"] in DESIGNATED_VENDORS}
    result = client.get(f"{URL}/dashboard/targets").json()
    by_code = {t["code"]: t for t in result["targets"]}
    specialist = by_code["specialist_companies"]
    assert (specialist["value"], specialist["progress_pct"]) == (3, 0.6)
    regions: dict[str, int] = {}
    for company in vendors.values():
        regions[company["region_code"]] = regions.get(company["region_code"], 0) + 1
    assert specialist["by_region"] == [{"key": k, "count": n} for k, n in sorted(regions.items())]
    assert specialist["by_subfield"] == [{"key": "INFO-MES", "count": 3}]  # the field the demo records
    global_ids = [c for c, body in vendors.items() if body["growth_stage"] == "글로벌"]
    assert by_code["global_companies"]["value"] == len(global_ids)

    types = {m["equipment_type"] for m in world.models}
    per_subfield: dict[str, set[str]] = {}
    for model in world.models:
        for code in model.get("subfields", []):
            per_subfield.setdefault(code, set()).add(model["equipment_type"])
    standardised = by_code["standardised_equipment_types"]
    assert standardised["value"] == len(types) == 43  # 10 demo models and the 33 of the catalogue
    assert standardised["by_subfield"] == [
        {"key": k, "count": len(v)} for k, v in sorted(per_subfield.items())
    ]
    assert result["tech_level"]["latest"]["level"] == 74.9

    # Each designated vendor: 2022-2025 and its renewal 2025-2028, both recorded with their document.
    registry = client.get(f"{URL}/registry").json()["items"]
    assert sorted(r["company_id"] for r in registry) == sorted(DESIGNATED_VENDORS)
    assert all(r["renewal"] for r in registry)
    status = f"{URL}/org-vendor-1/designation-status"
    assert client.get(status, params={"on": "2023-06-01"}).json()["status"] == "designated"
    assert client.get(status, params={"on": "2021-12-31"}).json()["status"] == "none"
    history = client.get(f"{URL}/org-vendor-1/designations", headers=admin).json()["items"]
    assert [(d["status"], d["document_ref"]) for d in history] == [
        ("renewed", "데모 공고 제2022-org-vendor-1호"),
        ("designated", "데모 공고 제2025-org-vendor-1호"),
    ]
