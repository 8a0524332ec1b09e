"""The companies service with the deployments service: track records from published records, the diagnosis
reading them, and which process (8 or 12 stages) a new record gets as designations come and go."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import deployment_body
from tests.services.companies.workflow import APPLICATION, URL, designate
from tests.services.deployments.conftest import URL as DEPLOYMENTS
from tests.services.deployments.conftest import World, build_world, signed_today


def _process(world: World) -> tuple[str, int, bool]:
    body = deployment_body(supplier="org-vendor-3", contract=signed_today())
    answer = world.client.post(DEPLOYMENTS, json=body, headers=world.sme)
    assert answer.status_code == 201, answer.text
    record = answer.json()
    return record["process"], len(record["stages"]), record["supplier_designated"]


def test_designation_decides_the_process_of_new_records(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    assert _process(world) == ("standard", 12, False)
    designated = designate(client, auth, world.admin, world.vendor)
    assert _process(world) == ("simplified", 8, True)
    url = f"{URL}/org-vendor-3/designations/{designated['id']}"
    assert (
        client.post(f"{url}/suspend", json={"reason": "사후관리 지연"}, headers=world.admin).status_code
        == 200
    )
    assert _process(world) == ("standard", 12, False)
    assert (
        client.post(f"{url}/reinstate", json={"reason": "소명 인정"}, headers=world.admin).status_code == 200
    )
    renewal = designate(client, auth, world.admin, world.vendor)
    assert _process(world) == ("simplified", 8, True)
    revoked = f"{URL}/org-vendor-3/designations/{renewal['id']}/revoke"
    assert client.post(revoked, json={"reason": "구축정보 허위 등록"}, headers=world.admin).status_code == 200
    assert _process(world) == ("standard", 12, False)


def test_only_published_records_count_in_track_record_and_diagnosis(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    kpis = [{"kind": "productivity", "baseline": 100, "after": 130, "unit": "ea/h"}]
    published = world.publish(world.finish_stages(world.create(supplier="org-vendor-3", kpis=kpis)))
    assert published["status"] == "published", published
    world.create(supplier="org-vendor-3", kpis=kpis)  # a draft: counts nowhere
    record = client.get(f"{URL}/org-vendor-3/track-record").json()
    assert record["deployment_count"] == 1 and record["median_kpi_improvement_pct"] == {"productivity": 30.0}
    app = client.post(f"{URL}/org-vendor-3/designations", json=APPLICATION, headers=world.vendor).json()
    targets = client.get(f"{URL}/dashboard/targets").json()
    assert targets["level_transitions"] == [{"level_before": "기초", "level_after": "중간1", "count": 1}]
    by_region = [r for r in targets["support_vs_results"] if r["by"] == "region" and r["records"]]
    assert [(r["key"], r["records"], r["median_kpi_improvement_pct"]) for r in by_region] == [
        ("48", 1, {"productivity": 30.0})
    ]
    rows = {r["code"]: r for r in app["diagnosis"]["indicators"]}
    assert (rows["deployments"]["value"], rows["deployments"]["points"]) == (1.0, 10.0)  # 1 of 5 -> 50 points
    assert (rows["kpi_improvement"]["value"], rows["kpi_improvement"]["points"]) == (30.0, 100.0)
