"""Numbers with meaning (issue 29): units in the words of the page's language, KPI changes as a direction,
count legends in whole numbers, names inside English sentences, chart labels never cut."""

from __future__ import annotations

import re

import pytest

from platform_api.portal import charts
from platform_api.portal.labels import Labels, change
from platform_api.portal.tilemap import legend
from services.kit.units import in_words


@pytest.mark.parametrize(
    ("symbol", "ko", "en"),
    [
        ("count", "건", ""),
        ("ea", "개", "pcs"),
        ("ea/h", "개/시간", "pcs/h"),
        ("kWh/ea", "kWh/개", "kWh/pc"),
        ("day", "일", "days"),
        ("일", "일", "days"),
        ("h", "시간", "h"),
        ("s", "초", "s"),
        ("%", "%", "%"),
        ("kWh", "kWh", "kWh"),
        ("°C", "°C", "°C"),
        (None, "", ""),
    ],
)
def test_units_are_words_of_the_language(symbol: str | None, ko: str, en: str) -> None:
    assert (in_words(symbol, "ko"), in_words(symbol, "en")) == (ko, en)


def test_a_figure_reads_with_its_unit_in_words() -> None:
    assert charts.quantity(20.7, in_words("count", "ko")) == "20.7건"
    assert charts.quantity(20.7, in_words("count", "en")) == "20.7"
    assert charts.quantity(96.9, in_words("day", "en")) == "96.9 days"
    assert charts.quantity(144, in_words("ea/h", "ko")) == "144개/시간"
    assert charts.quantity(14, in_words("일", "en")) == "14 days"


def test_a_kpi_change_says_its_direction_not_a_sign() -> None:
    # improvement_pct is signed by the KPI's good direction: a defect rate falling 79.1% is +79.1
    assert change(79.1, "ko") == "79.1% 개선"
    assert change(79.1, "en") == "79.1% better"
    assert change(-12.0, "ko") == "12% 악화"
    assert change(-12.0, "en") == "12% worse"
    assert change(0.0, "en") == "no change"
    assert change(None, "ko") == ""


def test_count_legends_bin_whole_numbers() -> None:
    assert legend(0, 10, whole=True) == [
        ("#e8f0fb", "0–1"),
        ("#c4d8f3", "2–3"),
        ("#8fb4e6", "4–5"),
        ("#2f6fc6", "6–7"),
        ("#0b3d91", "8–10"),
    ]
    # 2 and 3 cases: two colours, no "2–2.2"
    assert legend(2, 3, whole=True) == [("#e8f0fb", "2"), ("#0b3d91", "3")]
    assert legend(5, 5, whole=True) == [("#0b3d91", "5")]
    # a percentage keeps its ranges
    assert legend(0, 50, "%")[0] == ("#e8f0fb", "0–10%")


def test_names_inside_an_english_sentence_keep_acronyms() -> None:
    en = Labels("en")
    assert en.in_sentence("technique", "computer_vision_cnn") == "computer vision (CNN)"
    assert en.in_sentence("problem", "quality_inspection") == "quality inspection"
    assert Labels("ko").in_sentence("technique", "computer_vision_cnn") == "영상 인식(CNN)"


def test_kpi_roles_have_names() -> None:
    assert Labels("ko")("role", "execution_state") == "가동 상태"
    assert Labels("en")("role", "part_count") == "Parts made"


def test_bar_labels_are_never_cut() -> None:
    label = "■ Manufacturing big data & AI"
    svg = str(charts.bars([charts.Bar(label, 12.5, "13 deployments")], title="t", unit="%"))
    anchor = float(re.search(r'<text x="([\d.]+)" y="\d+" text-anchor="end"', svg).group(1))  # type: ignore[union-attr]
    # 29 characters at 13 px: a Latin letter is at least 6 px wide, the ■ a full 13
    assert anchor >= 28 * 6 + 13
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    value_x = float(re.findall(r'<text x="([\d.]+)" y="\d+" font-size="12"', svg)[-1])
    # "12.5% (13 deployments)": 22 characters at 12 px fit between the bar's end and the chart's edge
    assert width - value_x >= 22 * 6
    assert "min-width: " in svg and 'class="chart-box" tabindex="0"' in svg


def test_before_after_states_the_direction() -> None:
    labels = Labels("ko")
    svg = str(
        charts.before_after(
            [
                charts.Pair("불량률", 5.0, 1.0, "%", 80.0),
                charts.Pair("생산성", 100.0, 90.0, "개/시간", -10.0),
            ],
            title="KPI",
            before="도입 전",
            after="도입 후",
            change=labels.change,
        )
    )
    assert "80% 개선" in svg and "10% 악화" in svg and "+80" not in svg
    assert "100개/시간" in svg
