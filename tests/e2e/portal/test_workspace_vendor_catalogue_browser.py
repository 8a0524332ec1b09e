"""The supplier's catalogue pages in Chromium on the demo platform, done as a person does them: vendor1
writes a case, publishes, edits and unpublishes it, then deletes it after the confirmation; imports a real
MTConnect agent document, reads the mapping report and proposes the draft; files an application for
specialist designation and sees it received. axe-core and screenshots on every page (``check_page``);
the desktop screenshots are kept for docs/portal.md.

The one thing prepared with tokens, as the operator would: an application of vendor1 still open from an
earlier test (the evaluator's) is brought to the committee's decision first, since a company files one
application at a time.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.portal.conftest import check_page, sign_in
from tests.e2e.portal.test_workspaces_browser import APPLICATION, _keep_for_docs
from tests.e2e.test_make_run import _token
from tests.interop import SAMPLES

COMPANIES = "/api/v1/companies"
OPEN = ("submitted", "returned", "in_review", "evaluated")
JUDGED = ("technology_judgement", "organisation_judgement", "finance_judgement")


def _decide_open_applications(base: str) -> None:
    """Bring vendor1's open application, if any, to the committee's decision (rejected, with a reason)."""
    admin, vendor = _token(base, "admin1"), _token(base, "vendor1")
    applications = f"{base}{COMPANIES}/org-vendor-1/designations"
    for application in httpx.get(applications, headers=admin, timeout=60).json()["items"]:
        if application["status"] not in OPEN:
            continue
        url = f"{applications}/{application['id']}"
        status = application["status"]
        if status == "submitted":  # an application lacking evidence is returned, then completed
            complete = httpx.post(f"{url}/completeness", json={"complete": True}, headers=admin, timeout=120)
            if complete.status_code == 409:
                note = {"complete": False, "note": "증빙 보완"}
                returned = httpx.post(f"{url}/completeness", json=note, headers=admin, timeout=120)
                assert returned.status_code == 200, returned.text
                status = "returned"
            else:
                assert complete.status_code == 200, complete.text
        if status == "returned":
            again = httpx.post(f"{url}/resubmit", json=APPLICATION, headers=vendor, timeout=120)
            assert again.status_code == 200, again.text
            complete = httpx.post(f"{url}/completeness", json={"complete": True}, headers=admin, timeout=120)
            assert complete.status_code == 200, complete.text
        for name in ("evaluator1", "evaluator2"):
            judge = _token(base, name)
            httpx.put(f"{base}{COMPANIES}/evaluators/me", json={"name": name}, headers=judge, timeout=60)
            subject = f"dev-user-{name}"
            httpx.post(f"{url}/assignments", json={"evaluator_id": subject}, headers=admin, timeout=120)
            scores: dict[str, Any] = {
                "judgements": {code: {"score": 50, "reason": "시험 준비용 평가입니다"} for code in JUDGED}
            }
            httpx.put(f"{url}/evaluation", json=scores, headers=judge, timeout=120)
        decided = httpx.post(
            f"{url}/decision",
            json={"decision": "rejected", "reason": "시험 준비: 이전 신청 종결"},
            headers=admin,
        )
        assert decided.status_code == 200, decided.text


def test_the_supplier_edits_unpublishes_and_deletes_a_case(page: Page) -> None:
    sign_in(page, "vendor1")
    page.goto("/me/vendor/cases")
    check_page(page, "workspace-vendor-cases")
    page.click("#new-case")
    page.wait_for_url(re.compile(r"/me/vendor/cases/new$"))
    title = f"금형 마모 예측 {int(time.time())}"
    page.fill('[id="title.ko"]', title)
    page.fill('[id="title.en"]', "Die wear prediction")
    page.fill('[id="summary.ko"]', "램 하중으로 금형 교체 시점을 예측합니다")
    page.fill('[id="summary.en"]', "Ram force predicts when to change the die")
    page.select_option("#problem_type", "predictive_maintenance")
    page.select_option("#region_code", "48")
    page.select_option("#industry_code", "C29")
    page.fill('[id="effects[0].metric.ko"]', "금형 파손")
    page.fill('[id="effects[0].metric.en"]', "Die breakage")
    page.fill('[id="effects[0].unit"]', "건")
    page.fill('[id="effects[0].before"]', "4")
    page.fill('[id="effects[0].after"]', "1")
    page.locator("#models option").first.click()  # links a published equipment model
    page.click("#save-case")  # without the technique
    expect(page.locator("#form-errors")).to_contain_text("AI 기법")
    expect(page.locator('[id="title.ko"]')).to_have_value(title)
    page.select_option("#technique", "gradient_boosting")
    page.click("#save-case")
    page.wait_for_url(re.compile(r"/me/vendor/cases\?done=created"))
    expect(page.locator("#done")).to_contain_text(f"초안으로 저장했습니다: {title}")
    row = page.locator("#cases tbody tr", has_text=title)
    row.locator("button", has_text="공개하기").click()
    page.wait_for_url(re.compile(r"done=published"))

    row = page.locator("#cases tbody tr", has_text=title)
    expect(row.locator(".badge")).to_have_text("공개")
    row.locator("a", has_text="수정").click()
    page.wait_for_url(re.compile(r"/edit$"))
    expect(page.locator('[id="title.ko"]')).to_have_value(title)
    expect(page.locator("#case-status")).to_have_text("공개")
    check_page(page, "workspace-vendor-case-edit")
    _keep_for_docs("workspace-vendor-case-edit")
    page.fill('[id="effects[0].after"]', "0.5")
    page.click("#save-case")
    page.wait_for_url(re.compile(r"done=saved"))
    expect(page.locator("#done")).to_contain_text(f"변경 내용을 저장했습니다: {title}")

    page.locator("#cases tbody tr", has_text=title).locator("button", has_text="공개 취소").click()
    page.wait_for_url(re.compile(r"done=unpublished"))
    expect(page.locator("#cases tbody tr", has_text=title).locator(".badge")).to_have_text("초안 (비공개)")
    check_page(page, "workspace-vendor-cases-after")
    _keep_for_docs("workspace-vendor-cases-after")

    page.locator("#cases tbody tr", has_text=title).locator("a", has_text="삭제").click()
    expect(page.locator("#delete-warning")).to_have_text("이 초안을 영구히 삭제합니다.")
    check_page(page, "workspace-vendor-case-delete")
    page.click("#confirm-delete")
    page.wait_for_url(re.compile(r"done=deleted"))
    expect(page.locator("#cases tbody tr", has_text=title)).to_have_count(0)


def test_the_supplier_imports_a_real_mtconnect_document_and_proposes_it(page: Page) -> None:
    sign_in(page, "vendor1")
    page.goto("/me/vendor/standards")
    check_page(page, "workspace-vendor-standards")
    model_id = f"e2e-cmp-{int(time.time())}"
    page.select_option("#format", "mtconnect")
    page.fill("#model_id", model_id)
    page.click("#import-submit")  # without the file
    expect(page.locator("#form-errors")).to_contain_text("문서 파일")
    expect(page.locator("#model_id")).to_have_value(model_id)
    page.set_input_files("#document", str(SAMPLES / "mtconnect" / "128.32.164.245.xml"))
    page.fill("#name_ko", "CMP 장비 (브라우저 시험)")
    page.click("#import-submit")
    page.wait_for_url(re.compile(rf"/me/vendor/standards/{model_id}/0.1.0\?done=imported"))
    expect(page.locator("#version-status")).to_have_text("초안")
    assert int(page.locator("#n-mapped").inner_text()) > 0
    assert int(page.locator("#n-dropped").inner_text()) > 0
    expect(page.locator("#dropped tbody tr").first).not_to_contain_text("없음")
    check_page(page, "workspace-vendor-standard-report")
    _keep_for_docs("workspace-vendor-standard-report")
    page.fill("#comment", "MTConnect 에이전트 probe에서 가져왔습니다")
    page.click("#propose-submit")
    page.wait_for_url(re.compile(r"/me/vendor/standards\?done=proposed"))
    row = page.locator("#my-standards tbody tr", has_text=model_id)
    expect(row.locator(".badge")).to_have_text("제안됨 (검토 대기)")
    expect(row).to_contain_text("MTConnect 에이전트 probe에서 가져왔습니다")
    _keep_for_docs("workspace-vendor-standards")


def test_the_supplier_applies_for_designation(page: Page, portal_url: str) -> None:
    _decide_open_applications(portal_url)
    sign_in(page, "vendor1")
    page.goto("/me/vendor/designation")
    check_page(page, "workspace-vendor-designation")
    page.fill("[id='declared.patents']", "3")
    page.click("#apply-submit")  # no field of expertise chosen
    expect(page.locator("#form-errors")).to_contain_text("전문 분야")
    expect(page.locator("[id='declared.patents']")).to_have_value("3")
    check_page(page, "workspace-vendor-designation-errors")
    page.check("#field-INFO-MES")
    page.check("#field-INTL-AI")
    for code, value in (("certifications", "2"), ("technical_staff", "24"), ("revenue", "6000000000")):
        page.fill(f"[id='declared.{code}']", value)
    evidence = (
        ("patents", "특허 제10-2345678호 등록원부"),
        ("certifications", "GS인증서 1등급"),
        ("technical_staff", "4대보험 가입자 명부 (2026.10)"),
        ("revenue", "2025년 재무제표 (감사보고서)"),
    )
    for n, (indicator, title) in enumerate(evidence):
        page.select_option(f"[id='evidence[{n}].indicator']", indicator)
        page.fill(f"[id='evidence[{n}].title']", title)
    page.click("#apply-submit")
    page.wait_for_url(re.compile(r"/me/vendor/designation\?done=applied"))
    expect(page.locator("#done")).to_have_text("신청서를 제출했습니다. 진행 상황은 아래에 표시됩니다.")
    expect(page.locator("article.card").first.locator(".badge")).to_have_text("접수")
    expect(page.locator("#apply-closed")).to_be_visible()
    check_page(page, "workspace-vendor-designation-applied")
    _keep_for_docs("workspace-vendor-designation-applied")

    # The operator returns it for completion; the supplier completes the form it finds filled and resubmits.
    applications = f"{portal_url}{COMPANIES}/org-vendor-1/designations"
    admin = _token(portal_url, "admin1")
    application = httpx.get(applications, headers=admin, timeout=60).json()["items"][-1]
    note = {"complete": False, "note": "수출 실적 증빙을 추가해 주십시오"}
    url = f"{applications}/{application['id']}/completeness"
    assert httpx.post(url, json=note, headers=admin, timeout=120).status_code == 200
    page.goto("/me/vendor/designation")
    expect(page.locator("#resubmit-note")).to_contain_text("수출 실적 증빙을 추가해 주십시오")
    expect(page.locator("[id='declared.technical_staff']")).to_have_value("24")
    expect(page.locator("[id='evidence[3].title']")).to_have_value("2025년 재무제표 (감사보고서)")
    check_page(page, "workspace-vendor-designation-returned")
    page.fill("[id='declared.exports']", "120000000")
    page.select_option("[id='evidence[4].indicator']", "exports")
    page.fill("[id='evidence[4].title']", "수출실적증명서 (2025)")
    page.click("#apply-submit")
    page.wait_for_url(re.compile(r"/me/vendor/designation\?done=resubmitted"))
    expect(page.locator("#done")).to_contain_text("보완한 신청서를 다시 제출했습니다.")
    expect(page.locator("article.card").first.locator(".badge")).to_have_text("접수")
    expect(page.locator("#apply-closed")).to_be_visible()
