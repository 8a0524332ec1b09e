"""List pages join each record's JSON, rendered once per version (services.kit.rendered): an item is always
what the record's own page answers for the same caller, before and after a write, whoever asked first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.deployments.models import Ticket
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from tests.services.deployments.conftest import URL, World


def _item(world: World, path: str, record_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = world.client.get(path, headers=headers or {})
    assert answer.status_code == 200, answer.text
    (item,) = [i for i in answer.json()["items"] if i["id"] == record_id]
    return dict(item)


def test_list_items_are_the_records_own_answers_for_each_caller_and_follow_writes(world: World) -> None:
    record = world.published(title_ko="창원 용접 라인 AI")
    # built for this request: a signed-in caller with no part in the record sees the public fields
    public = world.client.get(f"{URL}/{record['id']}", headers=world.outsider).json()
    private = world.client.get(f"{URL}/{record['id']}", headers=world.sme).json()
    assert public["private_visible"] is False and private["private_visible"] is True
    for _ in range(2):  # rendered, then from the stored JSON
        # signed out, the record's page is the rendered JSON the public list shares
        signed_out = world.client.get(f"{URL}/{record['id']}")
        assert signed_out.json() == public and signed_out.headers["ETag"] == f'"{record["version"]}"'
        assert _item(world, URL, record["id"]) == public
        assert _item(world, f"{URL}?sort=newest", record["id"]) == public
        assert _item(world, f"{URL}/workspace", record["id"], world.sme) == private
        assert (
            _item(world, f"{URL}/workspace", record["id"], world.agency)
            == world.client.get(f"{URL}/{record['id']}", headers=world.agency).json()
        )

    draft = world.create(title_ko="첫 제목")
    assert _item(world, f"{URL}/workspace", draft["id"], world.sme)["title"]["ko"] == "첫 제목"
    changed = world.client.patch(
        f"{URL}/{draft['id']}", json={"title": {**draft["title"], "ko": "고친 제목"}}, headers=world.sme
    )
    assert changed.status_code == 200, changed.text
    mine = _item(world, f"{URL}/workspace", draft["id"], world.sme)
    assert mine["title"]["ko"] == "고친 제목" and mine["version"] == changed.json()["version"]
    assert mine == world.client.get(f"{URL}/{draft['id']}", headers=world.sme).json()


def test_the_public_page_counts_after_care_tickets_as_the_record_does(world: World) -> None:
    """The public page counts tickets in SQL (services.deployments.repository.page_columns); the record's own
    page in Python (aftercare.counts): open, late (answered after, or unanswered past, the due time) and
    resolved agree, for each SQL dialect's timestamps."""
    record = world.published()
    now = datetime.now(UTC)
    tickets = [  # (opened, due, answered, resolved) hours from now
        (-50, -26, -30, -20),  # answered in time, resolved
        (-50, -26, -10, None),  # answered late, open
        (-50, -26, None, None),  # unanswered past due: late
        (-5, 19, None, None),  # open, in time
        (-90, -66, -60, -1),  # answered late, resolved
    ]
    with state_of(world.client.app).get(DATABASE).session() as session, session.begin():
        for n, (opened, due, answered, resolved) in enumerate(tickets):
            session.add(
                Ticket(
                    id=f"t-rendered-{n}",
                    record_id=record["id"],
                    supplier_company_id="org-vendor-3",
                    title="화면 멈춤",
                    description="응답 없음",
                    severity="major",
                    opened_by="sme1",
                    opened_at=now + timedelta(hours=opened),
                    due_at=now + timedelta(hours=due),
                    answered_at=None if answered is None else now + timedelta(hours=answered),
                    resolved_at=None if resolved is None else now + timedelta(hours=resolved),
                )
            )
    expected = {"open": 3, "late": 3, "resolved": 2}
    assert world.client.get(f"{URL}/{record['id']}", headers=world.outsider).json()["aftercare"] == expected
    assert world.client.get(f"{URL}/{record['id']}").json()["aftercare"] == expected
    assert _item(world, URL, record["id"])["aftercare"] == expected
    assert _item(world, f"{URL}?sort=effect", record["id"])["aftercare"] == expected
