"""A supplier's record with an SME it never worked with, in Chromium on the demo platform, done as people
do it: vendor1 (no record with 데모 중소기업 2 in the demo) drafts it leaving the factory "목록에 없음" (the
SME's factories are its own), completes the stages with evidence and submits; sme2 signs in and confirms
it choosing its factory; the record then names that factory. axe-core and screenshots on the two key pages
(the draft form as filed, the SME's confirmation). Each run files one more record (a rerun finds vendor1
has worked with the SME since: the flow is the same)."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, expect

from tests.e2e.portal.conftest import DESKTOP, check_page, sign_in, submit_as_planned

PDF = b"%PDF-1.4\n% evidence of the completion inspection\n%%EOF\n"
SME, FACTORY, FACTORY_NAME = "org-sme-2", "factory-sme-2-a", "한빛식품 제1공장"


def _draft(page: Page, title: str) -> str:
    """vendor1's draft of ``title`` for the SME, factory left to it; the record's page path."""
    sign_in(page, "vendor1")
    page.wait_for_url(re.compile(r"/me/vendor$"))
    page.click("#new-record")
    page.wait_for_url(re.compile(r"/me/vendor/records/new$"))
    page.fill("#title_ko", title)
    page.select_option("#sme_company_id", SME)
    page.select_option("#factory_id", label="목록에 없음: 중소기업이 확인할 때 지정")
    page.select_option("#subfield_code", "INFO-MES")
    page.fill("#solution_ko", "원료 입고 관리 MES")
    page.select_option("#level_before", "기초")
    page.select_option("#level_after", "중간1")
    page.select_option("#programme_code", "BASIC")
    page.fill("#contract_number", "2025-SF-0902")
    page.fill("#signed_on", "2025-01-02")
    page.fill("#support_amount_krw", "40000000")
    page.fill("#company_share_krw", "40000000")
    check_page(page, "workspace-vendor-new-sme-record")
    page.click("#save")
    page.wait_for_url(re.compile(r"/me/vendor/records/\w+\?done=created$"))
    expect(page.locator("#factory-pending")).to_contain_text("중소기업이 확인할 때 공장을 지정합니다")
    return urlparse(page.url).path


def _submit(page: Page) -> None:
    """The programme's required evidence and every stage done as planned, then submitted."""
    page.set_input_files(
        "#file", {"name": "완료검수확인서.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.select_option("#stage_code", "INSPECT")
    page.click("#upload")
    page.wait_for_url(re.compile(r"\?done=uploaded$"))
    submit_as_planned(page)


def test_a_record_with_a_new_sme_names_the_factory_the_sme_confirms(
    page: Page, browser: Browser, portal_url: str
) -> None:
    title = f"처음 함께하는 기업의 입고 관리 MES {time.strftime('%H%M%S')}"
    record_path = _draft(page, title)
    record_id = record_path.rsplit("/", 1)[1]
    _submit(page)

    sme = browser.new_context(base_url=portal_url, viewport=DESKTOP, locale="ko-KR")
    sme.set_default_timeout(15_000)
    try:
        sme_page = sme.new_page()
        sign_in(sme_page, "sme2")
        sme_page.goto("/me/sme")
        expect(sme_page.locator("#role")).to_have_text("역할: 중소기업")
        card = sme_page.locator(f"article[aria-labelledby='r-{record_id}']")
        expect(card).to_contain_text(title)
        # the SME's own factories, by name: the one this project ran in
        sme_page.select_option(f"#factory_id-{record_id}", FACTORY)
        check_page(sme_page, "workspace-sme-confirm-factory")
        card.locator("button[value=confirm]").click()
        sme_page.wait_for_url(re.compile(r"/me/sme\?done=confirm$"))
        expect(sme_page.locator(f"article[aria-labelledby='r-{record_id}']")).to_have_count(0)
    finally:
        sme.close()

    page.goto(record_path)
    expect(page.locator("#record-state")).to_have_text("확인됨 (검증 대기)")
    expect(page.locator("dd", has_text=FACTORY_NAME)).to_have_count(1)
    expect(page.locator("#factory-pending")).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("중소기업이 공장 지정")
