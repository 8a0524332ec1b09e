"""``/companies/facets``, the sorted list and the batch lookup by ids."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body
from tests.services.deployments.conftest import designate

URL = "/api/v1/companies"


def _counts(answer: dict[str, Any], facet: str) -> dict[str, int]:
    return {v["key"]: v["count"] for v in answer[facet]}


def _register(client: TestClient, auth: Auth, company_id: str, kind: str, brn9: str, **kw: Any) -> None:
    headers = auth(kind, org_id=company_id)
    body = company_body(company_id=company_id, kind=kind, brn_first9=brn9, **kw)
    assert client.post(URL, json=body, headers=headers).status_code == 201


def test_facets_sorts_and_ids(client: TestClient, auth: Auth) -> None:
    _register(client, auth, "org-v1", "vendor", "220816251", region="41", expertise=["INFO-MES", "INTL-AI"])
    _register(
        client, auth, "org-v2", "vendor", "320816251", region="48", expertise=["INTL-AI"], capability_level=4
    )
    _register(client, auth, "org-s1", "sme", "123456789", region="48", name={"ko": "가나공업", "en": "Gana"})
    designate(client, auth("admin", org_id="org-operator"), "org-v2", date.today() - timedelta(days=2))

    everything = client.get(f"{URL}/facets").json()
    assert everything["total"] == 3
    assert _counts(everything, "kind") == {"vendor": 2, "sme": 1}
    assert _counts(everything, "region") == {"48": 2, "41": 1}
    assert _counts(everything, "expertise") == {"INTL-AI": 2, "INFO-MES": 1}
    assert _counts(everything, "designated") == {"false": 2, "true": 1}
    assert _counts(everything, "industry") == {"C29": 1}
    assert _counts(everything, "growth_stage") == {"성장": 3}

    vendors_48 = client.get(f"{URL}/facets", params={"kind": "vendor", "region": "48"}).json()
    assert vendors_48["total"] == 1
    assert _counts(vendors_48, "kind") == {"vendor": 1, "sme": 1}, "a facet ignores its own filter"
    assert _counts(vendors_48, "region") == {"48": 1, "41": 1}
    designated = client.get(f"{URL}/facets", params={"designated": True}).json()
    assert designated["total"] == 1 and _counts(designated, "expertise") == {"INTL-AI": 1}
    # Nothing found: only a chosen filter's facet counts (what choosing another value would find).
    sme_experts = client.get(f"{URL}/facets", params={"kind": "sme", "expertise": "INTL-AI"}).json()
    assert sme_experts["total"] == 0
    assert _counts(sme_experts, "kind") == {"vendor": 2} and _counts(sme_experts, "expertise") == {}
    assert sme_experts["region"] == sme_experts["designated"] == []

    def ids(**params: Any) -> list[str]:
        answer = client.get(URL, params=params)
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    assert ids(sort="capability")[0] == "org-v2"
    assert ids(sort="name")[-1] == "org-s1", "(주)한국MES, (주)한국MES, 가나공업"
    assert ids(sort="newest") == ["org-s1", "org-v2", "org-v1"]
    assert sorted(ids(ids=["org-v1", "org-s1", "org-none"])) == ["org-s1", "org-v1"]
    too_many = client.get(URL, params={"ids": [f"org-{i}" for i in range(201)]})
    assert too_many.status_code == 422 and too_many.json()["fields"][0]["loc"].startswith("query.ids")
