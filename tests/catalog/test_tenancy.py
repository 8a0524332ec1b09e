"""Who reads which rows: owners, other SMEs, gateways, vendors with and without consent, anonymous callers."""

from __future__ import annotations

from typing import Any

from tests.catalog.conftest import World

DAY2 = {"from": "2025-11-02T00:00:00Z", "to": "2025-11-03T00:00:00Z"}
ALL_DAYS = {"from": "2025-11-01T00:00:00Z", "to": "2025-11-05T00:00:00Z"}


def _readings(world: World, headers: dict[str, str], factory_id: str) -> Any:
    return world.get("/readings", headers, factory_id=factory_id, limit=1000, **DAY2)


def test_anonymous_callers_get_nothing(world: World) -> None:
    for path, params in [
        ("/readings", {"factory_id": "factory-sme-1-a"}),
        ("/series", {"item_id": "spindle_speed", **ALL_DAYS}),
        ("/benchmarks", {"model_id": "cnc-lathe", "item_id": "spindle_speed", **ALL_DAYS}),
        ("/tables", {}),
    ]:
        answer = world.get(path, None, **params)
        assert answer.status_code == 401, path
        assert answer.json()["error"] == "Unauthorized" and answer.headers["www-authenticate"] == "Bearer"


def test_an_sme_reads_its_own_factories_only(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    own = _readings(world, sme1, "factory-sme-1-b")
    assert own.status_code == 200 and len(own.json()["items"]) == 56
    assert {r["factory_id"] for r in own.json()["items"]} == {"factory-sme-1-b"}

    sme2 = world.headers("sme", org_id="org-sme-2")
    refused = _readings(world, sme2, "factory-sme-1-a")
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    assert "another organisation" in refused.json()["detail"]
    series = world.get(
        "/series",
        sme2,
        item_id="spindle_speed",
        factory_id=["factory-sme-2-a", "factory-sme-1-a"],
        **ALL_DAYS,
    )
    assert series.status_code == 403
    # A factory without rows has nothing to hide or show.
    assert _readings(world, sme2, "factory-nobody-z").json()["items"] == []
    # Without naming factories, the series covers exactly the caller's organisation.
    mine = world.get("/series", sme2, item_id="spindle_speed", bucket="1d", **ALL_DAYS).json()
    assert {p["factory_id"] for p in mine["items"]} == {"factory-sme-2-a"}


def test_a_gateway_reads_its_factory_only(world: World) -> None:
    gateway = world.headers("gateway", org_id="org-sme-1", factory_id="factory-sme-1-a")
    own = _readings(world, gateway, "factory-sme-1-a")
    assert own.status_code == 200 and {r["factory_id"] for r in own.json()["items"]} == {"factory-sme-1-a"}
    sibling = _readings(world, gateway, "factory-sme-1-b")  # same organisation, other factory
    assert sibling.status_code == 403 and "factory-sme-1-a" in sibling.json()["detail"]
    series = world.get("/series", gateway, item_id="spindle_speed", bucket="1d", **ALL_DAYS).json()
    assert {p["factory_id"] for p in series["items"]} == {"factory-sme-1-a"}
    assert (
        world.get(
            "/benchmarks", gateway, model_id="cnc-lathe", item_id="spindle_speed", **ALL_DAYS
        ).status_code
        == 403
    )


def test_callers_without_an_organisation_get_no_raw_rows(world: World) -> None:
    public = world.headers("public")
    answer = _readings(world, public, "factory-sme-1-a")
    assert answer.status_code == 403 and answer.json()["error"] == "Forbidden"
    assert (
        world.get(
            "/benchmarks", public, model_id="cnc-lathe", item_id="spindle_speed", **ALL_DAYS
        ).status_code
        == 403
    )


def test_a_vendor_reads_what_a_consent_covers_while_it_lasts(world: World) -> None:
    vendor = world.headers("vendor", org_id="org-vendor-1")
    assert _readings(world, vendor, "factory-sme-1-a").status_code == 403

    sme1 = world.headers("sme", org_id="org-sme-1")
    consent = world.client.post(
        "/api/v1/identity/consents",
        json={"grantee_org_id": "org-vendor-1", "scope": "telemetry", "factory_id": "factory-sme-1-a"},
        headers=sme1,
    )
    assert consent.status_code == 201, consent.text
    granted = _readings(world, vendor, "factory-sme-1-a")
    assert granted.status_code == 200 and len(granted.json()["items"]) == 56 + 48  # lathes and the press
    assert _readings(world, vendor, "factory-sme-1-b").status_code == 403  # the consent names one factory
    assert _readings(world, vendor, "factory-sme-2-a").status_code == 403  # another owner gave none
    series = world.get(
        "/series", vendor, item_id="spindle_speed", factory_id=["factory-sme-1-a"], bucket="1d", **ALL_DAYS
    ).json()
    assert {p["factory_id"] for p in series["items"]} == {"factory-sme-1-a"}
    # Its own organisation owns no factory: the series without named factories is empty, not everyone's.
    assert world.get("/series", vendor, item_id="spindle_speed", **ALL_DAYS).json()["items"] == []

    revoked = world.client.delete(f"/api/v1/identity/consents/{consent.json()['id']}", headers=sme1)
    assert revoked.status_code == 200, revoked.text
    assert _readings(world, vendor, "factory-sme-1-a").status_code == 403


def test_admins_read_every_factory(world: World) -> None:
    admin = world.headers("admin", org_id="org-operator")
    for factory_id in ("factory-sme-1-a", "factory-sme-2-a", "factory-sme-3-a"):
        assert len(_readings(world, admin, factory_id).json()["items"]) >= 56
    everything = world.get("/series", admin, item_id="spindle_speed", bucket="1d", **ALL_DAYS).json()
    assert len({p["factory_id"] for p in everything["items"]}) == 4
