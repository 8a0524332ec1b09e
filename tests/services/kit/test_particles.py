"""Korean particles follow the final consonant of the word before them."""

from __future__ import annotations

import pytest

from services.kit.particles import PAIRS, particle, with_particle


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("불량률", "을/를", "불량률을"),  # ㄹ final
        ("납기", "을/를", "납기를"),  # no final
        ("생산성", "이/가", "생산성이"),
        ("원가", "이/가", "원가가"),
        ("에너지 사용량", "은/는", "에너지 사용량은"),
        ("(주)비전인사이트", "이/가", "(주)비전인사이트가"),
        ("영상 인식(CNN)", "을/를", "영상 인식(CNN)을"),  # the parenthesis is not read
        ("품질 검사 ", "을/를", "품질 검사 를"),  # trailing space is skipped when reading
        ("MES", "을/를", "MES를"),  # 엠이에스
        ("ERP", "을/를", "ERP를"),
        ("AI", "이/가", "AI가"),
        ("CNN", "을/를", "CNN을"),  # 씨엔엔
        ("XML", "과/와", "XML과"),  # 엑스엠엘
        ("3", "을/를", "3을"),  # 삼
        ("2", "을/를", "2를"),  # 이
        ("10", "이/가", "10이"),  # 십… read by its last digit 영
        ("서울", "으로/로", "서울로"),  # ㄹ takes 로
        ("부산", "으로/로", "부산으로"),
        ("대구", "으로/로", "대구로"),
        ("고도화", "이라/라", "고도화라"),
    ],
)
def test_particle_follows_the_final_consonant(word: str, pair: str, expected: str) -> None:
    assert with_particle(word, pair) == expected


def test_every_pair_is_known_and_unreadable_words_take_the_consonant_form() -> None:
    assert set(PAIRS) == {"을/를", "이/가", "은/는", "과/와", "으로/로", "이라/라"}
    assert particle("", "을/를") == "을"
    assert particle("—", "이/가") == "이"
    with pytest.raises(KeyError):
        particle("공정", "을(를)")
