"""The regional AI centre dashboard in Chromium on the demo platform: agency1, staff of the Gyeongnam and
Ulsan centres (its ``regions`` claim: 48, 26, 31), follows the link of its workspace home, chooses the
month of the demo telemetry (November 2025) and sees the region's figures: readings uploaded by month,
the benchmarks the disclosure rule withholds (one or two demo factories a region), the other centre one
click away. axe-core and screenshots (``check_page``); the desktop screenshot is kept for docs/portal.md."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.portal.conftest import ARTIFACTS, check_page, sign_in

DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"
# The lake answers a month of one-minute readings of every demo factory: slower than a page of records.
LAKE_MS = 120_000


def test_centre_staff_open_their_regions_dashboard(page: Page) -> None:
    page.set_default_timeout(LAKE_MS)
    sign_in(page, "agency1")
    expect(page.locator("#n-centres")).to_have_text("2")
    page.click("#to-region")
    page.wait_for_url(re.compile(r"/me/region$"))
    expect(page.locator("h1")).to_have_text("지역 특화 제조AI센터 대시보드: 경남 제조AI센터")
    expect(page.locator("nav a[href='/me/region']")).to_have_attribute("aria-current", "page")

    page.fill("#from", "2025-11-01")
    page.fill("#to", "2025-11-30")
    with page.expect_navigation():
        page.click("#period button[type=submit]")
    expect(page.locator("#period-shown")).to_contain_text("2025-11-01부터 2025-11-30까지")
    november = page.locator("#uploads tbody tr").first
    expect(november.locator("th")).to_have_text("2025-11")
    readings = int(november.locator("td").first.inner_text().replace(",", ""))
    assert readings > 0, "the demo factory of Gyeongnam sends readings all month"
    expect(page.locator("#n-readings")).to_have_text(f"{readings:,}")
    expect(page.locator("svg.chart title")).to_contain_text("월별 업로드 측정값")
    withheld = page.locator("#benchmarks tr.withheld").first
    expect(withheld).to_contain_text("비공개: 자료가 없거나, 공장이 3곳 미만")
    expect(page.locator("#disclosure")).to_contain_text("공장이 3곳 이상")
    check_page(page, "workspace-region")
    shutil.copyfile(ARTIFACTS / "workspace-region-desktop.png", DOCS_IMG / "portal-workspace-region.png")

    with page.expect_navigation():
        page.click("#centres >> text=울산 제조AI센터")
    expect(page.locator("h1")).to_have_text("지역 특화 제조AI센터 대시보드: 울산 제조AI센터")
    expect(page.locator("#from")).to_have_value("2025-11-01")  # the period chosen is kept
