"""A regional AI centre's dashboard over the lake: data uploaded per month and the telemetry KPI benchmarks
of its main industries, with the analytics service's disclosure control (the peer world of
``tests/catalog/test_peers.py``: P1-P3 in Seoul, P4-P5 in Busan, all C29; P5 sends most readings)."""

from __future__ import annotations

from typing import Any

import pytest

from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import World
from tests.catalog.test_peers import RANGE, availability, peers

__all__ = ["peers"]  # the module-scoped lake world, used here as a fixture

URL = "/api/v1/companies/regional-centres"
NOVEMBER = {"from": "2025-11-01T00:00:00+09:00", "to": "2025-12-01T00:00:00+09:00"}


def staff(world: World, *regions: str) -> dict[str, str]:
    issuer = state_of(world.client.app).get(DEV_ISSUER)
    token = issuer.issue(
        subject=f"staff-{'-'.join(regions)}", roles=["agency"], org_id="org-ctr", regions=regions
    )
    return {"Authorization": f"Bearer {token}"}


def open_centres(world: World) -> None:
    admin = world.headers("admin", org_id="org-operator")
    for centre_id, region in (("aic-seoul", "11"), ("aic-busan", "26")):
        body = {"id": centre_id, "name": {"ko": centre_id, "en": centre_id}, "regions": [region]}
        answer = world.client.post(URL, json=body | {"industries": ["C29", "C30"]}, headers=admin)
        assert answer.status_code in (201, 409), answer.text


def dashboard(world: World, centre_id: str, headers: dict[str, str], **params: Any) -> Any:
    return world.client.get(f"{URL}/{centre_id}/dashboard", params=params or NOVEMBER, headers=headers)


def test_dashboard_shows_uploads_and_published_benchmarks_of_the_region(peers: World) -> None:
    open_centres(peers)
    answer = dashboard(peers, "aic-seoul", staff(peers, "11"), **RANGE)  # the day of the readings
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["uploads"] == [
        {"month": "2025-11", "region": "11", "factories": 3, "equipment": 3, "readings": 9}
    ]
    shown = [b for b in body["telemetry_benchmarks"] if b["kpi"] == "availability"]
    assert [(b["region"], b["industry"], b["factories"], b["median"]) for b in shown] == [
        ("11", "C29", 3, None)  # no quartiles of a group of three
    ]
    assert shown[0]["mean"] == pytest.approx(sum(availability(n) for n in (1, 2, 3)) / 3)
    assert body["telemetry_benchmarks_withheld"]["availability"] == ["11/C30"]  # no C30 factory
    assert "telemetry" not in body["omitted"]
    assert body["disclosure"] == {"min_group_size": 3, "max_share": 0.5}, (
        "the rule the cells were withheld by"
    )

    # Busan: P4 and P5 only, so nothing is published; the counts of uploads are.
    busan = dashboard(peers, "aic-busan", staff(peers, "26"), **RANGE).json()
    assert busan["uploads"] == [
        {"month": "2025-11", "region": "26", "factories": 2, "equipment": 2, "readings": 3 + 3 + 12 * 60 - 1}
    ]
    assert busan["telemetry_benchmarks"] == []
    assert busan["telemetry_benchmarks_withheld"]["availability"] == ["26/C29", "26/C30"]
    for value in (availability(4), availability(5)):
        assert f"{value:.4f}"[:6] not in str(busan)
    # Another month: nothing uploaded.
    october = {"from": "2025-10-01T00:00:00+09:00", "to": "2025-11-01T00:00:00+09:00"}
    assert dashboard(peers, "aic-busan", staff(peers, "26"), **october).json()["uploads"] == []


def test_uploads_are_counted_for_covered_regions_only(peers: World) -> None:
    seoul = staff(peers, "11")
    answer = peers.get("/uploads", seoul, region=["11"], **NOVEMBER)
    assert answer.status_code == 200, answer.text
    assert [(i["region"], i["readings"]) for i in answer.json()["items"]] == [("11", 9)]
    refused = peers.get("/uploads", seoul, region=["11", "26"], **NOVEMBER)
    assert refused.status_code == 403 and refused.json()["fields"][0]["loc"] == "query.region"
    sme = peers.headers("sme", org_id="org-peer-1")
    assert peers.get("/uploads", sme, region=["11"], **NOVEMBER).status_code == 403
    assert peers.get("/uploads", None, region=["11"], **NOVEMBER).status_code == 401
    admin = peers.headers("admin", org_id="org-operator")
    both = peers.get("/uploads", admin, region=["26", "11"], **NOVEMBER).json()
    assert [(i["region"], i["factories"]) for i in both["items"]] == [("11", 3), ("26", 2)]
    bad = peers.get("/uploads", admin, region=["99"], **NOVEMBER)
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"].startswith("query.region")

    open_centres(peers)
    backwards = dashboard(peers, "aic-seoul", seoul, **{"from": NOVEMBER["to"], "to": NOVEMBER["from"]})
    assert backwards.status_code == 400 and backwards.json()["fields"][0]["loc"] == "query.to"
    long = dashboard(peers, "aic-seoul", seoul, **{"from": "2020-01-01T00:00:00Z", "to": NOVEMBER["to"]})
    assert long.status_code == 400 and long.json()["fields"][0]["loc"] == "query.from"
