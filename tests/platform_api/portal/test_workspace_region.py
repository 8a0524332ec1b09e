"""The regional AI centre dashboard (/me/region) over a real lake, SQLite and PostgreSQL: the peer world of
``tests/catalog/test_peers.py`` (P1-P3 in Seoul, P4-P5 in Busan, all C29, readings on 2025-11-10; P5 sends
most readings), two centres, a published AI case in Seoul; centre staff signed in with a session cookie."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from platform_api.portal.auth import SESSION_COOKIE
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import World
from tests.catalog.test_peers import peers
from tests.factories import usecase_body
from tests.services.companies.test_regional_telemetry import open_centres

__all__ = ["peers"]  # the module-scoped lake world, used here as a fixture

PAGE = "/me/region"
# The day of the readings, in Korea: 2025-11-10 09:00 KST to 2025-11-11 03:00 KST.
READINGS_DAYS = {"from": "2025-11-10", "to": "2025-11-11"}


def _session(client: TestClient, *, regions: list[str], roles: tuple[str, ...] = ("agency",)) -> None:
    issuer = state_of(client.app).get(DEV_ISSUER)
    token = issuer.issue(
        subject="centre-staff", roles=list(roles), org_id="org-agency", regions=regions, username="staff1"
    )
    client.cookies.clear()  # the module's client: no language chosen, no other session
    client.cookies.set(SESSION_COOKIE, token)


def _rows(page: str, table: str) -> list[list[str]]:
    """The body rows of ``table`` as the text of their cells."""
    found = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', page, flags=re.S)
    assert found, f"no table {table}"
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), flags=re.S)
    ]


def test_centre_staff_see_their_regions_figures(peers: World) -> None:
    client = peers.client
    open_centres(peers)
    vendor = peers.headers("vendor", org_id="org-vendor-3")
    case = usecase_body(region="11", title_ko="서울 선반 가동률 AI")
    made = client.post("/api/v1/usecases", json=case, headers=vendor)
    assert made.status_code == 201, made.text
    assert client.post(f"/api/v1/usecases/{made.json()['id']}/publish", headers=vendor).status_code == 200

    _session(client, regions=["11"])
    page = client.get(PAGE, params=READINGS_DAYS)
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>지역 특화 제조AI센터 대시보드: aic-seoul</h1>" in html
    assert 'href="/me/region" aria-current="page">지역 AI센터</a>' in html, "the header's link to the page"
    assert "2025-11-10부터 2025-11-11까지의 수치입니다" in html
    assert '<strong id="n-smes">3</strong> 중소기업' in html, "P1-P3 are Seoul's SMEs"
    assert '<strong id="n-cases">1</strong>' in html and "서울 선반 가동률 AI</a>" in html
    assert '<strong id="n-readings">9</strong> 업로드된 측정값' in html

    # Data uploaded by month: a chart with its figures, and the same as a table.
    assert _rows(html, "uploads") == [["2025-11", "9", "3", "3"]]
    assert re.search(r'<svg class="chart"[^>]*>.*?2025-11.*?9 \(공장 3곳\)', html, flags=re.S)

    # Benchmarks: Seoul x C29 published (three factories, none dominating), Seoul x C30 withheld.
    assert "공장이 3곳 이상이고 어느 한 공장의 측정값도 50%를 넘지 않는 그룹만 공개합니다" in html
    withheld = "비공개: 자료가 없거나, 공장이 3곳 미만이거나, 한 공장의 측정값이 대부분입니다 (공개 기준)"
    benchmarks = _rows(html, "benchmarks")
    # Availability over 2025-11-10 00:00 to 2025-11-12 00:00 KST, counted from the first reading (DAY): 39
    # hours, of which P1-P3 stop 1, 2 and 3 hours: (38 + 37 + 36) / (3 x 39) = 94.87 %. No quartiles of 3.
    assert benchmarks[:2] == [
        ["가동률", "서울특별시", "기타 기계 및 장비 제조업", "3", "94.9%", "—", "—"],
        ["가동률", "서울특별시", "자동차 및 트레일러 제조업", withheld],  # no C30 factory
    ]
    assert ["설비종합효율(OEE)", "서울특별시", "기타 기계 및 장비 제조업", withheld] in benchmarks

    english = client.get(PAGE, params={**READINGS_DAYS, "lang": "en"}).text
    assert "Readings uploaded per month — aic-seoul" in english
    assert "Not published: no data, fewer than 3 factories" in english


def test_a_withheld_region_shows_no_figure_and_the_period_is_checked_by_the_api(peers: World) -> None:
    client = peers.client
    open_centres(peers)
    _session(client, regions=["26"])
    html = client.get(PAGE, params=READINGS_DAYS).text
    assert "<h1>지역 특화 제조AI센터 대시보드: aic-busan</h1>" in html
    assert _rows(html, "uploads") == [["2025-11", "725", "2", "2"]], "3 + 3 + 719 readings of P4 and P5"
    assert all(len(row) == 4 and row[3].startswith("비공개") for row in _rows(html, "benchmarks")), (
        "two factories, one of them dominating: no group of Busan is published, no figure shown"
    )

    backwards = client.get(PAGE, params={"from": "2025-11-11", "to": "2025-11-01"})
    assert backwards.status_code == 400
    assert '<a href="#to">종료 날짜 (포함)</a>' in backwards.text, "the API's field, named in words"
    assert 'value="2025-11-01"' in backwards.text, "the dates typed are kept"
    not_a_day = client.get(PAGE, params={"from": "2025-13-01"})
    assert not_a_day.status_code == 422 and '<a href="#from">시작 날짜</a>' in not_a_day.text


def test_only_centre_staff_open_the_page(peers: World) -> None:
    client = peers.client
    open_centres(peers)
    client.cookies.clear()
    assert client.get(PAGE, follow_redirects=False).headers["location"] == f"/login?next={PAGE}"
    _session(client, regions=[], roles=("sme",))
    assert client.get(PAGE, follow_redirects=False).headers["location"] == "/me"
    _session(client, regions=["11"])
    other = client.get(PAGE, params={"centre": "aic-busan", **READINGS_DAYS}).text
    assert "<h1>지역 특화 제조AI센터 대시보드: aic-seoul</h1>" in other, "another centre is not shown"
    assert 'id="centres"' not in other, "nor offered"
    _session(client, regions=["11", "26"])
    both = client.get(PAGE, params={"centre": "aic-busan", **READINGS_DAYS}).text
    assert "<h1>지역 특화 제조AI센터 대시보드: aic-busan</h1>" in both, "staff of two centres choose one"
    assert re.search(r'<a href="/me/region\?[^"]*centre=aic-seoul[^"]*">aic-seoul</a>', both)
    assert re.search(r'centre=aic-busan[^"]*" aria-current="page">aic-busan</a>', both)
    _session(client, regions=["47"])
    assert "담당 지역을 맡은 지역 특화 제조AI센터가 없습니다." in client.get(PAGE).text
