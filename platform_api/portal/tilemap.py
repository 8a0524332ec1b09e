"""A tile map of the 17 시·도: one square per region, placed roughly where it lies, coloured by a measure.

Each tile is a link to the same page filtered to that region (so the choice lives in the URL, the back
button undoes it and a keyboard reaches every tile), shows its short name and its figure as text, and
gives the full counts in its ``<title>`` tooltip. Colour only repeats what the text already says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from math import ceil, floor

from markupsafe import Markup, escape

from platform_api.portal.charts import number, quantity

# (column, row) of each region code on a 4 x 6 grid, north at the top.
LAYOUT: dict[str, tuple[int, int]] = {
    "11": (1, 0),
    "51": (2, 0),
    "28": (0, 1),
    "41": (1, 1),
    "43": (2, 1),
    "47": (3, 1),
    "44": (0, 2),
    "36": (1, 2),
    "30": (2, 2),
    "27": (3, 2),
    "52": (1, 3),
    "48": (2, 3),
    "31": (3, 3),
    "29": (0, 4),
    "46": (1, 4),
    "26": (3, 4),
    "50": (0, 5),
}
# Light to dark blues; the last two take white text (contrast above 4.5:1 on every step).
STEPS = ("#e8f0fb", "#c4d8f3", "#8fb4e6", "#2f6fc6", "#0b3d91")
NO_DATA = "#eef0f3"
TILE, GAP = 84, 6


def step(value: float | None, low: float, high: float) -> int | None:
    """Which colour step a value falls in (None without a value)."""
    if value is None:
        return None
    if high <= low:
        return len(STEPS) - 1 if value > 0 else 0
    return min(int((value - low) / (high - low) * len(STEPS)), len(STEPS) - 1)


def tile_map(
    values: Mapping[str, float | None],
    *,
    title: str,
    short_name: Callable[[str], str],
    tooltip: Callable[[str], str],
    href: Callable[[str], str],
    selected: str | None,
    unit: str = "",
) -> Markup:
    present = [v for v in values.values() if v is not None]
    low, high = (min(present), max(present)) if present else (0.0, 0.0)
    width, height = 4 * (TILE + GAP), 6 * (TILE + GAP)
    tiles = []
    for code, (col, row) in LAYOUT.items():
        value = values.get(code)
        level = step(value, low, high)
        fill = NO_DATA if level is None else STEPS[level]
        ink = "#ffffff" if level is not None and level >= 3 else "#1b2430"
        x, y = col * (TILE + GAP), row * (TILE + GAP)
        chosen = code == selected
        stroke = ' stroke="#d4351c" stroke-width="5"' if chosen else ' stroke="#ffffff" stroke-width="1"'
        figure = quantity(value, unit)
        current = ' aria-current="true"' if chosen else ""
        tiles.append(
            f'<a href="{escape(href(code))}" class="tile" aria-label="{escape(tooltip(code))}"{current} '
            f'data-region="{code}">'
            f"<title>{escape(tooltip(code))}</title>"
            f'<rect x="{x + 2}" y="{y + 2}" width="{TILE - 4}" height="{TILE - 4}" rx="6" '
            f'fill="{fill}"{stroke}/>'
            f'<text x="{x + TILE / 2}" y="{y + 36}" text-anchor="middle" font-size="16" font-weight="600" '
            f'fill="{ink}">{escape(short_name(code))}</text>'
            f'<text x="{x + TILE / 2}" y="{y + 60}" text-anchor="middle" font-size="15" fill="{ink}">'
            f"{escape(figure)}</text></a>"
        )
    return Markup(
        f'<svg class="tilemap" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}">'
        + "".join(tiles)
        + "</svg>"
    )


def legend(
    low: float | None, high: float | None, unit: str = "", *, whole: bool = False
) -> list[tuple[str, str]]:
    """(colour, range text) of each step, for the legend under the map. Counts (``whole``) are binned as
    the integers each colour takes ("3–4", a lone "2"), colours no count takes left out; other measures as
    the equal ranges of ``step``."""
    if low is None or high is None:
        return []
    if whole:
        taken: dict[int, list[int]] = {}
        for count in range(ceil(low), floor(high) + 1):
            level = step(count, low, high)
            if level is not None:
                taken.setdefault(level, []).append(count)
        return [
            (
                STEPS[level],
                f"{number(c[0])}{unit}" if len(c) == 1 else f"{number(c[0])}–{number(c[-1])}{unit}",
            )
            for level, c in sorted(taken.items())
        ]
    size = (high - low) / len(STEPS) if high > low else 0
    return [
        (colour, f"{number(low + i * size)}–{number(low + (i + 1) * size)}{unit}")
        for i, colour in enumerate(STEPS)
    ]
