"""``/deployments/facets`` and the sorted list: counts by the database, published records only."""

from __future__ import annotations

from tests.services.deployments.conftest import URL, World

FACETS = f"{URL}/facets"


def _counts(answer: dict, facet: str) -> dict[str, int]:
    return {v["key"]: v["count"] for v in answer[facet]}


def test_facet_counts_match_a_hand_count_and_skip_drafts(world: World) -> None:
    world.published(subfield="INTL-AI", year=2023)
    world.published(subfield="INFO-MES", year=2024, level_after="고도화", kpis=[])
    world.published(subfield="INTL-AI", year=2024, level_before="중간1", level_after="중간2")
    world.create(subfield="INTL-AI", year=2022, level_after="중간2")  # a draft: counted nowhere

    everything = world.client.get(FACETS).json()
    assert everything["total"] == 3
    assert _counts(everything, "region") == {"48": 3}
    assert _counts(everything, "industry") == {"C29": 3}
    assert _counts(everything, "subfield") == {"INTL-AI": 2, "INFO-MES": 1}
    assert _counts(everything, "level") == {"기초>중간1": 1, "기초>고도화": 1, "중간1>중간2": 1}
    assert _counts(everything, "supplier") == {"org-vendor-3": 3}
    assert _counts(everything, "evidence") == {"self_reported": 2}
    assert _counts(everything, "year") == {"2024": 2, "2023": 1}
    assert everything["subfield"][0] == {"key": "INTL-AI", "count": 2}, "largest first"

    # A facet counts under the other filters and ignores its own, so another value can be chosen.
    chosen = world.client.get(FACETS, params={"subfield": "INTL-AI", "year": 2024}).json()
    assert chosen["total"] == 1
    assert _counts(chosen, "subfield") == {"INTL-AI": 1, "INFO-MES": 1}
    assert _counts(chosen, "year") == {"2024": 1, "2023": 1}
    assert _counts(chosen, "level") == {"중간1>중간2": 1}
    levels = world.client.get(FACETS, params={"level_before": "기초", "level_after": "고도화"}).json()
    assert levels["total"] == 1 and _counts(levels, "level") == _counts(everything, "level")
    assert _counts(levels, "subfield") == {"INFO-MES": 1}
    evidence = world.client.get(FACETS, params={"evidence": "self_reported"}).json()
    assert evidence["total"] == 2 and _counts(evidence, "subfield") == {"INTL-AI": 2}
    assert len(world.client.get(URL, params={"evidence": "self_reported"}).json()["items"]) == 2

    # The signed-in parties see no more counts than anyone: the list is of published records.
    assert world.client.get(FACETS, headers=world.sme).json()["total"] == 3
    assert world.client.get(FACETS, params={"q": "대성정밀"}).json()["total"] == 3
    bad = world.client.get(FACETS, params={"evidence": "rumour"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "query.evidence"

    # Only the facets asked for are counted (the portal's companies search wants the suppliers alone),
    # from the tallies (no filter but region) and from the records (a search) alike.
    for params in ({"region": "48"}, {"q": "대성정밀"}):
        suppliers = world.client.get(FACETS, params={**params, "only": "supplier"}).json()
        assert suppliers == {
            "total": 3, "region": [], "industry": [], "subfield": [], "level": [],
            "supplier": [{"key": "org-vendor-3", "count": 3}], "evidence": [], "year": [],
        }, params  # fmt: skip
    two = world.client.get(FACETS, params=[("only", "year"), ("only", "level"), ("q", "대성정밀")]).json()
    assert _counts(two, "year") == {"2024": 2, "2023": 1} and len(two["level"]) == 3 and two["subfield"] == []
    unknown = world.client.get(FACETS, params={"only": "colour"})
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"].startswith("query.only")

    # A search that finds nothing under a chosen year still counts the other years it would find.
    none_in_2022 = world.client.get(FACETS, params={"q": "대성정밀", "year": 2022}).json()
    assert none_in_2022["total"] == 0 and _counts(none_in_2022, "year") == {"2024": 2, "2023": 1}
    assert none_in_2022["region"] == none_in_2022["subfield"] == none_in_2022["level"] == []

    # The counts are kept, but a change of any record is seen by the next call.
    world.published(subfield="INFO-MES", year=2023)
    assert _counts(world.client.get(FACETS).json(), "year") == {"2024": 2, "2023": 2}


def test_sorted_pages_are_cut_by_position(world: World) -> None:
    low = world.published(
        kpis=[
            {"kind": "productivity", "baseline": 100, "after": 105, "unit": "ea/h", "source": "self_reported"}
        ]
    )
    none = world.published(kpis=[])
    high = world.published(
        kpis=[
            {"kind": "productivity", "baseline": 100, "after": 150, "unit": "ea/h", "source": "self_reported"}
        ]
    )

    def ids(**params: object) -> list[str]:
        return [i["id"] for i in world.client.get(URL, params=params).json()["items"]]

    assert ids(sort="newest") == [high["id"], none["id"], low["id"]]
    assert ids(sort="effect") == [high["id"], low["id"], none["id"]], "no KPI sorts last"
    first = world.client.get(URL, params={"sort": "effect", "limit": 2}).json()
    rest = world.client.get(URL, params={"sort": "effect", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == [none["id"]] and rest["next_cursor"] is None
    assert world.client.get(URL, params={"sort": "cheapest"}).json()["fields"][0]["loc"] == "query.sort"

    # The map's figures: medians by the database, of an even count the mean of the middle two.
    figures = world.client.get(f"{URL}/aggregates", params={"by": "region"}).json()
    gyeongnam = next(g for g in figures["groups"] if g["key"] == "48")
    assert gyeongnam["count"] == 3 and gyeongnam["median_kpi_improvement_pct"] == {"productivity": 27.5}
    assert gyeongnam["support_amount_krw_median"] is not None, "three records: disclosed"
    seoul = world.client.get(f"{URL}/aggregates", params={"by": "subfield", "region": "11"}).json()
    assert seoul["total"] == 0 and all(g["count"] == 0 for g in seoul["groups"])
