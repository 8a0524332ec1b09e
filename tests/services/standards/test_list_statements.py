"""The equipment model list runs as many SQL statements for 50 rows as for 5 (no query per row)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import model_body
from tests.services.statements import SMALL, assert_constant, pages

URL = "/api/v1/standards"


def test_model_list_queries_per_page_not_per_row(client: TestClient, auth: Auth) -> None:
    vendor, admin = auth("vendor", org_id="org-vendor-1"), auth("admin", org_id="org-operator")
    for n in range(SMALL + 4):  # two in three published: more than SMALL
        assert client.post(URL, json=model_body(model_id=f"cnc-lathe-{n}"), headers=vendor).status_code == 201
        if n % 3:  # the others stay drafts, which only their owner lists
            published = client.post(f"{URL}/cnc-lathe-{n}/versions/1.0.0/publish", headers=admin)
            assert published.status_code == 200, published.text

    for path in (URL, f"{URL}?q=cnc", f"{URL}?item=spindle_speed", f"{URL}?status=published"):
        assert_constant(pages(client, path, vendor))
    assert_constant(pages(client, URL))
