"""List pages join each record's JSON, rendered once per version (services.kit.rendered): an item is always
what the record's own page answers for the same caller, before and after a write, whoever asked first."""

from __future__ import annotations

from typing import Any

from tests.services.deployments.conftest import URL, World


def _item(world: World, path: str, record_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = world.client.get(path, headers=headers or {})
    assert answer.status_code == 200, answer.text
    (item,) = [i for i in answer.json()["items"] if i["id"] == record_id]
    return dict(item)


def test_list_items_are_the_records_own_answers_for_each_caller_and_follow_writes(world: World) -> None:
    record = world.published(title_ko="창원 용접 라인 AI")
    public = world.client.get(f"{URL}/{record['id']}").json()
    private = world.client.get(f"{URL}/{record['id']}", headers=world.sme).json()
    assert public["private_visible"] is False and private["private_visible"] is True
    for _ in range(2):  # rendered, then from the stored JSON
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
