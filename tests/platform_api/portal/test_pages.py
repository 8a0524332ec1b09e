"""The portal's pages through the whole app (SQLite and PostgreSQL): lists, details, sign-in, forms."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import model_body, register_factory, usecase_body


def _publish_case(client: TestClient, auth: Auth, **overrides: object) -> str:
    vendor = auth("vendor", org_id="org-vendor-9")
    made = client.post("/api/v1/usecases", json=usecase_body(**overrides), headers=vendor)
    assert made.status_code == 201, made.text
    case_id = str(made.json()["id"])
    assert client.post(f"/api/v1/usecases/{case_id}/publish", headers=vendor).status_code == 200
    return case_id


def _facet_counts(page: str, facet: str) -> dict[str, int]:
    found = re.findall(
        rf'data-facet="{facet}" data-code="([^"]+)".*?<span class="n">(\d+)</span>', page, flags=re.S
    )
    return {code: int(n) for code, n in found}


def test_pages_render_on_an_empty_platform(client: TestClient) -> None:
    for path in ("/", "/?region=48&measure=kpi", "/cases", "/deployments", "/companies", "/standards"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert '<html lang="ko">' in answer.text and "<main" in answer.text
    assert client.get("/cases/nope").status_code == 404
    assert "찾을 수 없습니다" in client.get("/deployments/nope").text
    assert client.get("/portal/static/portal.css").headers["content-type"].startswith("text/css")
    assert client.get("/portal/static/nope.js").status_code == 404


def test_cases_are_labelled_filtered_and_searched(client: TestClient, auth: Auth) -> None:
    weld = _publish_case(client, auth, region="48", title_ko="창원 용접 불량 예측")
    _publish_case(
        client, auth, region="48", problem_type="predictive_maintenance", title_ko="창원 베어링 예지 보전"
    )
    _publish_case(client, auth, region="11", title_ko="서울 포장 불량 검사")

    listing = client.get("/cases?region=48").text
    assert "2건" in listing
    assert _facet_counts(listing, "region") == {"11": 1, "48": 2}, "region counts ignore the region chosen"
    assert _facet_counts(listing, "problem") == {"quality_inspection": 1, "predictive_maintenance": 1}
    assert "품질 검사" in listing and "예지 보전" in listing and "이상 탐지를 활용해" in listing
    assert "을(를)" not in listing and ">quality_inspection<" not in listing

    found = client.get("/cases", params={"q": "불량", "region": "48"}).text
    assert "‘불량’ 검색 결과 2건" in found and f"/cases/{weld}" in found
    assert "서울 포장 불량 검사" not in found, "search stays within the region"

    detail = client.get(f"/cases/{weld}").text
    assert "용접 불량률을 3.1%에서 1.2%까지 개선했습니다" in detail
    assert "<svg" in detail and "경상남도" in detail

    english = client.get(f"/cases/{weld}", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "Quality inspection" in english.text
    assert english.cookies.get("lang") == "en"
    assert '<html lang="en">' in client.get("/cases").text, "the choice is remembered"


def test_home_map_counts_and_links_keep_the_region(client: TestClient, auth: Auth) -> None:
    _publish_case(client, auth, region="26")
    page = client.get("/", params={"region": "26"}).text
    tile = re.search(
        r'<a href="([^"]*)" class="tile" aria-label="부산광역시: AI 사례 1건[^"]*" aria-current', page
    )
    assert tile, "the chosen region's tile says its counts and is marked current"
    assert tile.group(1) == "/", "clicking the chosen tile again clears the region"
    assert 'href="/cases?region=26"' in page
    unknown = client.get("/", params={"region": "99"})
    assert unknown.status_code == 200 and 'aria-current="true"' not in unknown.text, "no such region: all"


def _sign_in(client: TestClient, username: str, next_path: str = "/me") -> None:
    start = client.get("/login", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    assert authorize.path == "/dev-oidc/authorize"
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    form = client.get(f"{authorize.path}?{authorize.query}")
    assert form.status_code == 200 and 'autocomplete="current-password"' in form.text
    back = client.post(
        "/dev-oidc/authorize",
        data=params | {"username": username, "password": f"{username}-pass"},
        follow_redirects=False,
    )
    callback = urlsplit(back.headers["location"])
    done = client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == next_path
    assert done.cookies.get("portal_session")


def test_sign_in_with_a_forged_state_fails(client: TestClient) -> None:
    client.get("/login", follow_redirects=False)
    answer = client.get("/auth/callback", params={"code": "x", "state": "forged"}, follow_redirects=False)
    assert answer.headers["location"] == "/?login=failed" and not answer.cookies.get("portal_session")
    assert client.get("/login", params={"next": "//evil.example"}, follow_redirects=False).status_code == 303
    assert client.get("/me/vendor", follow_redirects=False).headers["location"] == "/login?next=/me/vendor"


def test_vendor_lands_on_its_page_and_the_former_case_form_moved(client: TestClient) -> None:
    """The case form's own test is tests/platform_api/portal/test_workspace_vendor_catalogue.py."""
    _sign_in(client, "vendor1")
    assert client.get("/me", follow_redirects=False).headers["location"] == "/me/vendor"
    assert "공급기업 페이지" in client.get("/me/vendor").text
    assert client.get("/me/cases/new", follow_redirects=False).headers["location"] == "/me/vendor/cases/new"
    assert client.post("/logout", follow_redirects=False).status_code == 303


def test_sme_dashboard_shows_its_own_factories(client: TestClient, auth: Auth) -> None:
    register_factory(client, auth("admin"), company_id="org-sme-1", factory_id="factory-sme-1-a")
    register_factory(client, auth("admin"), company_id="org-sme-2", factory_id="factory-sme-2-a")
    _sign_in(client, "sme1", "/me/dashboard")
    page = client.get("/me/dashboard")
    assert page.status_code == 200 and "내 공장 대시보드" in page.text
    assert "org-sme-1 공장" in page.text and "org-sme-2 공장" not in page.text
    assert 'data-src="/me/dashboard/factory-sme-1-a/telemetry?partial=1&days=30"' in page.text
    # A private page: its footer does not say only published data is shown.
    assert "공개된 자료만" not in page.text and "본인과 플랫폼 운영기관만" in page.text
    # The period and equipment apply on the button; each part has its CSV with the same choice.
    assert '<select id="days" name="days">' in page.text and "최근 90일" in page.text
    assert 'href="/me/dashboard/factory-sme-1-a/peers/csv?days=30" download' in page.text
    chosen = client.get("/me/dashboard", params={"days": "7", "equipment": "eq-9"}).text
    assert 'data-src="/me/dashboard/factory-sme-1-a/kpis?partial=1&days=7&amp;equipment=eq-9"' in chosen
    empty_csv = client.get("/me/dashboard/factory-sme-1-a/telemetry/csv", params={"days": "7"})
    assert empty_csv.status_code == 200 and empty_csv.headers["content-type"].startswith("text/csv")
    assert empty_csv.text == "\ufeff계열,시각,값,단위\n"  # a factory without readings: the header only
    assert client.get("/me/dashboard/factory-sme-2-a/telemetry/csv").status_code == 404
    part = client.get("/me/dashboard/factory-sme-1-a/telemetry", params={"partial": "1"})
    assert (
        part.status_code == 200
        and "<html" not in part.text
        and "아직 수집된 설비 데이터가 없습니다" in part.text
    )
    assert client.get("/me/dashboard/factory-sme-1-a/nope").status_code == 404
    assert client.get("/me/dashboard/factory-sme-2-a/kpis").status_code == 404, "another SME's factory"
    assert client.get("/me/vendor/cases/new", follow_redirects=False).headers["location"] == "/me"


def test_equipment_types_are_named_by_their_models(client: TestClient, auth: Auth) -> None:
    admin = auth("admin", org_id="org-operator")
    body = model_body()  # a CNC_LATHE named "CNC 선반" / "CNC lathe"
    assert client.post("/api/v1/standards", json=body, headers=admin).status_code == 201
    version = f"/api/v1/standards/{body['id']}/versions/{body['version']}"
    published = client.post(f"{version}/publish", headers=admin)
    assert published.status_code == 200, published.text
    for lang, name in (("ko", "CNC 선반"), ("en", "CNC lathe")):
        page = client.get("/standards", params={"lang": lang}).text
        link = re.search(r'data-facet="type" data-code="CNC_LATHE"[^>]*>(.*?)<span class="n">', page, re.S)
        assert link is not None and name in link.group(1), page[:500]


def test_a_model_page_says_where_each_version_is_in_use(client: TestClient, auth: Auth) -> None:
    admin = auth("admin", org_id="org-operator")
    body = model_body()
    assert client.post("/api/v1/standards", json=body, headers=admin).status_code == 201
    version = f"/api/v1/standards/{body['id']}/versions/{body['version']}"
    assert client.post(f"{version}/publish", headers=admin).status_code == 200
    equipment = [
        {"equipment_id": f"eq-{i}", "name": f"선반 {i}", "model_id": body["id"], "model_version": "1.0.0"}
        for i in range(3)
    ]
    register_factory(client, auth("sme", org_id="org-sme-1"), equipment=equipment)
    page = client.get(f"/standards/{body['id']}").text
    assert "공장 1곳·설비 3대에서 사용 중" in page
    assert (
        "in use: factories 1, equipment 3"
        in client.get(f"/standards/{body['id']}", params={"lang": "en"}).text
    )
