"""Every public page in Korean and English at a laptop's 1366 px and a phone's 390 px (issue 29): no page
wider than the window, chart text readable (at least 11 px as drawn), no raw code or unit symbol in the
visible text, and no Korean on an English page outside a name the registry holds only in Korean.

Screenshots land in ``tests/e2e/artifacts/portal/widths/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.e2e.portal.conftest import ARTIFACTS

WIDTHS: dict[str, ViewportSize] = {
    "laptop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
PAGES = (
    "/",
    "/?measure=kpi&kpi=defect_rate",
    "/cases",
    "/cases?q=welding",
    "/deployments",
    "/companies",
    "/companies?q=%EC%9A%A9%EC%A0%91",
    "/standards",
)
# Detail pages are reached from the first card of their list.
DETAILS = ("/cases", "/deployments", "/companies?kind=vendor", "/standards")

# What must never be read on a page: snake_case or SCREAMING_CASE codes, unit symbols after a figure,
# a model id where its name belongs.
RAW = re.compile(
    r"\b[a-z]+_[a-z_]+\b|\b[A-Z]{2,}_[A-Z_]+\b|\d\s?(?:count|ea/h|ea|day)\b|\bspot-welder\b|\(cnn\)"
)
# Where Korean may stay on an English page: the brand's other-language line, the language switch, and
# names as registered (companies, people, factories, places of an address); free text a person wrote in
# Korean is marked lang="ko" (a case's data used). Free text (``.free``) may name codes as its author did.
KOREAN_ALLOWED = "[lang=ko], .brand, #lang-switch, article.card h3, .facet, .meta, .crumbs, h1, dd, td, th"

VISIBLE_TEXT = """(allowed) => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest('script, style, code, title, desc')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.closest('.sr, .visually-hidden')) continue;
    out.push({text: node.textContent.trim(), allowed: allowed ? !!el.closest(allowed) : false,
              free: !!el.closest('.free')});
  }
  return out;
}"""

# The smallest chart text as drawn: an SVG's font-size scaled by its rendered width over its viewBox's.
SMALLEST_CHART_TEXT = """() => {
  let smallest = Infinity;
  for (const svg of document.querySelectorAll('main svg.chart')) {
    const box = svg.viewBox.baseVal, drawn = svg.getBoundingClientRect().width;
    if (!box || !box.width || !drawn) continue;
    for (const t of svg.querySelectorAll('text')) {
      const size = parseFloat(t.getAttribute('font-size') || '16') * drawn / box.width;
      smallest = Math.min(smallest, size);
    }
  }
  return smallest;
}"""


@pytest.fixture
def wide_context(browser: Browser, portal_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=portal_url, viewport=WIDTHS["laptop"], locale="ko-KR")
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


def _first_detail(page: Page, listing: str, lang: str) -> str:
    page.goto(f"{listing}{'&' if '?' in listing else '?'}lang={lang}")
    href = page.locator("article.card h3 a").first.get_attribute("href")
    assert href, f"{listing}: no card to open"
    return href


def _check(page: Page, path: str, lang: str) -> list[str]:
    problems = []
    slug = re.sub(r"[^a-z0-9]+", "-", f"{path}-{lang}".lower()).strip("-") or "home"
    (ARTIFACTS / "widths").mkdir(parents=True, exist_ok=True)
    for width_name, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > size["width"]:
            problems.append(f"{path} {lang} {width_name}: {wide}px wide in a {size['width']}px window")
        smallest = page.evaluate(SMALLEST_CHART_TEXT)
        if smallest < 10.95:
            problems.append(f"{path} {lang} {width_name}: chart text drawn at {smallest:.1f}px")
        page.screenshot(
            path=str(ARTIFACTS / "widths" / f"{slug}-{width_name}.png"), full_page=width_name == "phone"
        )
    texts = page.evaluate(VISIBLE_TEXT, KOREAN_ALLOWED if lang == "en" else "")
    typed = unquote(path.partition("q=")[2].partition("&")[0])  # a query is shown as typed
    for t in texts:
        if typed and typed in t["text"]:
            continue
        if not t["free"] and (found := RAW.search(t["text"])):
            problems.append(f"{path} {lang}: raw code {found.group(0)!r} in {t['text'][:80]!r}")
        if lang == "en" and not t["allowed"] and re.search(r"[가-힣]", t["text"]):
            problems.append(f"{path} en: Korean text {t['text'][:80]!r}")
    return problems


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_public_pages_fit_phone_and_laptop_and_speak_the_language(
    wide_context: BrowserContext, lang: str
) -> None:
    page = wide_context.new_page()
    paths = list(PAGES) + [_first_detail(page, listing, lang) for listing in DETAILS]
    problems = [problem for path in paths for problem in _check(page, path, lang)]
    assert problems == [], "\n".join(problems)
