"""The company list runs as many SQL statements for 50 rows as for 5 (no query per row)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body
from tests.services.statements import SMALL, assert_constant, pages

URL = "/api/v1/companies"


def test_company_list_queries_per_page_not_per_row(client: TestClient, auth: Auth) -> None:
    admin = auth("admin", org_id="org-operator")
    for n in range(SMALL + 2):
        kind = "sme" if n % 2 else "vendor"
        body = company_body(company_id=f"org-{kind}-{n}", kind=kind, brn_first9=f"{220816251 + n * 7919}")
        assert client.post(URL, json=body, headers=admin).status_code == 201

    for path in (URL, f"{URL}?region=41", f"{URL}?q=mes", f"{URL}?designated=false"):
        assert_constant(pages(client, path))
