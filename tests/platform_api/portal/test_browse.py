"""Facet counts, filtering, sorting and pages of the portal's lists."""

from __future__ import annotations

from platform_api.portal.browse import Facet, Sort, browse, words_match

ITEMS = [
    {"id": "a", "region": "11", "fields": ["X", "Y"], "gain": 10.0},
    {"id": "b", "region": "11", "fields": ["Y"], "gain": None},
    {"id": "c", "region": "48", "fields": ["X"], "gain": 30.0},
    {"id": "d", "region": "48", "fields": [], "gain": 20.0},
]
FACETS = (
    Facet("region", "region", lambda i: [i["region"]]),
    Facet("field", "subfield", lambda i: i["fields"]),
)


def _counts(result: object, key: str) -> dict[str, int]:
    facet = next(f for f in result.facets if f.facet.key == key)  # type: ignore[attr-defined]
    return {v.code: v.count for v in facet.values}


def test_counts_of_a_facet_ignore_its_own_selection_but_apply_the_others() -> None:
    result = browse(ITEMS, FACETS, {"region": "11"}, None, 1)
    assert [i["id"] for i in result.items] == ["a", "b"]
    assert _counts(result, "region") == {"11": 2, "48": 2}, "choosing 48 instead would give 2"
    assert _counts(result, "field") == {"Y": 2, "X": 1}, "within region 11"
    both = browse(ITEMS, FACETS, {"region": "11", "field": "X"}, None, 1)
    assert [i["id"] for i in both.items] == ["a"]
    assert _counts(both, "region") == {"11": 1, "48": 1}


def test_a_selected_value_without_matches_stays_listed() -> None:
    result = browse(ITEMS, FACETS, {"region": "50"}, None, 1)
    assert result.total == 0 and _counts(result, "region")["50"] == 0


def test_sorting_puts_missing_values_last_and_pages_are_clamped() -> None:
    result = browse(ITEMS, FACETS, {}, Sort(lambda i: i["gain"], reverse=True), 1, page_size=3)
    assert [i["id"] for i in result.items] == ["c", "d", "a"] and result.pages == 2
    last = browse(ITEMS, FACETS, {}, Sort(lambda i: i["gain"], reverse=True), 9, page_size=3)
    assert last.page == 2 and [i["id"] for i in last.items] == ["b"]


def test_words_match_every_word_in_any_field() -> None:
    assert words_match("weld 불량", {"ko": "용접 불량", "en": "Weld defects"})
    assert not words_match("weld paint", {"ko": "용접 불량", "en": "Weld defects"})


def test_a_value_no_vocabulary_holds_is_named_by_its_items() -> None:
    models = [
        {"type": "CNC_LATHE", "name": {"ko": "대우 CNC 선반 DL-20", "en": "Daewoo DL-20"}},
        {"type": "CNC_LATHE", "name": {"ko": "CNC 선반", "en": "CNC lathe"}},
        {"type": "PRESS", "name": {"ko": "", "en": "Press"}},  # no Korean name: not a name to show
    ]
    facet = Facet("type", "equipment_type", lambda m: [m["type"]], named_by=lambda m: m["name"])
    values = {v.code: v.name for v in browse(models, (facet,), {}, None, 1).facets[0].values}
    assert values == {"CNC_LATHE": {"ko": "CNC 선반", "en": "CNC lathe"}, "PRESS": None}
