"""The supplier's catalogue pages through the whole app (SQLite and PostgreSQL): its AI cases (create, edit
with the ETag conflict explained, unpublish, delete after a confirmation, links to its records and to
published models), a standard imported from a real MTConnect document and proposed for review, and an
application for specialist designation followed to the committee's decision. Errors named in words, a
double submit acting once, another supplier's case refused."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body, model_body
from tests.interop import SAMPLES
from tests.platform_api.portal.test_pages import _sign_in
from tests.services.companies.workflow import evaluator, judgements

USECASES = "/api/v1/usecases"
STANDARDS = "/api/v1/standards"
COMPANIES = "/api/v1/companies"
CASE_FORM = {
    "title.ko": "프레스 금형 마모 예측",
    "title.en": "Press die wear prediction",
    "summary.ko": "하중 데이터로 금형 교체 시점을 예측합니다.",
    "summary.en": "Ram force predicts when to change the die.",
    "problem_type": "predictive_maintenance",
    "technique": "gradient_boosting",
    "region_code": "48",
    "industry_code": "C29",
    "data_used": "램 하중, 스트로크 수",
    "effects[0].metric.ko": "금형 파손",
    "effects[0].metric.en": "Die breakage",
    "effects[0].unit": "건/월",
    "effects[0].before": "4",
    "effects[0].after": "1",
}


def _tokens(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` on ``page``."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, flags=re.S)
    assert form, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([\w.]+)" value="([^"]*)">', form.group(0)))


def _published_model(client: TestClient, admin: dict[str, str]) -> None:
    made = client.post(STANDARDS, json=model_body(model_id="press-line"), headers=admin)
    assert made.status_code == 201, made.text
    published = client.post(f"{STANDARDS}/press-line/versions/1.0.0/publish", headers=admin)
    assert published.status_code == 200, published.text


def test_the_supplier_creates_edits_unpublishes_and_deletes_a_case(client: TestClient, auth: Auth) -> None:
    _published_model(client, auth("admin", org_id="org-operator"))
    vendor_api = auth("vendor", org_id="org-vendor-1")
    _sign_in(client, "vendor1", "/me/vendor/cases")
    assert "아직 등록한 AI 활용 사례가 없습니다" in client.get("/me/vendor/cases").text
    assert client.get("/me/cases/new", follow_redirects=False).headers["location"] == "/me/vendor/cases/new"

    new = client.get("/me/vendor/cases/new").text
    assert '<option value="press-line@1.0.0">CNC 선반 1.0.0</option>' in new, "the published model is offered"
    assert 'name="deployment_id"' in new and '<input type="text" id="deployment_id"' not in new
    tokens = _tokens(new, "/me/vendor/cases/new")
    assert set(tokens) == {"csrf", "submit"}
    refused = client.post("/me/vendor/cases/new", data={**tokens, **CASE_FORM, "effects[0].before": "abc"})
    assert refused.status_code == 422
    assert '<a href="#effects[0].before">효과 1 · 도입 전</a>' in refused.text, "the field named in words"
    assert 'aria-invalid="true" aria-describedby="err-effects-0-before"' in refused.text
    assert 'value="프레스 금형 마모 예측"' in refused.text, "the values typed are kept"
    forged = client.post("/me/vendor/cases/new", data={**tokens, **CASE_FORM, "csrf": "0" * 32})
    assert forged.status_code == 403

    picked = {**tokens, **CASE_FORM, "models": "press-line@1.0.0"}
    created = client.post("/me/vendor/cases/new", data=picked, follow_redirects=False)
    assert created.status_code == 303
    case_id = created.headers["location"].rsplit("case=", 1)[1]
    again = client.post("/me/vendor/cases/new", data=picked, follow_redirects=False)
    assert again.headers["location"] == "/me/vendor/cases?repeated=1", "the same form twice creates once"
    mine = client.get(USECASES, params={"owner_org_id": "org-vendor-1"}, headers=vendor_api).json()["items"]
    assert [c["id"] for c in mine if c["title"]["ko"] == "프레스 금형 마모 예측"] == [case_id]
    stored = client.get(f"{USECASES}/{case_id}", headers=vendor_api).json()
    assert stored["equipment_model_refs"] == [{"model_id": "press-line", "version": "1.0.0"}]
    assert [d["ko"] for d in stored["data_used"]] == ["램 하중", "스트로크 수"]

    listed = client.get(created.headers["location"]).text
    assert "초안으로 저장했습니다: 프레스 금형 마모 예측" in listed
    assert '<strong id="n-drafts">1</strong>' in listed
    publish = f"/me/vendor/cases/{case_id}/publish"
    assert client.post(publish, data=_tokens(listed, publish), follow_redirects=False).status_code == 303
    assert client.get(f"{USECASES}/{case_id}").json()["status"] == "published"

    edit_path = f"/me/vendor/cases/{case_id}/edit"
    edit = client.get(edit_path).text
    assert 'value="프레스 금형 마모 예측"' in edit and 'value="4"' in edit
    assert '<option value="press-line@1.0.0" selected>' in edit
    opened = _tokens(edit, edit_path)
    published = client.get(f"{USECASES}/{case_id}").json()
    assert published["version"] > stored["version"], "publishing moved the version"
    assert opened["version"] == str(published["version"])
    # Someone else changes the case after the page was opened.
    meanwhile = client.patch(
        f"{USECASES}/{case_id}", json={"technique": "time_series_forecasting"}, headers=vendor_api
    )
    assert meanwhile.status_code == 200
    fields = {**opened, **CASE_FORM, "title.ko": "프레스 금형 수명 예측", "models": "press-line@1.0.0"}
    stale = client.post(edit_path, data=fields)
    assert stale.status_code == 412
    assert "이 화면을 연 뒤에 다른 사람이 활용 사례를 변경했습니다" in stale.text
    assert 'value="프레스 금형 수명 예측"' in stale.text, "the values typed are kept"
    current = _tokens(stale.text, edit_path)
    assert current["version"] == str(meanwhile.json()["version"]), "saving again is against the current one"
    saved = client.post(edit_path, data={**fields, **current}, follow_redirects=False)
    assert saved.headers["location"] == f"/me/vendor/cases?done=saved&case={case_id}"
    after = client.get(f"{USECASES}/{case_id}").json()
    assert (after["title"]["ko"], after["technique"]) == ("프레스 금형 수명 예측", "gradient_boosting")
    assert [(d["ko"], d["en"]) for d in after["data_used"]] == [("램 하중", None), ("스트로크 수", None)]

    listed = client.get("/me/vendor/cases").text
    unpublish = f"/me/vendor/cases/{case_id}/unpublish"
    unpublished = client.post(unpublish, data=_tokens(listed, unpublish), follow_redirects=False)
    assert unpublished.headers["location"] == f"/me/vendor/cases?done=unpublished&case={case_id}"
    assert client.get(f"{USECASES}/{case_id}").status_code == 404, "a draft is no longer public"
    shown = client.get(unpublished.headers["location"]).text
    assert "공개를 취소하고 초안으로 돌렸습니다: 프레스 금형 수명 예측" in shown

    delete_path = f"/me/vendor/cases/{case_id}/delete"
    confirm = client.get(delete_path).text
    assert "이 초안을 영구히 삭제합니다." in confirm
    deleted = client.post(delete_path, data=_tokens(confirm, delete_path), follow_redirects=False)
    assert deleted.headers["location"] == f"/me/vendor/cases?done=deleted&case={case_id}"
    assert client.get(f"{USECASES}/{case_id}", headers=vendor_api).status_code == 404
    assert "활용 사례를 삭제했습니다." in client.get(deleted.headers["location"]).text


def test_another_suppliers_case_is_neither_offered_nor_changed(client: TestClient, auth: Auth) -> None:
    other = auth("vendor", org_id="org-vendor-2")
    made = client.post(USECASES, json=_api_case(), headers=other)
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    assert client.post(f"{USECASES}/{case_id}/publish", headers=other).status_code == 200
    _sign_in(client, "vendor1", "/me/vendor/cases")
    listed = client.get("/me/vendor/cases").text
    assert case_id not in listed
    assert client.get(f"/me/vendor/cases/{case_id}/edit").status_code == 404
    assert client.get(f"/me/vendor/cases/{case_id}/delete").status_code == 404
    # A form of its own page, posted at the other supplier's case: the API refuses, nothing changes.
    unpublish = f"/me/vendor/cases/{case_id}/unpublish"
    refused = client.post(
        unpublish, data=_tokens(client.get("/me/vendor/cases/new").text, "/me/vendor/cases/new")
    )
    assert refused.status_code == 403, refused.text[refused.text.find("<main") :][:3000]
    assert "이 계정으로는 할 수 없습니다." in refused.text
    assert client.get(f"{USECASES}/{case_id}").json()["status"] == "published"
    client.post("/logout")
    _sign_in(client, "sme1")
    assert client.get("/me/vendor/cases", follow_redirects=False).headers["location"] == "/me"


def _api_case() -> dict[str, Any]:
    return {
        "title": {"ko": "다른 공급기업의 사례", "en": "Another supplier's case"},
        "summary": {"ko": "요약", "en": "Summary"},
        "problem_type": "quality_inspection",
        "technique": "anomaly_detection",
        "effects": [{"metric": {"ko": "불량률", "en": "Defect rate"}, "unit": "%", "before": 3, "after": 1}],
        "region_code": "11",
        "industry_code": "C29",
    }


def test_the_supplier_imports_a_real_mtconnect_document_and_proposes_it(
    client: TestClient, auth: Auth
) -> None:
    _sign_in(client, "vendor1", "/me/vendor/standards")
    home = client.get("/me/vendor/standards").text
    assert "아직 등록한 설비 모델이 없습니다." in home
    tokens = _tokens(home, "/me/vendor/standards/import")
    # An agent's probe of a real CMP machine: a few samples mapped, the rest dropped with reasons.
    document = (SAMPLES / "mtconnect" / "128.32.164.245.xml").read_bytes()

    unchosen = client.post("/me/vendor/standards/import", data={**tokens, "model_id": "vmc-ref"})
    assert unchosen.status_code == 422
    assert '<a href="#format">문서의 표준</a>: 필수 항목입니다' in unchosen.text
    no_file = client.post(
        "/me/vendor/standards/import",
        data={**tokens, "format": "mtconnect", "model_id": "vmc-ref"},
        files={"document": ("", b"", "application/octet-stream")},
    )
    assert no_file.status_code == 422 and '<a href="#document">문서 파일</a>: ' in no_file.text
    bad_id = client.post(
        "/me/vendor/standards/import",
        data={**tokens, "format": "mtconnect", "model_id": "VMC REF"},
        files={"document": ("128.32.164.245.xml", document, "application/xml")},
    )
    assert bad_id.status_code == 422 and '<a href="#model_id">모델 ID</a>: ' in bad_id.text
    assert 'value="VMC REF"' in bad_id.text

    form = {**tokens, "format": "mtconnect", "model_id": "vmc-ref", "name_ko": "참조 머시닝센터"}
    upload = {"document": ("128.32.164.245.xml", document, "application/xml")}
    imported = client.post("/me/vendor/standards/import", data=form, files=upload, follow_redirects=False)
    assert imported.status_code == 303, imported.text
    assert imported.headers["location"] == "/me/vendor/standards/vmc-ref/0.1.0?done=imported"
    twice = client.post("/me/vendor/standards/import", data=form, files=upload, follow_redirects=False)
    assert twice.headers["location"] == "/me/vendor/standards?repeated=1"

    vendor_api = auth("vendor", org_id="org-vendor-1")
    report_url = f"{STANDARDS}/vmc-ref/versions/0.1.0/import-report"
    report = client.get(report_url, params={"lang": "ko"}, headers=vendor_api)
    expected = report.json()
    page = client.get(imported.headers["location"]).text
    assert "초안으로 가져왔습니다." in page and '<span class="badge" id="version-status">초안</span>' in page
    assert f'<strong id="n-mapped">{expected["counts"]["mapped"]}</strong> 데이터 항목으로 매핑' in page
    assert f'<strong id="n-dropped">{expected["counts"]["dropped"]}</strong> 제외' in page
    assert expected["counts"]["mapped"] > 0 and expected["dropped"], "the sample maps some and drops some"
    for mapped in expected["mapped"]:
        assert f"<td><code>{mapped['item_id']}</code></td>" in page
    for dropped in expected["dropped"][:3]:
        assert f"<td>{dropped['reason']}</td>" in page.replace("&#39;", "'"), "the reasons, in Korean"

    propose = "/me/vendor/standards/vmc-ref/0.1.0/propose"
    sent = client.post(
        propose, data={**_tokens(page, propose), "comment": "검토 부탁드립니다"}, follow_redirects=False
    )
    assert sent.headers["location"] == "/me/vendor/standards?done=proposed&model=vmc-ref@0.1.0"
    admin = auth("admin", org_id="org-operator")
    reviewed = client.post(
        f"{STANDARDS}/vmc-ref/versions/0.1.0/reviews",
        json={"decision": "request_changes", "comment": "단위를 확인해 주세요"},
        headers=admin,
    )
    assert reviewed.status_code == 200, reviewed.text
    listed = client.get("/me/vendor/standards").text
    assert '<span class="badge warn">수정 요청됨</span>' in listed
    assert "<strong>수정 요청</strong>" in listed and "<q>단위를 확인해 주세요</q>" in listed, (
        "the reviewer's word"
    )
    reopened = client.get("/me/vendor/standards/vmc-ref/0.1.0").text
    assert "<q>단위를 확인해 주세요</q>" in reopened
    resent = client.post(propose, data=_tokens(reopened, propose), follow_redirects=False)
    assert resent.status_code == 303
    shown = client.get("/me/vendor/standards/vmc-ref/0.1.0").text
    assert '<span class="badge" id="version-status">제안됨 (검토 대기)</span>' in shown
    assert 'id="propose"' not in shown, "nothing to propose while the operators review it"
    fresh = _tokens(client.get("/me/vendor/standards").text, "/me/vendor/standards/import")
    refused = client.post(propose, data=fresh)
    assert refused.status_code == 409, "a proposed version is not proposed again"
    assert "이 버전은 현재 상태에서 검토를 요청할 수 없습니다." in refused.text


def test_the_supplier_applies_for_designation_and_follows_it(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-1", username="vendor1")
    made = client.post(
        COMPANIES, json=company_body(company_id="org-vendor-1", brn_first9="520816251"), headers=vendor
    )
    assert made.status_code == 201, made.text
    _sign_in(client, "vendor1", "/me/vendor/designation")
    page = client.get("/me/vendor/designation").text
    assert "지정 신청 내역이 없습니다." in page
    assert 'name="declared.patents"' in page
    tokens = _tokens(page, "/me/vendor/designation")

    nothing = client.post("/me/vendor/designation", data={**tokens, "declared.patents": "많음"})
    assert nothing.status_code == 422
    assert '<a href="#fields">전문 분야</a>: ' in nothing.text
    assert 'value="많음"' in nothing.text

    form = {
        **tokens,
        "fields": ["INFO-MES", "INTL-AI"],
        "declared.patents": "2",
        "declared.certifications": "1",
        "declared.technical_staff": "10",
        "declared.revenue": "3,000,000,000",
        "declared.exports": "0",
        "evidence[0].indicator": "patents",
        "evidence[0].title": "특허 제10-2345678호",
        "evidence[1].indicator": "certifications",
        "evidence[1].title": "GS인증서",
        "evidence[2].indicator": "technical_staff",
        "evidence[2].title": "4대보험 가입자 명부",
        "evidence[3].indicator": "revenue",
        "evidence[3].title": "2025년 재무제표",
        "evidence[3].uri": "https://example.com/fs-2025.pdf",
    }
    applied = client.post("/me/vendor/designation", data=form, follow_redirects=False)
    assert applied.headers["location"] == "/me/vendor/designation?done=applied"
    twice = client.post("/me/vendor/designation", data=form, follow_redirects=False)
    assert twice.headers["location"] == "/me/vendor/designation?repeated=1"
    applications = client.get(f"{COMPANIES}/org-vendor-1/designations", headers=vendor).json()["items"]
    assert len(applications) == 1
    application = applications[0]
    assert application["declared"]["revenue"] == 3e9 and application["fields"] == ["INFO-MES", "INTL-AI"]
    assert application["evidence"][3]["uri"] == "https://example.com/fs-2025.pdf"

    shown = client.get(applied.headers["location"]).text
    assert "신청서를 제출했습니다." in shown
    assert 'data-status="submitted">접수</span>' in shown
    assert 'id="apply-closed"' in shown, "no second application while one is under way"

    admin = auth("admin", org_id="org-operator")
    url = f"{COMPANIES}/org-vendor-1/designations/{application['id']}"
    assert client.post(f"{url}/completeness", json={"complete": True}, headers=admin).status_code == 200
    for n in (1, 2):  # the committee decides once two evaluators have judged
        subject = f"dev-user-evaluator-v{n}"
        judge = evaluator(client, auth, subject, org_id="org-evaluators")
        assigned = client.post(f"{url}/assignments", json={"evaluator_id": subject}, headers=admin)
        assert assigned.status_code == 200, assigned.text
        if n == 1:
            assert 'data-status="in_review">심사 중</span>' in client.get("/me/vendor/designation").text
        scored = client.put(f"{url}/evaluation", json=judgements(85, 80, 75), headers=judge)
        assert scored.status_code == 200, scored.text
    decided = client.post(
        f"{url}/decision",
        json={"decision": "designated", "reason": "실적과 역량이 충분함", "override_reason": "시범 지정"},
        headers=admin,
    )
    assert decided.status_code == 200, decided.text
    final = client.get("/me/vendor/designation").text
    assert 'data-status="designated">지정</span>' in final
    assert "<q>실적과 역량이 충분함</q>" in final
    assert 'id="apply-closed"' not in final
