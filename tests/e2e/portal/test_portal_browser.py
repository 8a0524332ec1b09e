"""The portal as people use it, in headless Chromium against a real platform process with the demo data."""

from __future__ import annotations

import re
import statistics
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.portal.conftest import check_page, sign_in

pytestmark = pytest.mark.e2e

RAW_CODES = re.compile(r"\b(quality_inspection|process_optimization|predictive_maintenance|self_reported)\b")


def _visible_text(page: Page) -> str:
    return page.inner_text("main")


def test_map_click_filters_the_page_and_back_undoes_it(page: Page) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("지역별 스마트제조 성과")
    tiles = page.locator("svg.tilemap a.tile")
    expect(tiles).to_have_count(17)
    gyeongnam = page.locator('a.tile[data-region="48"]')
    label = gyeongnam.get_attribute("aria-label") or ""
    assert re.search(r"경상남도: AI 사례 \d+건, 구축 \d+건", label), label  # what hovering shows
    check_page(page, "home")

    gyeongnam.click()
    page.wait_for_url(re.compile(r"region=48"))
    expect(page.locator("h1")).to_contain_text("경상남도")
    summary = page.locator(".summary").inner_text()
    cases, records = (int(n) for n in re.findall(r"(\d+)건", summary)[:2])
    # Every list the page links to is filtered to the region, and the counts agree.
    page.click("text=AI 활용 사례 (")
    page.wait_for_url(re.compile(r"/cases\?region=48"))
    expect(page.locator("#results-h")).to_have_text(f"{cases}건")
    page.go_back()
    page.wait_for_url(re.compile(r"/\?region=48"))
    page.go_back()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("h1")).not_to_contain_text("경상남도")
    assert records >= 1

    page.focus('a.tile[data-region="11"]')  # the keyboard reaches every tile
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"region=11"))
    expect(page.locator('a.tile[data-region="11"]')).to_have_attribute("aria-current", "true")

    page.select_option("#measure", "kpi")  # auto-submits: the map recolours by median KPI improvement
    page.wait_for_url(re.compile(r"measure=kpi"))
    expect(page.locator("#map-h")).to_contain_text("KPI 개선율 중앙값")
    check_page(page, "home-kpi-measure")


def test_filter_deployments_by_subfield_and_search_within(page: Page) -> None:
    page.goto("/deployments?region=41")
    facet = page.locator('a[data-facet="subfield"]').first
    code = facet.get_attribute("data-code")
    expected = int(facet.locator(".n").inner_text())
    facet.click()
    page.wait_for_url(re.compile(rf"subfield={code}"))
    expect(page.locator("#results-h")).to_have_text(f"{expected}건")
    assert "region=41" in page.url, "choosing a facet keeps the region"
    selected = page.locator('a[data-facet="subfield"][aria-current="true"]')
    expect(selected).to_have_count(1)
    name = selected.inner_text().split("\n")[0].strip(" ✓■")
    for card in page.locator("article.card").all()[:5]:
        expect(card).to_contain_text(name.replace("전략 분야: ", ""))
    check_page(page, "deployments-filtered")

    title = page.locator("article.card h3 a").first.inner_text()
    word = title.split()[0]
    page.fill("#q", word)
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q="))
    assert f"subfield={code}" in page.url and "region=41" in page.url, "search runs within the filters"
    expect(page.locator("article.card h3 a").first).to_be_visible()
    assert word in page.locator("#results-h").inner_text()


def test_search_cases_and_open_a_case_and_its_record(page: Page) -> None:
    page.goto("/cases")
    page.fill("#q", "불량")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/cases\?q="))
    expect(page.locator("#results-h")).to_contain_text("‘불량’ 검색 결과")
    expect(page.locator("#sort")).to_have_value("relevance")
    check_page(page, "cases-search")
    text = _visible_text(page)
    assert "을(를)" not in text and "이(가)" not in text
    assert not RAW_CODES.search(text), "codes are shown by their names"

    page.goto("/cases?sort=effect")
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f]+"))
    expect(page.locator("#eff-h")).to_be_visible()
    expect(page.locator("section svg.chart")).to_have_count(1)
    detail = _visible_text(page)
    assert not RAW_CODES.search(detail) and "을(를)" not in detail and "이(가)" not in detail
    check_page(page, "case-detail")

    page.goto("/deployments?sort=effect")
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/deployments/[0-9a-f]+"))
    stages = page.locator("#st-h ~ div svg text[text-anchor=end]").count()
    expect(page.locator("#st-h ~ p").first).to_contain_text(f"{stages}단계 · 목표")
    expect(page.locator(".badge").first).to_be_visible()
    badges = page.locator("#kpi-h ~ div table .badge").all_inner_texts()
    assert badges and all(re.search(r"자체 보고|설비 데이터 측정|검증 완료", b) for b in badges), badges
    check_page(page, "deployment-detail")

    # KPIs the analytics service measured from the demo telemetry carry their evidence.
    page.goto("/deployments?evidence=telemetry")
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/deployments/[0-9a-f]+"))
    evidence = page.locator("details.evidence").first
    evidence.locator("summary").click()
    expect(evidence).to_contain_text("레이크 스냅샷")
    expect(page.locator("#kpi-h ~ div table .badge", has_text="설비 데이터 측정").first).to_be_visible()
    check_page(page, "deployment-telemetry-evidence")


def test_browse_pages_show_one_page_of_twenty_and_page_on(page: Page) -> None:
    for path, name in (("/deployments", "deployments"), ("/cases", "cases")):
        page.goto(path)
        heading = page.locator("#results-h").inner_text()
        total = int(re.sub(r"\D", "", heading))
        assert total > 20, heading  # the demo data: 260 records, 40 cases
        expect(page.locator("article.card")).to_have_count(20)
        expect(page.locator("nav.pages")).to_contain_text(f"1 / {-(-total // 20)}")
        check_page(page, name)
        first = page.locator("article.card h3 a").first.inner_text()
        page.click("a[rel=next]")
        page.wait_for_url(re.compile(r"page=2"))
        expect(page.locator("article.card h3 a").first).not_to_have_text(first)
        expect(page.locator("#results-h")).to_have_text(heading)
    expect(page.locator('a[data-facet="supplier"]').first).not_to_have_attribute("data-code", "")
    supplier = page.locator('a[data-facet="supplier"] span').first.inner_text()
    assert not supplier.startswith("org-"), f"suppliers are named: {supplier}"


def test_company_and_standard_pages(page: Page) -> None:
    page.goto("/companies?kind=vendor")
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/companies/"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text("전문기업 지정")
    check_page(page, "company-detail")

    page.goto("/standards")
    check_page(page, "standards")
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/standards/"))
    expect(page.locator("#items-h")).to_be_visible()
    download = page.locator("a", has_text="JSON 스키마").get_attribute("href") or ""
    schema = httpx.get(page.url.split("/standards/")[0] + download, timeout=30)
    assert schema.status_code == 200 and "properties" in schema.text
    check_page(page, "standard-detail")

    page.goto("/companies")
    check_page(page, "companies")


def test_language_switch_is_remembered(page: Page) -> None:
    page.goto("/cases?region=11")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.click("#lang-switch")
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("AI use cases: Seoul")
    page.goto("/deployments")  # no lang parameter: the cookie remembers
    expect(page.locator("h1")).to_contain_text("Deployments")
    facets = page.inner_text(".facets")  # company names stay as registered; every code gets its English name
    assert not re.search(r"[가-힣]", facets), "English pages show English names"
    check_page(page, "deployments-english")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "ko")


def test_sme_signs_in_and_sees_its_dashboard(page: Page) -> None:
    sign_in(page, "sme1")
    page.wait_for_url(re.compile(r"/me/dashboard"))
    expect(page.locator("h1")).to_contain_text("내 공장 대시보드")
    expect(page.locator("#fac-h")).to_be_visible()
    expect(page.locator("main table").first).to_be_visible()
    expect(page.locator("header")).to_contain_text("sme1")
    # The lake charts arrive after the page: the demo telemetry of sme1's factory, its KPIs, its peers, and
    # the predictions of the AI cases it applied.
    charts = page.locator(".lazy")
    expect(charts).to_have_count(5)
    for lazy in charts.all():
        expect(lazy).to_have_attribute("aria-busy", "false", timeout=90_000)
    expect(charts.nth(0).locator("svg.chart polyline")).to_have_count(1)
    expect(charts.nth(1).locator("svg.chart polyline")).not_to_have_count(0)
    check_page(page, "sme-dashboard")
    page.click("text=로그아웃")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("#sign-in")).to_be_visible()
    page.goto("/me/dashboard")
    page.wait_for_url(re.compile(r"/dev-oidc/authorize"))  # signed out: the issuer's form again
    check_page(page, "sign-in-form")


def test_vendor_creates_and_publishes_a_case(page: Page) -> None:
    sign_in(page, "vendor1")
    page.wait_for_url(re.compile(r"/me/vendor"))
    check_page(page, "vendor-page")
    page.click("#new-case")
    page.wait_for_url(re.compile(r"/me/vendor/cases/new"))
    check_page(page, "case-form")
    title = f"브라우저 검증 사례 {uuid.uuid4().hex[:6]}"
    page.fill('[id="title.ko"]', title)
    page.fill('[id="title.en"]', "Browser-tested case")
    page.fill('[id="summary.ko"]', "사출 성형 온도로 불량을 예측합니다")
    page.fill('[id="summary.en"]', "Moulding temperature predicts defects")
    page.select_option("#problem_type", "quality_inspection")
    page.select_option("#technique", "anomaly_detection")
    page.select_option("#region_code", "44")
    page.select_option("#industry_code", "C22")
    page.fill('[id="effects[0].metric.ko"]', "불량률")
    page.fill('[id="effects[0].metric.en"]', "Defect rate")
    page.fill('[id="effects[0].unit"]', "%")
    page.fill('[id="effects[0].before"]', "-3")  # the API refuses a negative value
    page.fill('[id="effects[0].after"]', "1.1")
    page.click("text=초안으로 저장")
    error = page.locator('[id="err-effects-0-before"]')
    expect(error).to_be_visible()
    expect(page.locator('[id="effects[0].before"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[id="title.ko"]')).to_have_value(title)  # what was typed is kept
    check_page(page, "case-form-errors")

    page.fill('[id="effects[0].before"]', "3.4")
    page.click("text=초안으로 저장")
    page.wait_for_url(re.compile(r"/me/vendor/cases\?done=created"))
    draft = page.locator("#cases tbody tr", has_text=title).first
    draft.locator("button", has_text="공개하기").click()
    page.wait_for_url(re.compile(r"done=published"))
    expect(page.locator("#done")).to_contain_text(f"공개했습니다: {title}")

    page.goto("/cases?region=44&sort=newest")
    expect(page.locator("article.card", has_text=title)).to_be_visible()
    page.locator("article.card h3 a", has_text=title).click()
    expect(page.locator("main")).to_contain_text("불량률을 3.4%에서 1.1%까지 개선했습니다")


def test_first_page_is_fast(page: Page, portal_url: str) -> None:
    httpx.get(portal_url + "/", timeout=30)  # the server's first request warms its caches
    timings = []
    for _ in range(3):
        page.goto("/", wait_until="load")
        timings.append(
            page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return n.loadEventEnd - n.startTime; })()"
            )
        )
    assert statistics.median(timings) < 1000, timings
    shift = page.evaluate(
        "new Promise(done => { let total = 0;"
        " new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })"
        ".observe({type: 'layout-shift', buffered: true});"
        " setTimeout(() => done(total), 300); })"
    )
    assert shift < 0.1, f"cumulative layout shift {shift}"
