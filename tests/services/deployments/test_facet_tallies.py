"""The facet tallies (services.deployments.tallies) follow every write of a record: after a publication, a
revision back to draft, a second publication and a deletion, the tallies hold the literal counts of the
published records and ``/deployments/facets`` (which reads them) equals a recount by ``GROUP BY``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.deployments import repository
from services.deployments.models import FacetTally
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from tests.services.deployments.conftest import URL, World

FACETS = f"{URL}/facets"
CELL = ("48", "C29")  # every record of the world's SME: its factory's region and industry


def _tallies(world: World) -> dict[tuple[str, str], int]:
    """(facet, key) -> count of the world's one cell; no zero rows kept apart from the answer."""
    with state_of(world.client.app).get(DATABASE).session() as session:
        rows = session.execute(select(FacetTally)).scalars().all()
        assert {(r.region_code, r.industry_code) for r in rows} <= {CELL}
        return {(r.facet, r.key): r.count for r in rows if r.count}


def _recount(world: World, **filters: Any) -> dict[str, Any]:
    """The facets counted over the records (the path the tallies replace)."""
    with state_of(world.client.app).get(DATABASE).session() as session:
        counts = repository.facets(session, repository.Filters(**filters))
    return {k: v if isinstance(v, int) else [c.model_dump() for c in v] for k, v in counts.items()}


def _answered(world: World, **filters: Any) -> dict[str, Any]:
    answer = world.client.get(FACETS, params=filters)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _same_as_recount(world: World) -> None:
    for filters in (
        {},
        {"region": "48"},
        {"industry": "C29"},
        {"region": "11"},
        {"region": "48", "industry": "C30"},
    ):
        assert _answered(world, **filters) == _recount(world, **filters), filters


def test_tallies_follow_publication_revision_and_deletion(world: World) -> None:
    ai = world.published(subfield="INTL-AI", year=2023)
    world.published(subfield="INFO-MES", year=2024, level_after="고도화", kpis=[])
    world.create(subfield="INTL-AI", year=2022)  # a draft: counted nowhere
    assert _tallies(world) == {
        ("records", ""): 2,
        ("level", "기초>중간1"): 1,
        ("level", "기초>고도화"): 1,
        ("year", "2023"): 1,
        ("year", "2024"): 1,
        ("subfield", "INTL-AI"): 1,
        ("subfield", "INFO-MES"): 1,
        ("supplier", "org-vendor-3"): 2,
        ("evidence", "self_reported"): 1,
    }
    _same_as_recount(world)
    assert _answered(world, region="11")["total"] == 0
    assert _answered(world, region="11")["region"] == [{"key": "48", "count": 2}], "its own filter ignored"

    # A change of a published record opens revision 2 in draft: it leaves the counts until published again.
    url = f"{URL}/{ai['id']}"
    revised = world.client.patch(url, json={"level_after": "중간2"}, headers=world.sme)
    assert revised.status_code == 200 and revised.json()["status"] == "draft", revised.text
    assert _tallies(world) == {
        ("records", ""): 1,
        ("level", "기초>고도화"): 1,
        ("year", "2024"): 1,
        ("subfield", "INFO-MES"): 1,
        ("supplier", "org-vendor-3"): 1,
    }
    _same_as_recount(world)

    world.publish(revised.json())
    assert _tallies(world) == {
        ("records", ""): 2,
        ("level", "기초>중간2"): 1,
        ("level", "기초>고도화"): 1,
        ("year", "2023"): 1,
        ("year", "2024"): 1,
        ("subfield", "INTL-AI"): 1,
        ("subfield", "INFO-MES"): 1,
        ("supplier", "org-vendor-3"): 2,
        ("evidence", "self_reported"): 1,
    }
    _same_as_recount(world)

    assert world.client.delete(url, headers=world.admin).status_code == 204
    assert _tallies(world) == {
        ("records", ""): 1,
        ("level", "기초>고도화"): 1,
        ("year", "2024"): 1,
        ("subfield", "INFO-MES"): 1,
        ("supplier", "org-vendor-3"): 1,
    }
    _same_as_recount(world)
    assert _answered(world)["subfield"] == [{"key": "INFO-MES", "count": 1}]
