"""The one analysis of search text and queries (services.kit.search_terms): stems, particles, bigrams,
synonyms, the words of a query, and the stored document."""

from __future__ import annotations

import pytest

from services.kit.search_terms import Word, document, needed, query_words, stem, terms


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("weld", "welds", "welding", "welded", "welder", "welders"), "weld"),
        (("inspect", "inspection", "inspected", "inspecting"), "inspect"),
        (("optimise", "optimised", "optimisation", "optimize", "optimization"), "optimiz"),
        (("machine", "machines", "machining"), "machin"),
        (("defect", "defects", "defective"), "defect"),
        (("schedule", "scheduling", "schedules"), "schedul"),
        (("plan", "planning", "planned"), "plan"),
        (("laser",), "laser"),
        (("order",), "order"),
        (("power",), "power"),
        (("string",), "string"),
        (("mes",), "mes"),
    ],
)
def test_english_words_of_one_family_share_a_stem(words: tuple[str, ...], expected: str) -> None:
    assert {stem(w) for w in words} == {expected}


def test_korean_words_lose_their_particle_and_become_bigrams() -> None:
    assert terms("용접을") == ["weld"]
    assert terms("컨트롤텍") == ["컨트", "트롤", "롤텍"]
    assert terms("불량검출") == ["defect", "량검", "inspect"]
    assert terms("경기도") == ["경기"]
    assert terms("도") == ["도"], "a one-syllable word is its own term, particle or not"
    assert terms("공정 최적화") == ["공정", "정최", "최적", "적화"], "neighbouring words share a bigram"


def test_synonyms_meet_across_languages_and_digits_stay() -> None:
    assert terms("Spot welding 용접 결함 flaws") == ["spot", "weld", "weld", "접결", "defect", "defect"]
    assert terms("에너지를 power 전력") == ["energy", "energy", "energy"]
    assert terms("C30 2024년") == ["c30", "2024", "년"]


def test_a_query_is_its_distinct_words_each_with_all_its_terms() -> None:
    assert query_words("용접불량을 welding WELD !!") == [
        Word("용접불량을", ("weld", "접불", "defect")),
        Word("welding", ("weld",)),
    ]
    assert query_words("!! ??") == []
    assert [needed(n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]


def test_the_document_holds_each_term_once_between_spaces_and_only_whole_terms() -> None:
    assert document("(주)컨트롤텍", "Control Tech Co., Ltd.", None, length=100) == (
        " 주 주컨 컨트 트롤 롤텍 control tech co ltd "
    )
    assert document("welding welded weld", length=100) == " weld "
    assert document("(주)컨트롤텍", "Control Tech", length=20) == " 주 주컨 컨트 트롤 롤텍 "
