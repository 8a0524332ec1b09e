"""Role workspaces through the whole app (SQLite and PostgreSQL): the agency's queue and review, the SME's
confirmations and consents; the form kit's CSRF check, one-time submit tokens, errors in words, If-Match."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body
from tests.platform_api.portal.test_pages import _sign_in
from tests.services.companies.workflow import APPLICATION, evaluator
from tests.services.deployments.conftest import COMPANIES, URL, World, build_world, designate
from tests.services.deployments.test_lifecycle import in_state, light


def _tokens(page: str, action: str) -> dict[str, str]:
    """The hidden tokens of the form posting to ``action`` on ``page``."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, flags=re.S)
    assert form, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(0)))


def _status(world: World, record_id: str) -> str:
    return str(world.client.get(f"{URL}/{record_id}", headers=world.admin).json()["status"])


def test_the_agency_lands_on_its_queue_and_verifies_through_the_form(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    record = in_state(world, "confirmed")
    _sign_in(client, "agency1")
    assert client.get("/me", follow_redirects=False).headers["location"] == "/me/agency"
    home = client.get("/me/agency").text
    assert '<strong id="n-queue">1</strong> 검증 대기 구축정보' in home
    assert "역할: 전담기관" in home, "the header shows the role"
    assert "담당 지역: 부산광역시, 울산광역시, 경상남도" in home
    assert "로그인한 역할의 업무 공간입니다" in home and "공개된 자료만" not in home, "a private page"
    assert f'href="/me/agency/records/{record["id"]}">대성정밀 생산관리 시스템 구축</a>' in home
    assert "0일" in home and "기한 지남" not in home

    page_path = f"/me/agency/records/{record['id']}"
    review = client.get(page_path).text
    assert "inspection.pdf" in review and "확인됨 (검증 대기)" in review
    assert "<strong>확인</strong>" in review and "<strong>제출</strong>" in review, "the history, in words"
    tokens = _tokens(review, page_path)
    assert set(tokens) == {"csrf", "submit", "version"}

    forged = client.post(page_path, data={**tokens, "csrf": "0" * 32, "action": "verify"})
    assert forged.status_code == 403 and "로그인한 세션의 양식이 아니어서" in forged.text
    assert _status(world, record["id"]) == "confirmed", "a forged form does nothing"

    no_comment = client.post(page_path, data={**tokens, "action": "return", "comment": "  "})
    assert no_comment.status_code == 422
    assert '<a href="#comment">의견</a>: ' in no_comment.text, "the field is named in words"
    assert "body.comment" not in no_comment.text

    stale = client.post(page_path, data={**tokens, "action": "verify", "version": "1", "comment": "확인함"})
    assert stale.status_code == 412
    assert "다른 사람이 구축정보를 변경했습니다" in stale.text
    assert ">확인함</textarea>" in stale.text, "the comment typed is kept"

    fresh = _tokens(stale.text, page_path)
    verified = client.post(page_path, data={**fresh, "action": "verify"}, follow_redirects=False)
    assert verified.status_code == 303
    assert verified.headers["location"] == f"/me/agency?done=verify&record={record['id']}"
    assert _status(world, record["id"]) == "verified"
    again = client.post(page_path, data={**fresh, "action": "verify"}, follow_redirects=False)
    assert again.headers["location"] == f"{page_path}?repeated=1", "the same form twice acts once"
    history = client.get(f"{URL}/{record['id']}/history", headers=world.admin).json()["items"]
    assert [h["action"] for h in history].count("verify") == 1
    done = client.get(verified.headers["location"]).text
    assert "검증했습니다: 대성정밀 생산관리 시스템 구축" in done
    assert '<strong id="n-queue">0</strong>' in done


def test_the_agency_cannot_act_outside_its_regions(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    site = {"factory_id": "factory-sme-2-a", "name": "서울 공장", "region_code": "11", "industry_code": "C29"}
    seoul = light(world, world.sme2, sme_company_id="org-sme-2", factory=site)
    for action, who in (("submit", world.sme2), ("confirm", world.vendor)):
        assert world.act(seoul, action, who).status_code == 200
    _sign_in(client, "agency1")
    assert "검증 대기 구축정보" in client.get("/me/agency").text
    assert seoul["id"] not in client.get("/me/agency").text
    review = client.get(f"/me/agency/records/{seoul['id']}")
    assert review.status_code == 404, "a record of another region does not exist for this reviewer"
    # A form copied from a page of its own region, posted at the other region's record: the API refuses.
    own = in_state(world, "confirmed")
    tokens = _tokens(client.get(f"/me/agency/records/{own['id']}").text, f"/me/agency/records/{own['id']}")
    answer = client.post(
        f"/me/agency/records/{seoul['id']}", data={**tokens, "action": "verify", "version": ""}
    )
    assert answer.status_code == 404
    assert _status(world, seoul["id"]) == "confirmed"


def test_the_sme_disputes_a_record_and_manages_consents(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    drafted = light(world, world.vendor, title_ko="공급기업이 등록한 MES 구축")
    assert world.act(drafted, "submit", world.vendor).status_code == 200
    _sign_in(client, "sme1", "/me/sme")
    home = client.get("/me/sme").text
    assert '<strong id="n-confirm">1</strong> 내 확인을 기다리는 구축정보' in home
    assert "역할: 중소기업" in home and 'href="/me/sme" aria-current="page"' in home
    action = f"/me/sme/records/{drafted['id']}"
    tokens = _tokens(home, action)

    empty = client.post(action, data={**tokens, "action": "return"})
    assert empty.status_code == 422 and '<a href="#comment-' in empty.text and ">의견</a>: " in empty.text
    disputed = client.post(
        action, data={**tokens, "action": "return", "comment": "계약 금액이 다릅니다"}, follow_redirects=False
    )
    assert disputed.headers["location"] == "/me/sme?done=dispute"
    record = client.get(f"{URL}/{drafted['id']}", headers=world.admin).json()
    assert (record["status"], record["return_comment"]) == ("draft", "계약 금액이 다릅니다")

    grant = _tokens(client.get("/me/sme").text, "/me/sme/consents")
    unselected = client.post("/me/sme/consents", data=grant)
    assert unselected.status_code == 422
    assert '<a href="#supplier">공급기업</a>: 필수 항목입니다' in unselected.text
    assert "문자열이어야" not in unselected.text
    unregistered = client.post("/me/sme/consents", data={**grant, "supplier": "org-vendor-3"})
    assert unregistered.status_code == 422, "org-vendor-3 is a company but no organisation of the platform"
    assert '<a href="#supplier">공급기업</a>: 등록된 공급기업이어야 합니다' in unregistered.text
    assert 'value="org-vendor-3"' not in unregistered.text, "only what the consents API accepts is offered"

    vendor1 = auth("vendor", org_id="org-vendor-1", username="vendor1")
    made = client.post(
        COMPANIES, json=company_body(company_id="org-vendor-1", brn_first9="520816251"), headers=vendor1
    )
    assert made.status_code == 201, made.text
    light(world, world.sme, supplier="org-vendor-1")
    offered = client.get("/me/sme").text
    assert re.search(r'<option value="org-vendor-1">[^<]+ — 내 구축 공급기업</option>', offered)
    grant = _tokens(offered, "/me/sme/consents")
    given = client.post(
        "/me/sme/consents", data={**grant, "supplier": "org-vendor-1"}, follow_redirects=False
    )
    assert given.headers.get("location") == "/me/sme?done=grant"
    listed = client.get("/me/sme?done=grant").text
    assert "동의했습니다." in listed
    assert re.search(r'<th scope="row">[^<]+ <span class="meta">org-vendor-1</span></th>', listed)
    assert "<td>유효</td>" in listed
    consent_id = re.search(r'action="/me/sme/consents/([^/"]+)/revoke"', listed)
    assert consent_id
    revoke_path = f"/me/sme/consents/{consent_id.group(1)}/revoke"
    revoked = client.post(revoke_path, data=_tokens(listed, revoke_path), follow_redirects=False)
    assert revoked.headers["location"] == "/me/sme?done=revoke"
    consents = client.get("/api/v1/identity/consents", headers=world.sme).json()["items"]
    assert [(c["grantee_org_id"], c["active"]) for c in consents] == [("org-vendor-1", False)]


def test_workspace_pages_need_the_role(client: TestClient) -> None:
    assert client.get("/me/agency", follow_redirects=False).headers["location"] == "/login?next=/me/agency"
    _sign_in(client, "vendor1")
    assert client.get("/me/agency", follow_redirects=False).headers["location"] == "/me"
    assert client.get("/me/sme", follow_redirects=False).headers["location"] == "/me"
    english = client.get("/me/vendor", params={"lang": "en"}).text
    assert "Role: Supplier" in english


def test_the_evaluator_scores_only_its_assignment_and_declares_a_conflict(
    client: TestClient, auth: Auth
) -> None:
    admin = auth("admin", org_id="org-operator")
    applications = []
    for company_id, first9 in (
        ("org-vendor-3", "220816251"),
        ("org-vendor-5", "420816251"),
        ("org-vendor-6", "620816251"),
    ):
        headers = auth("vendor", org_id=company_id)
        body = company_body(company_id=company_id, brn_first9=first9)
        assert client.post(COMPANIES, json=body, headers=headers).status_code == 201
        made = client.post(f"{COMPANIES}/{company_id}/designations", json=APPLICATION, headers=headers)
        assert made.status_code == 201, made.text
        url = f"{COMPANIES}/{company_id}/designations/{made.json()['id']}"
        assert client.post(f"{url}/completeness", json={"complete": True}, headers=admin).status_code == 200
        applications.append((company_id, made.json()["id"], url))
    evaluator(client, auth, "dev-user-evaluator1", org_id="org-evaluators")
    for _, _, url in applications[:2]:  # org-vendor-6's application is someone else's to judge
        assigned = client.post(
            f"{url}/assignments", json={"evaluator_id": "dev-user-evaluator1"}, headers=admin
        )
        assert assigned.status_code == 200, assigned.text

    _sign_in(client, "evaluator1")
    assert client.get("/me", follow_redirects=False).headers["location"] == "/me/evaluator"
    home = client.get("/me/evaluator").text
    assert '<strong id="n-score">2</strong> 평가할 신청' in home and "역할: 평가위원" in home
    assert "org-vendor-6" not in home
    other = applications[2]
    assert client.get(f"/me/evaluator/{other[0]}/{other[1]}").status_code == 404, "not assigned: not shown"

    company_id, app_id, url = applications[0]
    page_path = f"/me/evaluator/{company_id}/{app_id}"
    page = client.get(page_path).text
    technology = page[page.index('id="h-technology_judgement"') : page.index('id="h-organisation_judgement"')]
    assert "특허 제10-2345678호" in technology and "GS인증서" in technology, (
        "the evidence beside the indicator"
    )
    assert "4대보험 가입자 명부" not in technology, "that is the organisation area's evidence"

    tokens = _tokens(page, page_path)
    scores = {
        "technology_judgement.score": "80",
        "technology_judgement.reason": "핵심 모듈을 자체 개발하여 특허로 보호함",
        "organisation_judgement.score": "70",
        "organisation_judgement.reason": "짧음",
        "finance_judgement.score": "",
        "finance_judgement.reason": "3년 연속 흑자, 부채비율 150%",
    }
    refused = client.post(page_path, data={**tokens, "_form": "scores", **scores})
    assert refused.status_code == 422
    assert '<a href="#organisation_judgement.reason">조직역량 평가 · 사유</a>: ' in refused.text
    assert '<a href="#finance_judgement.score">재무건전성 평가 · 점수</a>: 필수 항목입니다' in refused.text
    assert "핵심 모듈을 자체 개발하여 특허로 보호함</textarea>" in refused.text, "what was typed is kept"

    scores |= {
        "organisation_judgement.reason": "사후관리 전담 인력 5명, 대응 체계 양호",
        "finance_judgement.score": "60",
    }
    tokens = _tokens(refused.text, page_path)
    done = client.post(page_path, data={**tokens, "_form": "scores", **scores}, follow_redirects=False)
    assert done.headers["location"] == "/me/evaluator?done=scored"
    evaluator1 = auth("evaluator", org_id="org-evaluators", subject="dev-user-evaluator1")
    judged = client.get(url, headers=evaluator1).json()
    assert [a["submitted_at"] is not None for a in judged["assignments"]] == [True]

    company_id, app_id, url = applications[1]
    conflict_path = f"/me/evaluator/{company_id}/{app_id}/conflict"
    tokens = _tokens(client.get(f"/me/evaluator/{company_id}/{app_id}").text, conflict_path)
    declared = client.post(
        conflict_path, data={**tokens, "_form": "conflict", "reason": "최근 3년 내 자문 계약"}
    )
    assert declared.status_code == 200 and "이해충돌을 신고했습니다" in declared.text
    assert f"/me/evaluator/{company_id}/{app_id}" not in declared.text, "the assignment is withdrawn"


def test_the_targets_page_shows_the_plan_by_region_and_field(client: TestClient, auth: Auth) -> None:
    admin = auth("admin", org_id="org-operator")
    vendor = auth("vendor", org_id="org-vendor-3")
    assert client.post(COMPANIES, json=company_body(region="48"), headers=vendor).status_code == 201
    designate(client, admin, "org-vendor-3", date(2025, 3, 1))
    page = client.get("/targets").text
    goals = page[page.index('id="goals"') : page.index("</table>", page.index('id="goals"'))]
    assert re.search(r"전문기업 지정</th><td class=\"n\">1</td><td class=\"n\">500</td>", goals)
    assert '글로벌 진출 전문기업</th><td class="n">0</td><td class="n">200</td>' in goals
    assert "핵심장비 데이터 표준화" in goals and "중소기업 기술수준" in goals
    by_region = page[page.index('id="by-region"') :]
    assert re.search(r'<th scope="row">경상남도</th><td class="n">1</td><td class="n">0</td>', by_region)
    by_field = page[page.index('id="by-field"') :]
    assert '<tr class="strategic"><th scope="row">' in by_field
    assert by_field.count('<tr class="strategic">') == 7 and by_field.count("<tr") == 7 + 14 - 7 + 4 + 1
    assert 'href="/api/v1/companies/dashboard/targets.csv"' in page
    csv = client.get("/api/v1/companies/dashboard/targets.csv")
    assert csv.status_code == 200 and "specialist_companies,region:48,value,1" in csv.text
    assert "Plan targets and progress" in client.get("/targets", params={"lang": "en"}).text


def test_the_sme_opens_an_after_care_ticket_once(client: TestClient, auth: Auth) -> None:
    world = build_world(client, auth)
    record = world.live_on(world.create(), date.today() - timedelta(days=10))
    _sign_in(client, "sme1", "/me/sme")
    home = client.get("/me/sme").text
    assert "<strong>1</strong> 사후관리 기간 중인 구축정보" in home
    action = f"/me/sme/records/{record['id']}/tickets"
    tokens = _tokens(home, action)
    unselected = client.post(
        action, data={**tokens, "title": "MES 화면 멈춤", "description": "", "severity": ""}
    )
    assert unselected.status_code == 422
    assert f'<a href="#severity-{record["id"]}">심각도</a>: 필수 항목입니다' in unselected.text
    assert f'<a href="#description-{record["id"]}">내용</a>: 필수 항목입니다' in unselected.text
    assert 'value="MES 화면 멈춤"' in unselected.text and '<details class="card" open>' in unselected.text
    ticket = {
        **tokens,
        "title": "MES 화면 멈춤",
        "description": "2라인 작업지시 화면 응답 없음",
        "severity": "major",
    }
    opened = client.post(action, data=ticket, follow_redirects=False)
    assert opened.headers["location"] == "/me/sme?done=ticket"
    twice = client.post(action, data=ticket, follow_redirects=False)
    assert twice.headers["location"] == "/me/sme?repeated=1"
    tickets = client.get(f"{URL}/{record['id']}/tickets", headers=world.sme).json()["items"]
    assert [(t["title"], t["severity"]) for t in tickets] == [("MES 화면 멈춤", "major")]
