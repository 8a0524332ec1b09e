"""The agency's review deadline is the deployments service's setting (``deployments.review_within_days``),
carried by its workspace answer; the agency's queue shows the deadline the service holds it to. Here the
setting is 3 days (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from services.deployments.models import DeploymentRecord
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from services.kit.settings import PlatformSettings
from tests.conftest import Auth
from tests.platform_api.portal.test_pages import _sign_in
from tests.services.deployments.conftest import URL, build_world
from tests.services.deployments.test_lifecycle import in_state


@pytest.fixture
def settings(settings: PlatformSettings) -> PlatformSettings:
    return settings.replaced(deployments={"review_within_days": 3})


def test_the_workspace_answer_carries_the_review_deadline(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    in_state(world, "confirmed")
    answer = client.get(f"{URL}/workspace", params={"limit": 1}, headers=world.agency)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["review_within_days"] == 3 and len(body["items"]) == 1
    assert client.get(f"{URL}/workspace", headers=world.sme).json()["review_within_days"] == 3


def test_the_agency_queue_flags_a_record_past_the_services_deadline(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    record = in_state(world, "confirmed")
    # Confirmed on 2026-01-01: due three days later.
    with state_of(client.app).get(DATABASE).sessions() as session:
        confirmed_on = datetime(2026, 1, 1, tzinfo=UTC)
        this = DeploymentRecord.id == record["id"]
        session.execute(update(DeploymentRecord).where(this).values(updated_at=confirmed_on))
        session.commit()
    _sign_in(client, "agency1")
    home = client.get("/me/agency").text
    assert '<p class="hint" id="review-target">확인된 구축정보는 확인일로부터 3일 이내에 검증하거나' in home
    row = home.split('id="queue"')[1].split("</tr>")[1]
    assert "<td>2026-01-01</td>" in row and "2026-01-04" in row and "기한 지남" in row
