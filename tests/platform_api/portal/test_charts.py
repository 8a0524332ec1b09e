"""Server-drawn SVG charts carry their figures as text, a title and a description."""

from __future__ import annotations

from datetime import date, datetime

from platform_api.portal import charts
from platform_api.portal.tilemap import LAYOUT, step, tile_map
from services.kit.reference import REGIONS


def test_quantities_are_written_as_people_write_them() -> None:
    assert charts.quantity(3.10, "%") == "3.1%"
    assert charts.quantity(1200, "ea/h") == "1,200 ea/h"
    assert charts.quantity(25, "°C") == "25°C"
    assert charts.quantity(29.4, "일") == "29.4일"
    assert charts.quantity(None, "%") == "–"


def test_bars_print_values_and_describe_themselves() -> None:
    svg = charts.bars(
        [charts.Bar("경남", 23.5, "n=10", strong=True), charts.Bar("서울", -4.0), charts.Bar("제주", None)],
        title="KPI",
        unit="%",
    )
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "23.5% (n=10)" in svg and "-4%" in svg and "▶ 경남" in svg and "–" in svg


def test_timeline_and_lines() -> None:
    spans = [charts.Span("구축", (date(2025, 1, 1), date(2025, 3, 1)), (date(2025, 1, 5), date(2025, 4, 1)))]
    svg = charts.timeline(
        spans, title="단계", target_months=14, planned="계획", actual="실제", target="목표 14개월"
    )
    assert "구축: 계획 2025-01-01–2025-03-01, 실제 2025-01-05–2025-04-01" in svg and "목표 14개월" in svg
    # 14 calendar months after 2025-01-01 is 2026-03-01, day 424 of a chart 546 days (450 px) wide: x = 499.5.
    late = [charts.Span("구축", (date(2025, 1, 1), date(2025, 3, 1)), (date(2025, 1, 5), date(2026, 7, 1)))]
    svg = charts.timeline(late, title="단계", target_months=14, planned="계획", actual="실제", target="목표")
    assert 'x1="499.5"' in svg
    assert charts.timeline([], title="x", target_months=14, planned="", actual="", target="") == ""
    line = charts.lines(
        [charts.Line("온도", [(datetime(2025, 1, 1), 20.0), (datetime(2025, 1, 2), 25.0)])],
        title="온도",
        unit="°C",
    )
    assert "온도: 2 points, 20–25°C" in line and "polyline" in line


def test_tile_map_has_every_region_once_with_its_figure() -> None:
    assert sorted(LAYOUT) == sorted(r.code for r in REGIONS)
    assert len(set(LAYOUT.values())) == 17, "no two regions share a tile"
    svg = tile_map(
        {"11": 5.0, "48": 1.0},
        title="map",
        short_name=lambda c: c,
        tooltip=lambda c: f"tip {c}",
        href=lambda c: f"/?region={c}",
        selected="48",
    )
    assert svg.count("<a ") == 17 and 'aria-current="true" data-region="48"' in svg
    assert step(None, 0, 1) is None and step(5.0, 1.0, 5.0) == 4 and step(1.0, 1.0, 5.0) == 0
