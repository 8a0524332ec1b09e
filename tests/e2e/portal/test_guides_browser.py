"""The task guides in Chromium: the footer of every page links them, each guide opens with its
screenshots; and the screenshots themselves, taken here of the demo platform as each role sees it
(``docs/guides/img/``, what the guides show: rerun to refresh them)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from platform_api.portal.guides import GUIDES, IMAGES
from tests.e2e.portal.conftest import check_page, sign_in

# (user, page, screenshot, what to wait for before taking it)
SHOTS = (
    ("sme1", "/me/dashboard", "guide-sme-dashboard", "#view"),
    ("sme1", "/me/sme", "guide-sme-work", "main h1"),
    ("vendor1", "/me/vendor", "guide-vendor-home", "main h1"),
    ("vendor1", "/me/vendor/cases/new", "guide-vendor-case", "main form"),
    ("agency1", "/me/agency", "guide-agency-queue", "#n-queue"),
    ("evaluator1", "/me/evaluator", "guide-evaluator", "main h1"),
    ("admin1", "/me/operator", "guide-operator", "main h1"),
    ("admin1", "/me/operator/organisations", "guide-operator-organisations", "main form"),
)


def _charts_drawn(page: Page) -> None:
    """Every lazy part of the first factory fetched (drawn, or said empty)."""
    expect(page.locator(".dash .lazy[aria-busy=true]")).to_have_count(0, timeout=180_000)


@pytest.mark.slow  # 40 s, and the first of its group to set up the demo platform (83 s): started first
def test_every_role_page_is_pictured_for_its_guide(page: Page) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    signed_in_as = None
    for user, path, name, ready in SHOTS:
        if user != signed_in_as:
            page.context.clear_cookies()
            sign_in(page, user)
            signed_in_as = user
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()
        if path == "/me/dashboard":
            _charts_drawn(page)
            peers = page.locator(".dash > div").nth(2)
            peers.scroll_into_view_if_needed()
            page.locator(".dash").first.screenshot(path=str(IMAGES / "guide-sme-charts.png"))
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(IMAGES / f"{name}.png"))


def test_the_footer_links_the_guides_and_each_opens_with_its_pictures(page: Page) -> None:
    page.goto("/")
    page.click("#guides-link")
    page.wait_for_url(re.compile(r"/guides$"))
    check_page(page, "guides")
    links = page.locator("ul.guides a")
    expect(links).to_have_count(len(GUIDES))
    expect(links.first).to_have_text("중소기업 이용 안내")
    for name in GUIDES:
        page.goto(f"/guides/{name}")
        expect(page.locator("article.guide h1")).to_be_visible()
        images = page.locator("article.guide img")
        assert images.count() >= 1, name
        for n in range(images.count()):  # every screenshot arrived and decoded
            assert images.nth(n).evaluate("i => i.complete && i.naturalWidth > 0"), (name, n)
        check_page(page, f"guide-{name}")
