"""A supplier's first record with an SME it never worked with: the SME's factories are listed to a supplier
only while the SME's ``deployments`` consent to it holds (all of them, or the one it names); a supplier
that sees none files the record without a factory and the SME names its own when it confirms it."""

from __future__ import annotations

from typing import Any

from tests.factories import deployment_body
from tests.services.deployments.conftest import COMPANIES, URL, World
from tests.services.deployments.test_lifecycle import light

CONSENTS = "/api/v1/identity/consents"
FACTORIES = f"{COMPANIES}/org-sme-1/factories"
# The site as the supplier knows it: no factory id, the SME's region and industry from the registry.
UNNAMED = {"name": "(주)한국MES", "region_code": "41", "industry_code": "C29"}


def _listed(world: World, headers: dict[str, str]) -> Any:
    answer = world.client.get(FACTORIES, headers=headers)
    return answer.status_code, [f["id"] for f in answer.json().get("items", [])]


def _organisations(world: World) -> None:
    """The consents' parties as identity organisations (the companies service may have registered them)."""
    for org_id, kind in (("org-sme-1", "sme"), ("org-vendor-3", "vendor"), ("org-vendor-5", "vendor")):
        made = world.client.post(
            "/api/v1/identity/organisations",
            json={"id": org_id, "kind": kind, "name": {"ko": org_id}},
            headers=world.admin,
        )
        assert made.status_code in (201, 409), made.text


def _grant(world: World, **body: Any) -> str:
    answer = world.client.post(
        CONSENTS, json={"grantee_org_id": "org-vendor-3", "scope": "deployments", **body}, headers=world.sme
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_a_supplier_lists_an_smes_factories_only_while_its_consent_holds(world: World) -> None:
    _organisations(world)
    second = {"id": "factory-sme-1-b", "name": "제2공장", "region_code": "48", "industry_code": "C29"}
    assert world.client.post(FACTORIES, json=second, headers=world.sme).status_code == 201
    assert _listed(world, world.sme) == (200, ["factory-sme-1-a", "factory-sme-1-b"])
    assert _listed(world, world.vendor) == (403, []), "no consent: the register is the SME's own"
    telemetry = {"grantee_org_id": "org-vendor-3", "scope": "telemetry"}
    assert world.client.post(CONSENTS, json=telemetry, headers=world.sme).status_code == 201
    assert _listed(world, world.vendor) == (403, []), "another scope's consent shows no factory"

    one = _grant(world, factory_id="factory-sme-1-b")
    assert _listed(world, world.vendor) == (200, ["factory-sme-1-b"]), "a consent naming a factory"
    every = _grant(world)
    assert _listed(world, world.vendor) == (200, ["factory-sme-1-a", "factory-sme-1-b"])
    assert _listed(world, world.outsider) == (403, []), "another supplier sees nothing"
    assert world.client.get(f"{COMPANIES}/org-sme-2/factories", headers=world.vendor).status_code == 403

    assert world.client.delete(f"{CONSENTS}/{every}", headers=world.sme).status_code == 200
    assert _listed(world, world.vendor) == (200, ["factory-sme-1-b"])
    assert world.client.delete(f"{CONSENTS}/{one}", headers=world.sme).status_code == 200
    assert _listed(world, world.vendor) == (403, []), "revoked: nothing from the next request on"


def _unnamed_and_submitted(world: World) -> dict[str, Any]:
    record = light(world, world.vendor, factory=UNNAMED, title_ko="처음 함께하는 중소기업의 구축")
    assert record["factory"] == {**UNNAMED, "factory_id": None, "address": None}
    submitted = world.act(record, "submit", world.vendor)
    assert submitted.status_code == 200, submitted.text
    return dict(submitted.json())


def test_the_sme_names_its_factory_when_it_confirms_a_record_filed_without_one(world: World) -> None:
    record = _unnamed_and_submitted(world)
    url = f"{URL}/{record['id']}"

    unnamed = world.act(record, "confirm", world.sme)
    assert unnamed.status_code == 422
    assert unnamed.json()["fields"] == [
        {
            "loc": "body.factory_id",
            "msg": "the record names no factory: name one of your registered factories",
        }
    ]
    foreign = world.act(record, "confirm", world.sme, factory_id="factory-sme-2-a")
    assert foreign.status_code == 422, "another company's factory"
    assert [f["loc"] for f in foreign.json()["fields"]] == ["body.factory_id"]
    assert "factory-sme-2-a" in foreign.json()["fields"][0]["msg"]
    assert world.client.get(url, headers=world.sme).json()["status"] == "submitted", "nothing changed"

    confirmed = world.act(record, "confirm", world.sme, factory_id="factory-sme-1-a")
    assert confirmed.status_code == 200, confirmed.text
    site = confirmed.json()["factory"]
    assert (confirmed.json()["status"], site["factory_id"], site["name"], site["region_code"]) == (
        "confirmed",
        "factory-sme-1-a",
        "org-sme-1 제1공장",
        "48",
    )
    history = world.client.get(f"{url}/history", headers=world.sme).json()["items"]
    assert [(h["action"], h["changed"]) for h in history[-2:]] == [
        ("name_factory", ["factory"]),
        ("confirm", []),
    ]
    verified = world.act(confirmed.json(), "verify", world.agency)
    assert verified.status_code == 200, "the named factory is checked: the agency of 경남 verifies it"


def test_who_may_name_a_factory(world: World) -> None:
    drafted = world.client.post(URL, json=deployment_body(factory=UNNAMED), headers=world.sme)
    assert drafted.status_code == 422, "an SME names its own factory when it drafts"
    assert [f["loc"] for f in drafted.json()["fields"]] == ["body.factory.factory_id"]

    by_sme = light(world)
    assert world.act(by_sme, "submit", world.sme).status_code == 200
    vendor_names = world.act(by_sme, "confirm", world.vendor, factory_id="factory-sme-1-a")
    assert vendor_names.status_code == 422 and vendor_names.json()["fields"][0]["loc"] == "body.factory_id"

    named = light(world, world.vendor)
    assert world.act(named, "submit", world.vendor).status_code == 200
    other = world.act(named, "confirm", world.sme, factory_id="factory-sme-1-b")
    assert other.status_code == 422, "a record that names its factory keeps it: send it back to change"
    same = world.act(named, "confirm", world.sme, factory_id="factory-sme-1-a")
    assert same.status_code == 200, same.text
