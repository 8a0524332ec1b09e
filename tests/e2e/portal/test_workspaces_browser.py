"""Role workspaces in Chromium on the demo platform, each role's main task done as a person does it: the
regional agency verifies a record from its queue, the SME confirms a record naming it and gives then
revokes a consent, the evaluator scores its assignment, the operator approves a proposed standard; the
ministry's targets page. axe-core and screenshots on every page (``check_page``); the desktop screenshots
are also kept for docs/portal.md.

What the demo world lacks for a task (a confirmed record in the agency's regions, a record waiting for
sme1, an assignment for evaluator1) is prepared first with the admin's token, as the operator would; the
task itself goes only through the pages. Each run uses up one such record.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.portal.conftest import ARTIFACTS, check_page, sign_in
from tests.e2e.test_make_run import _token
from tests.factories import item, model_body

DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"
DEPLOYMENTS = "/api/v1/deployments"
COMPANIES = "/api/v1/companies"
AGENCY1_REGIONS = ("48", "26", "31")
APPLICATION = {
    "fields": ["INFO-MES"],
    "declared": {"patents": 2, "certifications": 1, "technical_staff": 12, "revenue": 3e9, "exports": 0},
    "evidence": [
        {"indicator": "patents", "title": "특허 제10-1234567호 등록원부"},
        {"indicator": "certifications", "title": "GS인증서 1등급"},
        {"indicator": "technical_staff", "title": "4대보험 가입자 명부"},
        {"indicator": "revenue", "title": "2025년 재무제표"},
    ],
}


def _keep_for_docs(name: str) -> None:
    """The desktop screenshot of a workspace page, as docs/portal.md shows it."""
    shutil.copyfile(ARTIFACTS / f"{name}-desktop.png", DOCS_IMG / f"portal-{name}.png")


def _records(base: str, admin: dict[str, str], status: str) -> list[dict[str, Any]]:
    found, cursor = [], None
    while True:
        params: dict[str, Any] = {"status": status, "limit": 200} | ({"cursor": cursor} if cursor else {})
        page = httpx.get(f"{base}{DEPLOYMENTS}/workspace", params=params, headers=admin, timeout=60).json()
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def _advance(base: str, admin: dict[str, str], record: dict[str, Any], *actions: str) -> None:
    for action in actions:
        answer = httpx.post(f"{base}{DEPLOYMENTS}/{record['id']}/{action}", headers=admin, timeout=60)
        assert answer.status_code == 200, answer.text


def test_the_agency_verifies_a_record_from_its_queue(page: Page, portal_url: str) -> None:
    admin = _token(portal_url, "admin1")
    if not [
        r
        for r in _records(portal_url, admin, "confirmed")
        if r["factory"]["region_code"] in ("48", "26", "31")
    ]:
        waiting = [
            r for r in _records(portal_url, admin, "submitted") if r["factory"]["region_code"] in ("26", "31")
        ]
        _advance(portal_url, admin, waiting[0], "confirm")
    sign_in(page, "agency1")
    page.wait_for_url(re.compile(r"/me/agency$"))
    expect(page.locator("#role")).to_have_text("역할: 전담기관")
    waiting_count = int(page.locator("#n-queue").inner_text())
    assert waiting_count > 0
    check_page(page, "workspace-agency")
    _keep_for_docs("workspace-agency")

    first = page.locator("#queue tbody tr").first.locator("th a")
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/me/agency/records/"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#record-status")).to_have_text("확인됨 (검증 대기)")
    expect(page.locator("#documents tbody tr")).not_to_have_count(0)
    check_page(page, "workspace-agency-review")
    _keep_for_docs("workspace-agency-review")

    page.click("#send-back")  # without the comment a send-back needs
    expect(page.locator("#form-errors")).to_contain_text("의견")
    expect(page.locator("#comment")).to_have_attribute("aria-invalid", "true")
    check_page(page, "workspace-agency-review-error")

    page.fill("#comment", "증빙과 KPI를 확인했습니다")
    page.click("#verify")
    page.wait_for_url(re.compile(r"/me/agency\?done=verify"))
    expect(page.locator("#done")).to_have_text(f"검증했습니다: {title}")
    expect(page.locator("#n-queue")).to_have_text(str(waiting_count - 1))
    page.go_back()  # the review page as it was, its form sent again: nothing happens twice
    page.click("#verify")
    expect(page.locator("main")).to_contain_text("이미 제출된 양식이라 다시 제출하지 않았습니다")
    expect(page.locator("#record-status")).to_have_text("검증됨 (공개 대기)")


def test_the_sme_confirms_a_record_and_manages_a_consent(page: Page, portal_url: str) -> None:
    admin = _token(portal_url, "admin1")
    mine = [r for r in _records(portal_url, admin, "draft") if r["sme_company_id"] == "org-sme-1"]
    drafted = [r for r in mine if r["drafted_by"] == "vendor"]
    assert drafted, "the demo world has vendor drafts naming sme1: one is submitted for it to confirm"
    _advance(portal_url, admin, drafted[0], "submit")
    sign_in(page, "sme1")
    page.goto("/me/sme")
    expect(page.locator("#role")).to_have_text("역할: 중소기업")
    check_page(page, "workspace-sme")
    _keep_for_docs("workspace-sme")
    card = page.locator("article.card", has_text=drafted[0]["title"]["ko"])
    card.get_by_role("button", name="확인", exact=True).click()
    page.wait_for_url(re.compile(r"/me/sme\?done=confirm"))
    expect(page.locator("#done")).to_contain_text("확인했습니다")

    page.click("#grant button[type=submit]")  # no supplier chosen
    expect(page.locator("#form-errors")).to_contain_text("공급기업: 필수 항목입니다")
    check_page(page, "workspace-sme-error")
    page.select_option("#supplier", "org-vendor-1")
    page.click("#grant button[type=submit]")
    page.wait_for_url(re.compile(r"/me/sme\?done=grant"))
    row = page.locator("#consents tbody tr", has=page.locator("td", has_text="유효"))
    expect(row).to_have_count(1)
    row.get_by_role("button").click()
    page.wait_for_url(re.compile(r"/me/sme\?done=revoke"))
    expect(page.locator("#consents tbody tr", has=page.locator("td", has_text="유효"))).to_have_count(0)


def test_the_evaluator_scores_its_assignment(page: Page, portal_url: str) -> None:
    admin, vendor = _token(portal_url, "admin1"), _token(portal_url, "vendor1")
    evaluator = _token(portal_url, "evaluator1")
    me = httpx.put(f"{portal_url}{COMPANIES}/evaluators/me", json={"name": "평가위원1"}, headers=evaluator)
    assert me.status_code == 200, me.text
    applications = f"{portal_url}{COMPANIES}/org-vendor-1/designations"
    listed = httpx.get(applications, headers=admin, timeout=60).json()["items"]
    application = next((a for a in listed if a["status"] in ("submitted", "returned", "in_review")), None)
    if application is None:
        made = httpx.post(applications, json=APPLICATION, headers=vendor, timeout=120)
        assert made.status_code == 201, made.text
        application = made.json()
    url = f"{applications}/{application['id']}"
    if application["status"] == "returned":
        again = httpx.post(f"{url}/resubmit", json=APPLICATION, headers=vendor, timeout=120)
        assert again.status_code == 200, again.text
        application = again.json()
    if application["status"] == "submitted":
        complete = httpx.post(f"{url}/completeness", json={"complete": True}, headers=admin, timeout=120)
        assert complete.status_code == 200, complete.text
    if not any(a["evaluator_id"] == "dev-user-evaluator1" for a in application["assignments"]):
        assignment = {"evaluator_id": "dev-user-evaluator1"}
        assigned = httpx.post(f"{url}/assignments", json=assignment, headers=admin, timeout=120)
        assert assigned.status_code == 200, assigned.text
    sign_in(page, "evaluator1")
    page.wait_for_url(re.compile(r"/me/evaluator$"))
    check_page(page, "workspace-evaluator")
    _keep_for_docs("workspace-evaluator")
    page.locator("#assigned tbody tr th a").first.click()
    page.wait_for_url(re.compile(r"/me/evaluator/org-vendor-1/"))
    # The application scored may be one another browser test filed on this platform: its own evidence.
    patent = next(e["title"] for e in application["evidence"] if e["indicator"] == "patents")
    expect(page.locator("#h-technology_judgement").locator("..")).to_contain_text(patent)
    check_page(page, "workspace-evaluator-scoring")
    _keep_for_docs("workspace-evaluator-scoring")
    for code, score in (("technology_judgement", "80"), ("organisation_judgement", "70")):
        page.fill(f"[id='{code}.score']", score)
        page.fill(f"[id='{code}.reason']", "제출 증빙과 구축 실적을 검토한 결과입니다")
    page.click("#submit-scores")  # the finance judgement left out
    expect(page.locator("#form-errors")).to_contain_text("재무건전성 평가 · 점수: 필수 항목입니다")
    expect(page.locator("[id='technology_judgement.score']")).to_have_value("80")
    page.fill("[id='finance_judgement.score']", "60")
    page.fill("[id='finance_judgement.reason']", "재무제표상 3년 연속 흑자입니다")
    page.click("#submit-scores")
    page.wait_for_url(re.compile(r"/me/evaluator\?done=scored"))
    expect(page.locator("#done")).to_have_text("평가 점수를 제출했습니다.")


def test_the_ministry_page_shows_the_targets(page: Page) -> None:
    page.goto("/targets")
    expect(page.locator("#goals")).to_contain_text("전문기업 지정")
    expect(page.locator("#by-field tr.strategic")).to_have_count(7)
    check_page(page, "targets")
    _keep_for_docs("targets")
    with page.expect_download() as download:
        page.click("#targets-csv")
    assert download.value.suggested_filename == "smartmfg-targets.csv"


def test_the_operator_reviews_a_proposed_standard(page: Page, portal_url: str) -> None:
    admin = _token(portal_url, "admin1")
    model_id = f"e2e-press-{int(time.time())}"  # each run proposes a model of its own
    standards = f"{portal_url}/api/v1/standards"
    body = model_body(
        model_id=model_id, name={"ko": "유압 프레스 (검토용)", "en": "Hydraulic press (review)"}
    )
    assert httpx.post(standards, json=body, headers=admin, timeout=60).status_code == 201
    versions = f"{standards}/{model_id}/versions"
    assert httpx.post(f"{versions}/1.0.0/publish", headers=admin, timeout=60).status_code == 200
    items = [
        *body["items"][:1],
        item("oil_pressure", unit="bar", lo=0, hi=350, name={"ko": "유압", "en": "Oil pressure"}),
    ]
    proposal = {"version": "1.1.0", "items": items, "changelog": "유압 추가"}
    assert httpx.post(versions, json=proposal, headers=admin, timeout=60).status_code == 201
    assert httpx.post(f"{versions}/1.1.0/propose", json={}, headers=admin, timeout=60).status_code == 200

    sign_in(page, "admin1")
    page.wait_for_url(re.compile(r"/me/operator$"))
    expect(page.locator("#role")).to_have_text("역할: 운영기관")
    waiting = int(page.locator("#n-proposed").inner_text())
    assert waiting > 0
    check_page(page, "workspace-operator")
    _keep_for_docs("workspace-operator")

    page.locator("#proposals a", has_text="유압 프레스 (검토용)").click()
    page.wait_for_url(re.compile(rf"/me/operator/standards/{model_id}/1\.1\.0$"))
    expect(page.locator("#version-status")).to_have_text("제안됨 (검토 대기)")
    expect(page.locator("#diff-h")).to_have_text("1.0.0 버전 대비 변경 사항")
    expect(page.locator("#diff tr.added")).to_contain_text("oil_pressure")
    expect(page.locator("#diff tr.removed")).to_have_count(4)
    expect(page.locator("#compatibility")).to_contain_text("하위 호환 아님")
    check_page(page, "workspace-operator-review")
    _keep_for_docs("workspace-operator-review")

    page.click("#send-back")  # without the comment a send-back needs
    expect(page.locator("#form-errors")).to_contain_text("의견")
    expect(page.locator("#comment")).to_have_attribute("aria-invalid", "true")
    page.click("#approve")
    page.wait_for_url(re.compile(r"/me/operator\?done=approve"))
    expect(page.locator("#done")).to_contain_text(f"승인하여 공개했습니다: {model_id} 1.1.0.")
    expect(page.locator("#n-proposed")).to_have_text(str(waiting - 1))
    page.click("#done a")
    page.wait_for_url(re.compile(rf"/standards/{model_id}"))
    expect(page.locator("main")).to_contain_text("1.1.0")
    expect(page.locator("main")).to_contain_text("oil_pressure")

    page.goto("/me/operator/audit?actor=admin1")  # the proposal and the approval, the admin's own writes
    expect(page.locator("#audit tbody tr").first).to_contain_text("admin1")
    check_page(page, "workspace-operator-audit")
    page.goto("/me/operator/organisations/org-sme-1")
    expect(page.locator("#gateways tbody tr")).not_to_have_count(0)
    check_page(page, "workspace-operator-organisation")
    _keep_for_docs("workspace-operator-organisation")
