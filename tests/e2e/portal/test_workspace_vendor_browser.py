"""The supplier's main task in Chromium on the demo platform, done as a person does it: vendor1 signs in,
files a deployment record with the registry pickers and a KPI, attaches an evidence file, enters the stage
dates, submits it and sees it waiting for the SME's confirmation. axe-core and screenshots on every page; the
desktop screenshots are kept for docs/portal.md. Each run files one more record."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.portal.conftest import check_page, sign_in, submit_as_planned
from tests.e2e.portal.test_workspaces_browser import _keep_for_docs

PDF = b"%PDF-1.4\n% evidence of the completion inspection\n%%EOF\n"


def test_the_vendor_files_a_record_attaches_evidence_and_submits(page: Page) -> None:
    sign_in(page, "vendor1")
    page.wait_for_url(re.compile(r"/me/vendor$"))
    expect(page.locator("#role")).to_have_text("역할: 공급기업")
    drafts_before = int(page.locator("#n-draft").inner_text())
    check_page(page, "workspace-vendor")
    _keep_for_docs("workspace-vendor")

    page.click("#new-record")
    page.wait_for_url(re.compile(r"/me/vendor/records/new$"))
    # A factory the picker offers, and the SME it belongs to: both chosen from lists, never typed.
    factory = page.locator("#factory_id option[data-sme]").first
    sme, factory_id = factory.get_attribute("data-sme"), factory.get_attribute("value")
    assert sme and factory_id
    page.fill("#title_ko", "브라우저에서 작성한 설비 모니터링 구축")
    page.fill("#title_en", "Monitoring filed in the browser")
    page.select_option("#sme_company_id", sme)
    page.select_option("#factory_id", factory_id)
    page.select_option("#subfield_code", "INFO-MES")
    page.fill("#solution_ko", "설비 모니터링 MES")
    page.select_option("#level_before", "기초")
    page.select_option("#level_after", "중간1")
    page.select_option("#programme_code", "BASIC")
    page.fill("#contract_number", "2025-SF-0901")
    page.fill("#signed_on", "2025-01-02")
    page.fill("#support_amount_krw", "50000000")
    page.fill("#company_share_krw", "50000000")
    # A KPI row: the figures typed, the unit picked in words.
    page.fill("[id='kpi.productivity.baseline']", "100")
    page.fill("[id='kpi.productivity.after']", "125")
    page.select_option("[id='kpi.productivity.unit']", label="개/시간")
    check_page(page, "workspace-vendor-new-record")
    _keep_for_docs("workspace-vendor-new-record")
    page.click("#save")
    page.wait_for_url(re.compile(r"/me/vendor/records/\w+\?done=created$"))
    expect(page.locator("#record-state")).to_have_text("작성 중")
    expect(page.locator("#not-public")).to_contain_text("비공개")
    expect(page.locator("#kpi-h")).to_be_visible()
    expect(page.locator("section[aria-labelledby='kpi-h']")).to_contain_text("생산성")

    page.set_input_files(
        "#file", {"name": "완료검수확인서.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.select_option("#stage_code", "INSPECT")
    page.click("#upload")
    page.wait_for_url(re.compile(r"\?done=uploaded$"))
    expect(page.locator("#documents")).to_contain_text("완료검수확인서.pdf")

    # Every stage done as planned, then submitted.
    submit_as_planned(page)
    expect(page.locator("#history")).to_contain_text("제출")
    check_page(page, "workspace-vendor-record")
    _keep_for_docs("workspace-vendor-record")

    page.goto("/me/vendor")
    assert int(page.locator("#n-draft").inner_text()) == drafts_before
    page.click("#n-awaiting_sme")
    page.wait_for_url(re.compile(r"/me/vendor/records\?state=awaiting_sme$"))
    expect(page.locator("#records")).to_contain_text("브라우저에서 작성한 설비 모니터링 구축")
    check_page(page, "workspace-vendor-records")
    _keep_for_docs("workspace-vendor-records")
