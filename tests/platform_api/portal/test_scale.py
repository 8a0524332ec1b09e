"""The browse pages ask the APIs for one page and the facet counts, whatever the catalogue's size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kit.app_state import state_of
from services.kit.clients import ServiceClient
from tests.conftest import Auth
from tests.factories import company_body, usecase_body


@dataclass
class Calls:
    made: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    items: int = 0  # list items the portal received

    def reset(self) -> None:
        self.made.clear()
        self.items = 0


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Every API read of the portal, counted on the way through (the calls still reach the services)."""
    seen = Calls()
    real = ServiceClient.get_json

    async def counted(self: ServiceClient, service: str, path: str, **kw: Any) -> Any:
        answer = await real(self, service, path, **kw)
        seen.made.append((service, path, dict(kw.get("params") or {})))
        if isinstance(answer, dict) and isinstance(answer.get("items"), list):
            seen.items += len(answer["items"])
        return answer

    monkeypatch.setattr(ServiceClient, "get_json", counted)
    yield seen


def _view(client: TestClient, calls: Calls, path: str) -> str:
    state_of(client.app).caches.portal.clear()  # a cold page: every call made
    calls.reset()
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


def _publish_cases(client: TestClient, vendor: dict[str, str], count: int, start: int) -> None:
    for i in range(start, start + count):
        region = "48" if i % 3 else "11"
        made = client.post(
            "/api/v1/usecases", json=usecase_body(region=region, title_ko=f"사례 {i:03d}"), headers=vendor
        )
        assert made.status_code == 201, made.text
        assert client.post(f"/api/v1/usecases/{made.json()['id']}/publish", headers=vendor).status_code == 200


def test_cases_page_fetches_one_page_and_facets_at_any_size(
    client: TestClient, auth: Auth, calls: Calls
) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    assert client.post("/api/v1/companies", json=company_body(), headers=vendor).status_code == 201
    _publish_cases(client, vendor, 3, 0)
    _view(client, calls, "/cases")
    small = sorted((service, path) for service, path, _ in calls.made)

    _publish_cases(client, vendor, 57, 3)
    page = _view(client, calls, "/cases")
    assert sorted((service, path) for service, path, _ in calls.made) == small, "as many calls at 60 as at 3"
    assert small == [("companies", ""), ("usecases", ""), ("usecases", "/facets")]
    listed = [p for s, path, p in calls.made if (s, path) == ("usecases", "")]
    assert listed[0]["limit"] == 20 and calls.items == 20 + 1, "one page of cases, one supplier's name"
    named = [p for s, path, p in calls.made if s == "companies"]
    assert named[0]["ids"] == ("org-vendor-3",), "names only of the companies shown"
    assert "60건" in page and "1 / 3" in page.replace("쪽", "")
    assert "(주)한국MES" in page, "the supplier facet and the cards name the company"
    assert len(re.findall(r'<article class="card">', page)) == 20

    second = _view(client, calls, "/cases?page=2")  # a later page: the list after its facets, at its position
    assert sorted((service, path) for service, path, _ in calls.made) == small
    assert [p.get("cursor") for s, path, p in calls.made if (s, path) == ("usecases", "")] == ["WzIwXQ"]
    assert "2 / 3" in second.replace("쪽", "") and len(re.findall(r'<article class="card">', second)) == 20

    last = _view(client, calls, "/cases?region=48&page=9")  # past the end: the last page, asked once
    assert [path for s, path, _ in calls.made if s == "usecases"] == ["/facets", ""]
    assert "40건" in last and len(re.findall(r'<article class="card">', last)) == 20
    assert re.search(r'data-facet="region" data-code="11".*?<span class="n">20</span>', last, flags=re.S)
    titles = re.findall(r"사례 (\d{3})", last)
    assert titles and all(int(t) % 3 for t in titles), "only the region's cases"


def test_a_later_page_of_nothing_asks_only_the_facets(client: TestClient, auth: Auth, calls: Calls) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    _publish_cases(client, vendor, 3, 0)

    page = _view(client, calls, "/cases?q=zzqx&page=9")

    assert [(service, path) for service, path, _ in calls.made] == [
        ("usecases", "/facets"),
    ], "the facets said nothing matches: the page is empty without asking for it"
    assert 'class="empty"' in page and not re.findall(r'<article class="card">', page)
    assert 'data-try="deployments"' in page, "the empty result still suggests what to try"

    past = _view(client, calls, "/cases?page=9")  # 3 cases: page 1 is the last, the only one asked for
    assert [p.get("cursor") for s, path, p in calls.made if (s, path) == ("usecases", "")] == [None]
    assert len(re.findall(r'<article class="card">', past)) == 3
