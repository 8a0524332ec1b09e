"""The use-case list and search run as many SQL statements for 50 rows as for 5 (no query per row)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import usecase_body
from tests.services.statements import SMALL, assert_constant, pages

URL = "/api/v1/usecases"


def test_list_and_search_query_per_page_not_per_row(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    for n in range(SMALL + 4):  # two in three published: more than SMALL
        created = client.post(URL, json=usecase_body(title_ko=f"용접 불량 예측 AI {n}"), headers=vendor)
        assert created.status_code == 201, created.text
        if n % 3:  # the others stay drafts, which only their organisation lists
            assert client.post(f"{URL}/{created.json()['id']}/publish", headers=vendor).status_code == 200

    for path in (URL, f"{URL}?region=48", f"{URL}/search?q=용접 불량"):
        assert_constant(pages(client, path, vendor))
    assert_constant(pages(client, f"{URL}?status=published"))
