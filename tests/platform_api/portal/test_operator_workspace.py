"""The operator's workspace through the whole app (SQLite and PostgreSQL): admin1 lands on it, reviews a
proposed standard version with its diff, sends it back and approves it through the form (CSRF, one-time
submit, the comment named in words), and reads the audit log with its filters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.portal.workspaces import operator
from tests.conftest import Auth
from tests.factories import company_body, item, model_body
from tests.platform_api.portal.test_pages import _sign_in
from tests.platform_api.portal.test_workspaces import _tokens
from tests.services.companies.workflow import APPLICATION, evaluator, judgements
from tests.services.companies.workflow import URL as COMPANIES

URL = "/api/v1/standards"
V1 = f"{URL}/cnc-lathe/versions/1.0.0"
V11 = f"{URL}/cnc-lathe/versions/1.1.0"
PAGE = "/me/operator/standards/cnc-lathe/1.1.0"


@pytest.fixture
def proposed(client: TestClient, auth: Auth) -> dict[str, str]:
    """cnc-lathe 1.0.0 published; 1.1.0 (spindle speed up to 9000 rpm, spindle load added) proposed by
    its vendor. Gives the admin's API headers."""
    vendor = auth("vendor", org_id="org-vendor-1", preferred_username="vendor-kim")
    admin = auth("admin", org_id="org-operator", preferred_username="admin1")
    assert client.post(URL, json=model_body(), headers=vendor).status_code == 201
    assert client.post(f"{V1}/publish", headers=admin).status_code == 200
    items: list[dict[str, Any]] = model_body()["items"]
    items[0] = item(hi=9000)
    items.append(item("spindle_load", unit="%", lo=0, hi=150, name={"ko": "주축 부하", "en": "Spindle load"}))
    body = {"version": "1.1.0", "items": items, "changelog": "주축 부하 추가"}
    assert client.post(f"{URL}/cnc-lathe/versions", json=body, headers=vendor).status_code == 201
    proposal = client.post(f"{V11}/propose", json={"comment": "검토 부탁드립니다"}, headers=vendor)
    assert proposal.status_code == 200
    return admin


def test_the_operator_reviews_a_proposed_standard_through_the_form(
    client: TestClient, proposed: dict[str, str]
) -> None:
    _sign_in(client, "admin1")
    assert client.get("/me", follow_redirects=False).headers["location"] == "/me/operator"
    home = client.get("/me/operator").text
    assert '<strong id="n-proposed">1</strong> 검토할 표준 제안 버전' in home
    assert "역할: 운영기관" in home
    assert f'<a href="{PAGE}">CNC 선반</a>' in home

    review = client.get(PAGE).text
    assert "제안됨 (검토 대기)" in review and "1.0.0 버전 대비 변경 사항" in review
    assert '<tr class="added"><th scope="row"><code>spindle_load</code> 주축 부하</th><td>추가</td>' in review
    assert "<li>max: <del>6000.0</del> → <ins>9000.0</ins></li>" in review
    assert "하위 호환: 이전 버전에 맞던 업로드는 모두 계속 유효합니다." in review
    assert 'id="without-unit"' not in review, "every measured item of 1.1.0 has its unit"
    assert "<strong>제안</strong>" in review and "<q>검토 부탁드립니다</q>" in review
    tokens = _tokens(review, PAGE)
    assert set(tokens) == {"csrf", "submit"}

    forged = client.post(PAGE, data={**tokens, "csrf": "0" * 32, "decision": "approve"})
    assert forged.status_code == 403
    unchosen = client.post(PAGE, data=tokens)
    assert unchosen.status_code == 422 and "필수 항목입니다" in unchosen.text

    bare = client.post(PAGE, data={**tokens, "decision": "request_changes", "comment": " "})
    assert bare.status_code == 422
    assert '<a href="#comment">의견</a>: ' in bare.text, "the missing comment is named in words"
    assert client.get(V11, headers=proposed).json()["status"] == "proposed"

    fresh = _tokens(bare.text, PAGE)
    send_back = {**fresh, "decision": "request_changes", "comment": "단위를 확인해 주세요"}
    sent_back = client.post(PAGE, data=send_back, follow_redirects=False)
    assert sent_back.headers["location"] == "/me/operator?done=request_changes&model=cnc-lathe&version=1.1.0"
    assert client.get(V11, headers=proposed).json()["status"] == "changes_requested"
    again = client.post(PAGE, data={**fresh, "decision": "approve"}, follow_redirects=False)
    assert again.headers["location"] == f"{PAGE}?repeated=1", "the same form twice acts once"
    assert client.get(V11, headers=proposed).json()["status"] == "changes_requested"
    done = client.get(sent_back.headers["location"]).text
    assert "의견과 함께 제안자에게 돌려보냈습니다: cnc-lathe 1.1.0." in done
    assert '<strong id="n-proposed">0</strong>' in done
    page = client.get(PAGE).text
    assert 'id="decide"' not in page, "no decision form once the version is no longer proposed"
    assert "<strong>수정 요청</strong>" in page and "<q>단위를 확인해 주세요</q>" in page


def test_a_version_with_measured_items_without_unit_says_so_to_its_vendor_and_the_operator(
    client: TestClient, auth: Auth
) -> None:
    vendor = auth("vendor", org_id="org-vendor-1", preferred_username="vendor-kim")
    # As an OPC UA type NodeSet gives them: analog values whose unit each machine sets.
    items = [item(), item("screw_torque", unit=None, lo=None, category="EVENT")]
    made = client.post(URL, json=model_body(model_id="extruder", items=items), headers=vendor)
    assert made.status_code == 201
    shown = client.get(f"{URL}/extruder/versions/1.0.0", headers=vendor).json()
    assert shown["items_without_unit"] == ["screw_torque"]
    assert client.post(f"{URL}/extruder/versions/1.0.0/propose", json={}, headers=vendor).status_code == 200
    notice = (
        '<p class="notice error" id="without-unit">측정 항목 1개에 단위가 없습니다 (공개 전에 지정하십시오: '
        "가져올 때 units를 주거나 항목을 수정): <code>screw_torque</code></p>"
    )
    _sign_in(client, "admin1")
    assert notice in client.get("/me/operator/standards/extruder/1.0.0").text
    client.post("/logout")
    _sign_in(client, "vendor1")
    assert notice in client.get("/me/vendor/standards/extruder/1.0.0").text


def test_the_operator_approves_and_the_version_is_published(
    client: TestClient, auth: Auth, proposed: dict[str, str]
) -> None:
    _sign_in(client, "admin1", "/me/operator")
    tokens = _tokens(client.get(PAGE, params={"lang": "en"}).text, PAGE)
    other_tab = _tokens(client.get(PAGE).text, PAGE)
    approved = client.post(PAGE, data={**tokens, "decision": "approve"}, follow_redirects=False)
    assert approved.headers["location"] == "/me/operator?done=approve&model=cnc-lathe&version=1.1.0"
    assert client.get(V11).json()["status"] == "published", "public once approved"
    done = client.get(approved.headers["location"]).text
    assert "Approved and published: cnc-lathe 1.1.0." in done
    assert '<a href="/standards/cnc-lathe">See the published standard</a>' in done
    # The same version decided again from a page opened before: the API refuses, the page explains it.
    stale = client.post(PAGE, data={**other_tab, "decision": "request_changes", "comment": "늦은 의견"})
    assert stale.status_code == 409
    assert "This version is no longer awaiting a decision." in stale.text
    assert client.get(V11).json()["status"] == "published"


def test_the_operator_workspace_is_for_operators_only(client: TestClient, auth: Auth) -> None:
    anonymous = client.get("/me/operator", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=/me/operator"
    _sign_in(client, "vendor1")
    for path in ("/me/operator", "/me/operator/audit", PAGE):
        assert client.get(path, follow_redirects=False).headers["location"] == "/me"


def test_the_audit_log_is_filtered_by_actor_table_and_day(
    client: TestClient, auth: Auth, proposed: dict[str, str]
) -> None:
    _sign_in(client, "admin1", "/me/operator")
    every = client.get("/me/operator/audit").text
    assert "<code>std_models</code>" in every and "vendor-kim" in every
    by_admin = client.get("/me/operator/audit", params={"actor": "admin1"}).text
    assert "vendor-kim" not in by_admin and "admin1" in by_admin
    assert 'value="admin1"' in by_admin, "the filter typed is kept"
    nobody = client.get("/me/operator/audit", params={"actor": "nobody-at-all"}).text
    assert "이 조건에 맞는 감사 기록이 없습니다." in nobody
    future = client.get("/me/operator/audit", params={"since": "2999-01-01"}).text
    assert "이 조건에 맞는 감사 기록이 없습니다." in future
    bad = client.get("/me/operator/audit", params={"since": "2026-13-40"})
    assert bad.status_code == 422
    assert '<a href="#since">시작 날짜</a>: ' in bad.text, "the field is named in words"
    english = client.get("/me/operator/audit", params={"since": "yesterday", "lang": "en"})
    assert '<a href="#since">From date</a>: ' in english.text


def test_the_audit_log_is_filtered_by_action_and_end_day(
    client: TestClient, auth: Auth, proposed: dict[str, str]
) -> None:
    _sign_in(client, "admin1", "/me/operator")
    created = client.get("/me/operator/audit", params={"actor": "vendor-kim", "action": "create"}).text
    assert "<td>생성</td>" in created and "<td>변경</td>" not in created
    assert '<option value="create" selected>' in created, "the action chosen is kept"
    changed = client.get("/me/operator/audit", params={"actor": "vendor-kim", "action": "update"}).text
    assert "<td>변경</td>" in changed and "<td>생성</td>" not in changed
    # Days in Korea, the last one included: a period ending far ahead holds them, one ending before none.
    today = client.get("/me/operator/audit", params={"actor": "vendor-kim", "until": "2999-12-31"}).text
    assert "<code>std_models</code>" in today
    past = client.get("/me/operator/audit", params={"actor": "vendor-kim", "until": "2020-01-01"}).text
    assert "이 조건에 맞는 감사 기록이 없습니다." in past

    backwards = client.get("/me/operator/audit", params={"since": "2026-12-07", "until": "2026-12-01"})
    assert backwards.status_code == 422, "the identity API refuses the period; the page says where"
    assert '<a href="#until">종료 날짜 (포함)</a>: ' in backwards.text
    assert 'value="2026-12-01"' in backwards.text
    unknown = client.get("/me/operator/audit", params={"action": "rename", "lang": "en"})
    assert unknown.status_code == 422 and '<a href="#action">Action</a>: ' in unknown.text


def test_the_committee_decides_an_evaluated_application(client: TestClient, auth: Auth) -> None:
    admin = auth("admin", org_id="org-operator")
    vendor = auth("vendor", org_id="org-vendor-3")
    body = company_body(company_id="org-vendor-3", brn_first9="220816251")
    assert client.post(COMPANIES, json=body, headers=vendor).status_code == 201
    made = client.post(f"{COMPANIES}/org-vendor-3/designations", json=APPLICATION, headers=vendor).json()
    url = f"{COMPANIES}/org-vendor-3/designations/{made['id']}"
    assert client.post(f"{url}/completeness", json={"complete": True}, headers=admin).status_code == 200
    for n in (1, 2):
        headers = evaluator(client, auth, f"eval-{n}")
        assigned = client.post(f"{url}/assignments", json={"evaluator_id": f"eval-{n}"}, headers=admin)
        assert assigned.status_code == 200
        scored = client.put(f"{url}/evaluation", json=judgements(50, 50, 50), headers=headers)
        assert scored.status_code == 200

    _sign_in(client, "admin1", "/me/operator")
    home = client.get("/me/operator").text
    assert '<strong id="n-committee">1</strong> 위원회 결정을 기다리는 지정 신청' in home
    page_path = f"/me/operator/designations/org-vendor-3/{made['id']}"
    assert f'<a href="{page_path}">org-vendor-3</a>' in home
    page = client.get(page_path).text
    assert "평가 완료 (위원회 심의 대기)" in page and "<h1>(주)한국MES</h1>" in page
    assert "<q>technology_judgement 근거: 검토 결과 50점</q>" in page, "the evaluators' reasons beside"
    tokens = _tokens(page, page_path)

    below = client.post(page_path, data={**tokens, "decision": "designated", "reason": "위원회 의결"})
    assert below.status_code == 422
    assert '<a href="#override_reason">기준 미달 지정 사유</a>: 기준 점수 미만이면 필요합니다' in below.text
    assert ">위원회 의결</textarea>" in below.text, "the reason typed is kept"
    assert client.get(url, headers=admin).json()["status"] == "evaluated"

    tokens = _tokens(below.text, page_path)
    decision = {"decision": "rejected", "reason": "역량진단 점수가 기준에 미달합니다"}
    rejected = client.post(page_path, data={**tokens, **decision}, follow_redirects=False)
    assert rejected.headers["location"] == "/me/operator?done=rejected&company=org-vendor-3"
    decided = client.get(url, headers=admin).json()
    assert (decided["status"], decided["reason"]) == ("rejected", "역량진단 점수가 기준에 미달합니다")
    again = client.post(page_path, data={**tokens, **decision}, follow_redirects=False)
    assert again.headers["location"] == f"{page_path}?repeated=1"
    done = client.get(rejected.headers["location"]).text
    assert "위원회 의결로 지정하지 않았습니다: org-vendor-3." in done
    assert '<strong id="n-committee">0</strong>' in done
    assert 'id="decide"' not in client.get(page_path).text


def test_the_operator_creates_an_organisation_and_a_user(client: TestClient) -> None:
    _sign_in(client, "admin1", "/me/operator")
    listing = client.get("/me/operator/organisations").text
    assert '<a href="/me/operator/organisations/org-sme-1">데모 중소기업 1</a>' in listing
    tokens = _tokens(listing, "/me/operator/organisations")
    unchosen = client.post(
        "/me/operator/organisations", data={**tokens, "id": "org-sme-77", "name_ko": "칠칠정밀"}
    )
    assert unchosen.status_code == 422
    assert '<a href="#kind">기관 유형</a>: 필수 항목입니다' in unchosen.text
    assert 'value="칠칠정밀"' in unchosen.text, "what was typed is kept"
    bad_id = client.post(
        "/me/operator/organisations", data={**tokens, "id": "Org 77", "kind": "sme", "name_ko": "칠칠정밀"}
    )
    assert bad_id.status_code == 422 and '<a href="#id">기관 ID</a>: ' in bad_id.text
    made = client.post(
        "/me/operator/organisations",
        data={**tokens, "id": "org-sme-77", "kind": "sme", "name_ko": "칠칠정밀", "name_en": "Chilchil"},
        follow_redirects=False,
    )
    assert made.headers["location"] == "/me/operator/organisations/org-sme-77?done=created"
    page = client.get(made.headers["location"]).text
    assert "<h1>칠칠정밀</h1>" in page and "기관을 만들었습니다." in page

    action = "/me/operator/organisations/org-sme-77/users"
    user = {
        "_form": "user",
        "username": "park.jiwoo",
        "password": "Temp-2026-pass!",
        "temporary": "true",
        "role": "vendor",
        "email": "jiwoo@chilchil.example",
        "first_name": "지우",
        "last_name": "박",
    }
    wrong_role = client.post(action, data={**_tokens(page, action), **user})
    assert wrong_role.status_code == 422
    assert '<a href="#role-user">역할</a>: ' in wrong_role.text, "the API's refusal, the field in words"
    assert 'value="park.jiwoo"' in wrong_role.text and "Temp-2026-pass!" not in wrong_role.text
    created = client.post(
        action, data={**_tokens(wrong_role.text, action), **user, "role": "sme"}, follow_redirects=False
    )
    assert created.headers["location"] == "/me/operator/organisations/org-sme-77?done=user"
    listed = client.get(created.headers["location"]).text
    assert '<th scope="row">park.jiwoo</th><td>중소기업</td>' in listed and "임시 비밀번호" in listed


def test_the_operator_registers_rotates_and_disables_a_gateway_client(client: TestClient, auth: Auth) -> None:
    sme1 = auth("sme", org_id="org-sme-1")
    assert (
        client.post(
            COMPANIES, json=company_body(company_id="org-sme-1", kind="sme"), headers=sme1
        ).status_code
        == 201
    )
    factory = {"id": "factory-sme-1-b", "name": "제2공장", "region_code": "48", "industry_code": "C29"}
    assert client.post(f"{COMPANIES}/org-sme-1/factories", json=factory, headers=sme1).status_code == 201
    _sign_in(client, "admin1", "/me/operator")
    page_path = "/me/operator/organisations/org-sme-1"
    page = client.get(page_path).text
    assert '<option value="factory-sme-1-b">제2공장 (factory-sme-1-b)</option>' in page
    action = f"{page_path}/gateways"
    unchosen = client.post(action, data={**_tokens(page, action), "_form": "gateway"})
    assert (
        unchosen.status_code == 422
        and '<a href="#factory_id-gateway">공장</a>: 필수 항목입니다' in unchosen.text
    )

    tokens = _tokens(unchosen.text, action)
    form = {**tokens, "_form": "gateway", "factory_id": "factory-sme-1-b", "client_id": "gw-line-b"}
    shown = client.post(action, data=form, follow_redirects=False)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', shown.text)
    assert secret and "클라이언트 시크릿 (이번 한 번만 표시)" in shown.text
    token = client.post(
        "/dev-oidc/token",
        data={"grant_type": "client_credentials", "client_id": "gw-line-b", "client_secret": secret.group(1)},
    )
    assert token.status_code == 200, "the secret shown is the one that works"
    again = client.post(action, data=form, follow_redirects=False)
    assert again.headers["location"] == f"{page_path}?repeated=1", (
        "registered once, the secret not shown again"
    )
    assert 'id="client-secret"' not in client.get(page_path).text

    rotate = f"{page_path}/gateways/gw-line-b/rotate"
    rotated = client.post(rotate, data={**_tokens(client.get(page_path).text, rotate), "_form": "rotate"})
    new_secret = re.search(r'<code id="client-secret">([^<]+)</code>', rotated.text)
    assert rotated.status_code == 200 and new_secret and new_secret.group(1) != secret.group(1)
    old = {"grant_type": "client_credentials", "client_id": "gw-line-b", "client_secret": secret.group(1)}
    assert client.post("/dev-oidc/token", data=old).status_code == 401, "the former secret stops working"

    disable = f"{page_path}/gateways/gw-line-b/disable"
    disabled = client.post(
        disable,
        data={**_tokens(client.get(page_path).text, disable), "_form": "disable"},
        follow_redirects=False,
    )
    assert disabled.headers["location"] == f"{page_path}?done=disabled"
    after = client.get(disabled.headers["location"]).text
    assert "게이트웨이 클라이언트를 사용 중지했습니다." in after
    assert "<td>factory-sme-1-b</td><td>사용 중지</td>" in after
    assert f'action="{rotate}"' not in after, "a disabled client has no actions left"


def test_the_audit_log_pages_with_the_api_cursor(
    client: TestClient, proposed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operator, "AUDIT_PAGE", 2)
    _sign_in(client, "admin1", "/me/operator")
    first = client.get("/me/operator/audit", params={"actor": "vendor-kim"}).text
    rows = re.findall(r"<td><code>([^<]+)</code></td><td><code>([^<]+)</code></td></tr>", first)
    assert len(rows) == 2
    older = re.search(r'<a id="audit-next" href="([^"]+)">이전 기록</a>', first)
    assert older and "actor=vendor-kim" in older.group(1), "the next page keeps the filters"
    second = client.get(older.group(1).replace("&amp;", "&")).text
    more = re.findall(r"<td><code>([^<]+)</code></td><td><code>([^<]+)</code></td></tr>", second)
    assert more and not set(more) & set(rows)
