"""Specialist companies and SMEs are two lists of the portal, each company once; the demo world names every
company differently."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient

from platform_api.demo_data import build_world
from tests.conftest import Auth
from tests.factories import company_body


def test_the_demo_world_names_every_company_once() -> None:
    companies = build_world().companies
    assert len(companies) == 60
    assert [n for n, c in Counter(c["name"]["ko"] for c in companies).items() if c > 1] == []
    assert [n for n, c in Counter(c["name"]["en"] for c in companies).items() if c > 1] == []
    names = {c["id"]: c["name"]["ko"] for c in companies}
    # the second round of stems (SMEs 21-40) takes the next tail: it once repeated SMEs 1-20
    assert (names["org-sme-1"], names["org-sme-21"]) == ("대성테크(주)", "대성기계(주)")
    assert (names["org-sme-20"], names["org-sme-40"]) == ("정우정밀(주)", "정우금속(주)")


def test_specialist_companies_and_smes_are_different_lists(client: TestClient, auth: Auth) -> None:
    admin = auth("admin", org_id="org-operator")
    bodies = [
        company_body(company_id="org-vendor-31", brn_first9="220816251", name={"ko": "(주)가온MES"}),
        company_body(company_id="org-vendor-32", brn_first9="220816252", name={"ko": "(주)나래비전"}),
        company_body(
            company_id="org-sme-31", kind="sme", brn_first9="120866251", name={"ko": "다온정밀(주)"}
        ),
    ]
    for body in bodies:
        assert client.post("/api/v1/companies", json=body, headers=admin).status_code == 201

    specialists = client.get("/companies").text
    assert specialists.count("(주)가온MES") == 1 and specialists.count("(주)나래비전") == 1
    assert "다온정밀(주)" not in specialists
    smes = client.get("/companies", params={"kind": "sme"}).text
    assert smes.count("다온정밀(주)") == 1
    assert "(주)가온MES" not in smes and "(주)나래비전" not in smes
