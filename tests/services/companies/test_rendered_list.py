"""The company list joins each company's JSON, rendered once per state (services.kit.rendered): an item is
always what the company's own page answers, through designations recorded, suspended, reinstated and run
out, and overseas contracts signed."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from services.companies.models import Designation
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from tests.conftest import Auth
from tests.factories import company_body
from tests.services.companies.workflow import APPS, URL

COMPANY = f"{URL}/org-vendor-3"


def _listed(client: TestClient) -> list[dict[str, Any]]:
    items = []
    for path in (URL, f"{URL}?sort=name", f"{URL}?sort=newest", f"{URL}?ids=org-vendor-3"):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        items += [i for i in answer.json()["items"] if i["id"] == "org-vendor-3"]
    assert len(items) == 4
    return items


def _agree(client: TestClient) -> dict[str, Any]:
    """The company's own answer, after checking every list shows the same (twice: built, then kept)."""
    own = client.get(COMPANY).json()
    for _ in range(2):
        assert _listed(client) == [own] * 4
    return dict(own)


def test_list_items_are_the_companys_own_answer_through_designations_and_contracts(
    client: TestClient, auth: Auth
) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    admin = auth("admin", org_id="org-operator", username="admin1")
    assert client.post(URL, json=company_body(), headers=vendor).status_code == 201
    assert _agree(client)["designated"] is False

    recorded = client.post(
        f"{APPS}/historical",
        json={
            "fields": ["INFO-MES"],
            "decided_on": (date.today() - timedelta(days=200)).isoformat(),
            "total_score": 81.5,
            "reason": "지정위원회 심의 결과 지정",
            "document_ref": "중소벤처기업부 공고 제2026-100호",
        },
        headers=admin,
    )
    assert recorded.status_code == 201, recorded.text
    designated = _agree(client)
    assert designated["designated"] is True and designated["designated_until"] is not None

    url = f"{APPS}/{recorded.json()['id']}"
    assert client.post(f"{url}/suspend", json={"reason": "사후관리 지연"}, headers=admin).status_code == 200
    assert _agree(client)["designated"] is False
    assert client.post(f"{url}/reinstate", json={"reason": "소명 인정"}, headers=admin).status_code == 200
    assert _agree(client) == designated

    contract = {"country": "VN", "partner": "Thanh Cong JSC", "contract_krw": 850_000_000}
    signed = client.post(f"{COMPANY}/overseas", json={**contract, "signed_on": "2026-05-14"}, headers=vendor)
    assert signed.status_code == 201, signed.text
    assert _agree(client)["growth_stage_basis"] == "computed"

    # Time alone takes a designation out of force: the list follows without any write of the company.
    with state_of(client.app).get(DATABASE).session() as session, session.begin():
        row = session.get(Designation, recorded.json()["id"])
        assert row is not None
        row.valid_until = datetime.now(UTC) + timedelta(seconds=2)
    assert _agree(client)["designated"] is True
    time.sleep(2.1)
    assert _agree(client)["designated"] is False
