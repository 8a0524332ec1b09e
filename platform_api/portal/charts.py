"""Charts drawn on the server as inline SVG: no chart library, nothing to download, readable without JS.

Every chart carries its numbers as text next to the marks (never colour alone), a ``<title>`` and a
description for screen readers, and scales to its container through its ``viewBox``.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

_ids = itertools.count(1)
BAR = "#1f5fbf"
BAR_MUTED = "#8a99ad"
BAR_STRONG = "#0b2a66"
INK = "#1b2430"
GRID = "#d5dce6"


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def number(value: float | None, digits: int = 1) -> str:
    """A figure as people write it: thousands separated, trailing zeros dropped."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def quantity(value: float | None, unit: str | None) -> str:
    """A figure with its unit: "3.1%", "25°C", "29일" stay joined, "144 ea/h" takes a space."""
    text = number(value)
    if not unit or value is None:
        return text
    joined = unit == "%" or unit.startswith("°") or "가" <= unit[0] <= "힣"
    return text + unit if joined else f"{text} {unit}"


def label_width(labels: Sequence[str], font_size: float = 13) -> int:
    """The width a right-aligned label column needs so that no label is cut: a wide (Hangul, CJK) character
    takes about a font size, a Latin one about 0.6 of it (a little more than the average, never less)."""
    widest = 0.0
    for label in labels:
        wide = sum(1 for ch in label if unicodedata.east_asian_width(ch) in "WFA")
        widest = max(widest, wide * font_size + (len(label) - wide) * font_size * 0.62)
    return int(widest) + 12


def _svg(width: int, height: int, title: str, desc: str, body: str) -> Markup:
    """The chart in a box that scrolls sideways when the screen is narrower than the chart: the SVG never
    shrinks below its own width, so its smallest text (11 user units) is drawn at 11 px or more, on a
    phone too, and the page itself never gets wider than the screen. The box takes the keyboard focus
    so that it can be scrolled without a mouse."""
    tid, did = _id("t"), _id("d")
    return Markup(
        f'<div class="chart-box" tabindex="0" role="group" aria-labelledby="{tid}">'
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{tid} {did}" '
        f'preserveAspectRatio="xMinYMin meet" style="min-width: {width}px">'
        f'<title id="{tid}">{escape(title)}</title>'
        f'<desc id="{did}">{escape(desc)}</desc>{body}</svg></div>'
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    note: str = ""  # e.g. "n=12", printed after the value
    strong: bool = False  # the row the page is about (the chosen region): bold, marked with ▶


def _bar_text(row: Bar, unit: str) -> str:
    return quantity(row.value, unit) + (f" ({row.note})" if row.note else "")


def bars(rows: Sequence[Bar], *, title: str, unit: str = "", width: int = 480) -> Markup:
    """Horizontal bars with their value printed; negative values extend left of the zero line. The label
    column is as wide as the longest label (whole names, the ■ of a strategic field kept), the chart wider
    by as much."""
    label_w = max(160, label_width([("▶ " if r.strong else "") + r.label for r in rows]))
    value_w = max(110, label_width([_bar_text(r, unit) for r in rows], 12))
    width += label_w - 160 + value_w - 110
    row_h, pad = 24, 8
    values = [r.value for r in rows if r.value is not None]
    low, high = min([0.0, *values]), max([0.0, *values]) or 1.0
    plot_w = width - label_w - value_w
    scale = plot_w / ((high - low) or 1.0)
    zero_x = label_w + (0 - low) * scale
    height = pad * 2 + row_h * max(len(rows), 1)
    parts = [f'<line x1="{zero_x:.1f}" y1="{pad}" x2="{zero_x:.1f}" y2="{height - pad}" stroke="{GRID}"/>']
    described = []
    for i, row in enumerate(rows):
        y = pad + i * row_h
        weight = ' font-weight="700"' if row.strong else ""
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}"{weight}>'
            f"{escape(('▶ ' if row.strong else '') + row.label)}</text>"
        )
        text = _bar_text(row, unit)
        described.append(f"{row.label}: {text}")
        if row.value is None:
            parts.append(
                f'<text x="{zero_x + 4:.1f}" y="{y + 17}" font-size="12" fill="#5b6778">{text}</text>'
            )
            continue
        x0, x1 = sorted((zero_x, zero_x + row.value * scale))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 10}" '
            f'fill="{BAR_STRONG if row.strong else BAR}" rx="2"/>'
        )
        parts.append(f'<text x="{x1 + 5:.1f}" y="{y + 17}" font-size="12" fill="{INK}">{escape(text)}</text>')
    return _svg(width, height, title, "; ".join(described), "".join(parts))


@dataclass(frozen=True)
class Pair:
    label: str
    before: float
    after: float
    unit: str
    improvement_pct: float | None


def before_after(
    rows: Sequence[Pair],
    *,
    title: str,
    before: str,
    after: str,
    change: Callable[[float], str],
    width: int = 560,
) -> Markup:
    """Each row: a muted hatched bar before, a solid bar after, both with values; the change in words
    (``change``: "79.1% 개선"), its direction never left to a sign (a falling defect rate is a gain)."""
    label_w = max(150, label_width([r.label for r in rows]))
    width += label_w - 150
    row_h, pad, legend_h = 46, 8, 26
    plot_w = width - label_w - 150
    height = legend_h + pad * 2 + row_h * max(len(rows), 1)
    pattern = _id("hatch")
    parts = [
        f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e4e9f0"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BAR_MUTED}" stroke-width="3"/></pattern></defs>',
        f'<rect x="{label_w}" y="4" width="14" height="12" fill="url(#{pattern})" stroke="{BAR_MUTED}"/>'
        f'<text x="{label_w + 20}" y="14" font-size="12" fill="{INK}">{escape(before)}</text>'
        f'<rect x="{label_w + 110}" y="4" width="14" height="12" fill="{BAR}"/>'
        f'<text x="{label_w + 130}" y="14" font-size="12" fill="{INK}">{escape(after)}</text>',
    ]
    described = []
    for i, row in enumerate(rows):
        y = legend_h + pad + i * row_h
        top = max(row.before, row.after) or 1.0
        b_w, a_w = row.before / top * plot_w, row.after / top * plot_w
        gain = "" if row.improvement_pct is None else change(row.improvement_pct)
        worse = row.improvement_pct is not None and row.improvement_pct < 0
        described.append(
            f"{row.label}: {before} {quantity(row.before, row.unit)}, {after} {quantity(row.after, row.unit)}"
            + (f", {gain}" if gain else "")
        )
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(row.label)}</text>"
            f'<text x="{label_w - 6}" y="{y + 33}" text-anchor="end" font-size="12" '
            f'fill="{"#a4000f" if worse else "#2d5d1f"}">'
            f"{escape(gain)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{max(b_w, 1):.1f}" height="16" '
            f'fill="url(#{pattern})" stroke="{BAR_MUTED}"/>'
            f'<text x="{label_w + b_w + 5:.1f}" y="{y + 16}" font-size="12" fill="{INK}">'
            f"{escape(quantity(row.before, row.unit))}</text>"
            f'<rect x="{label_w}" y="{y + 22}" width="{max(a_w, 1):.1f}" height="16" fill="{BAR}"/>'
            f'<text x="{label_w + a_w + 5:.1f}" y="{y + 35}" font-size="12" fill="{INK}">'
            f"{escape(quantity(row.after, row.unit))}</text>"
        )
    return _svg(width, height, title, "; ".join(described), "".join(parts))


@dataclass(frozen=True)
class Span:
    label: str
    planned: tuple[date, date]
    actual: tuple[date, date] | None


def timeline(
    spans: Sequence[Span],
    *,
    title: str,
    target_months: int,
    planned: str,
    actual: str,
    target: str,
    width: int = 620,
) -> Markup:
    """Stages as a Gantt chart: outlined planned bars, solid actual bars, and the target as a dashed line.

    ``target`` labels the dashed line drawn ``target_months`` after the first planned start."""
    if not spans:
        return Markup("")
    label_w, row_h, pad, legend_h = 150, 30, 6, 26
    start = min(s.planned[0] for s in spans)
    ends = [s.planned[1] for s in spans] + [s.actual[1] for s in spans if s.actual]
    target_day = float((start + relativedelta(months=target_months) - start).days)
    total_days = max([(max(ends) - start).days, target_day, 1.0])
    scale = (width - label_w - 20) / total_days
    height = legend_h + pad * 2 + row_h * len(spans) + 18

    def x(day: date) -> float:
        return label_w + (day - start).days * scale

    target_x = label_w + target_day * scale
    parts = [
        f'<rect x="{label_w}" y="5" width="14" height="10" fill="#fff" stroke="{BAR}" stroke-width="2"/>'
        f'<text x="{label_w + 20}" y="14" font-size="12" fill="{INK}">{escape(planned)}</text>'
        f'<rect x="{label_w + 80}" y="5" width="14" height="10" fill="{BAR}"/>'
        f'<text x="{label_w + 100}" y="14" font-size="12" fill="{INK}">{escape(actual)}</text>'
        f'<line x1="{label_w + 160}" y1="10" x2="{label_w + 180}" y2="10" stroke="#a4000f" '
        f'stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{label_w + 186}" y="14" font-size="12" fill="{INK}">'
        f"{escape(target)}</text>"
    ]
    described = []
    for i, span in enumerate(spans):
        y = legend_h + pad + i * row_h
        p0, p1 = x(span.planned[0]), x(span.planned[1])
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{escape(span.label)}</text>"
            f'<rect x="{p0:.1f}" y="{y + 4}" width="{max(p1 - p0, 2):.1f}" height="10" fill="#fff" '
            f'stroke="{BAR}" stroke-width="2"/>'
        )
        text = f"{span.label}: {planned} {span.planned[0]}–{span.planned[1]}"
        if span.actual:
            a0, a1 = x(span.actual[0]), x(span.actual[1])
            parts.append(
                f'<rect x="{a0:.1f}" y="{y + 16}" width="{max(a1 - a0, 2):.1f}" height="10" fill="{BAR}"/>'
            )
            text += f", {actual} {span.actual[0]}–{span.actual[1]}"
        described.append(text)
    bottom = legend_h + pad + row_h * len(spans)
    parts.append(
        f'<line x1="{target_x:.1f}" y1="{legend_h}" x2="{target_x:.1f}" y2="{bottom}" stroke="#a4000f" '
        f'stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{label_w}" y="{bottom + 14}" font-size="11" fill="#5b6778">{start}</text>'
    )
    return _svg(width, height, title, "; ".join(described), "".join(parts))


@dataclass(frozen=True)
class Line:
    name: str
    points: Sequence[tuple[datetime, float]]


_DASHES = ("", "6 4", "2 3")
_LINE_COLOURS = (BAR, "#b5400a", "#2d5d1f")


def lines(
    series: Sequence[Line], *, title: str, unit: str = "", width: int = 420, height: int = 240
) -> Markup:
    """Time series as lines told apart by dash pattern and colour, with a legend and min/max labels."""
    points = [p for s in series for p in s.points]
    if not points:
        return Markup("")
    left, right, top, bottom = 84, 12, 14 + 16 * len(series), 26
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    v0, v1 = min(p[1] for p in points), max(p[1] for p in points)
    span_t = (t1 - t0).total_seconds() or 1.0
    span_v = (v1 - v0) or 1.0

    def xy(t: datetime, v: float) -> str:
        x = left + (t - t0).total_seconds() / span_t * (width - left - right)
        y = top + (1 - (v - v0) / span_v) * (height - top - bottom)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{GRID}"/>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        f'stroke="{GRID}"/>'
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="11" fill="{INK}">'
        f"{escape(quantity(v1, unit))}</text>"
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11" fill="{INK}">'
        f"{escape(quantity(v0, unit))}</text>"
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="{INK}">{t0:%m-%d %H:%M}</text>'
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11" fill="{INK}">'
        f"{t1:%m-%d %H:%M}</text>"
    ]
    described = []
    for i, s in enumerate(series):
        colour, dash = _LINE_COLOURS[i % 3], _DASHES[i % 3]
        path = " ".join(xy(t, v) for t, v in sorted(s.points))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'
            f'<line x1="8" y1="{10 + i * 16}" x2="32" y2="{10 + i * 16}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="38" y="{14 + i * 16}" font-size="12" fill="{INK}">{escape(s.name)}</text>'
        )
        values = [v for _, v in s.points]
        described.append(
            f"{s.name}: {len(values)} points, {number(min(values))}–{quantity(max(values), unit)}"
        )
    return _svg(width, height, title, "; ".join(described), "".join(parts))
