"""The supplier's workspace through the whole app (SQLite and PostgreSQL): its home with the pending work
counted, the records by state, a draft filed with the registry pickers, evidence, stage dates, submission,
a stale edit explained, a send-back answered, and another supplier's record refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.portal.workspaces import vendor
from tests.conftest import Auth
from tests.factories import company_body
from tests.platform_api.portal.test_pages import _sign_in
from tests.platform_api.portal.test_workspaces import _tokens
from tests.services.deployments.conftest import COMPANIES, PDF, URL, World, build_world
from tests.services.deployments.test_lifecycle import light

NEW = "/me/vendor/records/new"
DRAFT = {
    "title_ko": "포털에서 작성한 MES 구축",
    "title_en": "MES filed in the portal",
    "sme_company_id": "org-sme-1",
    "factory_id": "factory-sme-1-a",
    "subfield_code": "INFO-MES",
    "solution_ko": "클라우드 MES",
    "solution_en": "Cloud MES",
    "level_before": "기초",
    "level_after": "중간1",
    "programme_code": "BASIC",
    "contract_number": "2025-SF-0777",
    "signed_on": "2025-03-01",
    "support_amount_krw": "50000000",
    "company_share_krw": "50000000",
}


def _vendor1(client: TestClient, auth: Auth) -> tuple[World, dict[str, str]]:
    """The deployments world, vendor1's company (org-vendor-1), and one record org-sme-1 drafted naming
    vendor1 as its supplier: so vendor1 knows factory-sme-1-a of org-sme-1."""
    world = build_world(client, auth)
    headers = auth("vendor", org_id="org-vendor-1", username="vendor1")
    made = client.post(
        COMPANIES, json=company_body(company_id="org-vendor-1", brn_first9="520816251"), headers=headers
    )
    assert made.status_code == 201, made.text
    light(world, world.sme, supplier="org-vendor-1", title_ko="중소기업이 작성 중인 구축")
    return world, headers


def _record(world: World, record_id: str) -> dict[str, Any]:
    return dict(world.client.get(f"{URL}/{record_id}", headers=world.admin).json())


def _mine(world: World, status: str) -> list[dict[str, Any]]:
    found = world.client.get(f"{URL}/workspace", params={"status": status}, headers=world.admin).json()
    return [r for r in found["items"] if r["owner_org_id"] == "org-vendor-1"]


def test_the_vendor_files_a_draft_with_pickers_attaches_evidence_and_submits(
    client: TestClient, auth: Auth
) -> None:
    world, _ = _vendor1(client, auth)
    _sign_in(client, "vendor1")
    assert client.get("/me", follow_redirects=False).headers["location"] == "/me/vendor"
    home = client.get("/me/vendor").text
    assert "역할: 공급기업" in home and "공급기업 페이지" in home
    assert '<strong id="n-draft">0</strong> 작성 중' in home
    assert '<strong id="n-case-drafts">0</strong> 공개 전 AI 사례 초안' in home
    for section in (
        "/me/vendor/records",
        "/me/vendor/cases",
        "/me/vendor/standards",
        "/me/vendor/designation",
    ):
        assert f'href="{section}"' in home
    listed = client.get("/me/vendor/records").text
    assert "중소기업 작성 중 (1)" in listed and "중소기업이 작성 중인 구축" in listed

    form = client.get(NEW).text
    assert '<option value="org-sme-1">(주)한국MES · 경기 — 함께한 기업</option>' in form
    assert '<option value="org-sme-2">(주)한국MES · 서울</option>' in form, "an SME not worked with yet"
    assert '<optgroup label="(주)한국MES">' in form and 'value="factory-sme-1-a" data-sme="org-sme-1"' in form
    assert (
        '<option value="BASIC">기초</option>' in form
        and '<option value="INFO-MES">생산관리 시스템</option>' in form
    )
    assert 'type="text" id="sme_company_id"' not in form and 'type="text" id="factory_id"' not in form
    tokens = _tokens(form, NEW)

    unpicked = client.post(NEW, data={**tokens, **DRAFT, "sme_company_id": "", "factory_id": ""})
    assert unpicked.status_code == 422, "the pickers left unchosen are named in words"
    assert '<a href="#sme_company_id">도입 기업</a>: 필수 항목입니다' in unpicked.text
    assert 'href="#factory_id"' not in unpicked.text, "the factory may be left to the SME"
    assert "문자열이어야" not in unpicked.text and 'value="포털에서 작성한 MES 구축"' in unpicked.text
    elsewhere = client.post(NEW, data={**tokens, **DRAFT, "sme_company_id": "org-sme-2"})
    assert elsewhere.status_code == 422
    assert '<a href="#factory_id">공장</a>: 위에서 고른 중소기업의 공장을 고르십시오.' in elsewhere.text
    assert _mine(world, "draft") == [], "nothing was filed"

    created = client.post(NEW, data={**tokens, **DRAFT}, follow_redirects=False)
    assert created.status_code == 303
    page_path = created.headers["location"].split("?")[0]
    record_id = page_path.rsplit("/", 1)[1]
    assert created.headers["location"] == f"/me/vendor/records/{record_id}?done=created"
    again = client.post(NEW, data={**tokens, **DRAFT}, follow_redirects=False)
    assert again.headers["location"] == f"{NEW}?repeated=1", "the same form twice files once"
    assert [r["id"] for r in _mine(world, "draft")] == [record_id]
    record = _record(world, record_id)
    assert (record["drafted_by"], record["supplier_company_ids"], record["sme_name"]) == (
        "vendor",
        ["org-vendor-1"],
        "(주)한국MES",
    )
    assert record["factory"]["factory_id"] == "factory-sme-1-a" and record["factory"]["region_code"] == "48"
    assert record["solutions"] == [
        {
            "subfield_code": "INFO-MES",
            "name": {"ko": "클라우드 MES", "en": "Cloud MES"},
            "supplier_company_id": "org-vendor-1",
        }
    ]

    page = client.get(created.headers["location"]).text
    assert "초안을 저장했습니다." in page and '<span class="badge" id="record-state">작성 중</span>' in page
    assert "비공개: 이 구축정보는 당사자, 지역 전담기관, 운영자만 볼 수 있습니다." in page
    assert "<strong>작성</strong>" in page, "the history, in words"

    upload_path = f"{page_path}/documents"
    no_file = client.post(upload_path, data=_tokens(page, upload_path))
    assert no_file.status_code == 422
    assert '<a href="#file">증빙 파일</a>: 올릴 파일을 고르십시오.' in no_file.text
    uploaded = client.post(
        upload_path,
        data={**_tokens(no_file.text, upload_path), "stage_code": "INSPECT"},
        files={"file": ("검수확인서.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert uploaded.headers["location"] == f"{page_path}?done=uploaded"
    assert [d["filename"] for d in _record(world, record_id)["documents"]] == ["검수확인서.pdf"]

    page = client.get(page_path).text
    submit_path = f"{page_path}/submit"
    early = client.post(submit_path, data=_tokens(page, submit_path))
    assert early.status_code == 409
    assert "아직 이 단계를 진행할 수 없습니다" in early.text
    assert '<a href="#stages[9].actual_end">완료 점검 · 실제 종료일</a>' in early.text, "named in words"
    assert "record.stages" not in early.text

    stages_path = f"{page_path}/stages"
    dates = {
        f"stages[{i}].{part}": s[f"planned_{part.removeprefix('actual_')}"]
        for i, s in enumerate(_record(world, record_id)["stages"])
        for part in ("actual_start", "actual_end")
    }
    saved = client.post(
        stages_path, data={**_tokens(early.text, stages_path), **dates}, follow_redirects=False
    )
    assert saved.headers["location"] == f"{page_path}?done=stages"
    submitted = client.post(
        submit_path, data=_tokens(client.get(page_path).text, submit_path), follow_redirects=False
    )
    assert submitted.headers["location"] == f"{page_path}?done=submitted"
    assert _record(world, record_id)["status"] == "submitted"
    shown = client.get(submitted.headers["location"]).text
    assert '<span class="badge" id="record-state">제출됨 (중소기업 확인 대기)</span>' in shown
    assert '<strong id="n-awaiting_sme">1</strong>' in client.get("/me/vendor").text
    english = client.get(page_path, params={"lang": "en"}).text
    assert "Submitted, awaiting the SME&#39;s confirmation</span>" in english
    assert "Not public: only the parties, the region&#39;s agency and operators see this record." in english
    assert "Evidence documents" in english and "검수확인서.pdf" in english
    assert "Drafts (0)" in client.get("/me/vendor/records").text
    form_en = client.get(NEW).text
    assert (
        "SME and factory" in form_en and "Listed: the factories of the records you already share" in form_en
    )


def test_a_stale_edit_is_explained_and_a_send_back_answered(client: TestClient, auth: Auth) -> None:
    world, headers = _vendor1(client, auth)
    drafted = light(world, headers, supplier="org-vendor-1", title_ko="반려될 구축")
    assert world.act(drafted, "submit", headers).status_code == 200
    returned = world.act(drafted, "return", world.sme, comment="계약 금액이 다릅니다")
    assert returned.status_code == 200, returned.text
    _sign_in(client, "vendor1")
    assert '<strong id="n-sent_back">1</strong> 반려됨 (보완 필요)' in client.get("/me/vendor").text
    page_path = f"/me/vendor/records/{drafted['id']}"
    page = client.get(page_path).text
    assert "다음 의견과 함께 반려되었습니다: <q>계약 금액이 다릅니다</q>" in page

    edit_path = f"{page_path}/edit"
    form = client.get(edit_path).text
    assert 'value="반려될 구축"' in form and 'value="50000000"' in form, "the edit starts from the record"
    assert "계약 금액이 다릅니다" in form
    tokens = _tokens(form, edit_path)
    values = {**DRAFT, "title_ko": "금액을 고친 구축", "support_amount_krw": "40000000"}
    meanwhile = client.patch(f"{URL}/{drafted['id']}", json={"level_after": "중간2"}, headers=world.sme)
    assert meanwhile.status_code == 200, meanwhile.text
    stale = client.post(edit_path, data={**tokens, **values})
    assert stale.status_code == 412
    assert "다른 사람이 구축정보를 변경했습니다" in stale.text
    assert 'value="금액을 고친 구축"' in stale.text, "the values typed are kept"
    assert _record(world, drafted["id"])["title"]["ko"] == "반려될 구축"

    fresh = _tokens(client.get(edit_path).text, edit_path)
    # A form whose hidden SME was changed still edits the record of its own SME.
    tampered = {**fresh, **values, "sme_company_id": "org-sme-2"}
    edited = client.post(edit_path, data=tampered, follow_redirects=False)
    assert edited.headers["location"] == f"{page_path}?done=edited"
    record = _record(world, drafted["id"])
    assert (record["title"]["ko"], record["support_amount_krw"]) == ("금액을 고친 구축", 40000000)
    assert (record["sme_company_id"], record["factory"]["factory_id"]) == ("org-sme-1", "factory-sme-1-a")
    submit_path = f"{page_path}/submit"
    resubmitted = client.post(
        submit_path, data=_tokens(client.get(page_path).text, submit_path), follow_redirects=False
    )
    assert resubmitted.status_code == 303
    assert _record(world, drafted["id"])["status"] == "submitted"


def test_the_vendor_confirms_or_disputes_records_the_sme_drafted(client: TestClient, auth: Auth) -> None:
    world, _ = _vendor1(client, auth)
    to_confirm = light(world, world.sme, supplier="org-vendor-1", title_ko="확인할 구축")
    to_dispute = light(world, world.sme, supplier="org-vendor-1", title_ko="이의를 제기할 구축")
    for record in (to_confirm, to_dispute):
        assert world.act(record, "submit", world.sme).status_code == 200
    _sign_in(client, "vendor1")
    home = client.get("/me/vendor").text
    assert '<strong id="n-awaiting_me">2</strong> 중소기업 작성 (내 확인 대기)' in home

    disputed_path = f"/me/vendor/records/{to_dispute['id']}"
    answer_path = f"{disputed_path}/answer"
    page = client.get(disputed_path).text
    assert "중소기업이 귀사를 공급기업으로 기재해 작성한 구축정보입니다." in page
    tokens = _tokens(page, answer_path)
    no_comment = client.post(answer_path, data={**tokens, "action": "return"})
    assert no_comment.status_code == 422 and '<a href="#comment">의견</a>: ' in no_comment.text
    disputed = client.post(
        answer_path,
        data={**tokens, "action": "return", "comment": "설비 대수가 다릅니다"},
        follow_redirects=False,
    )
    assert disputed.headers["location"] == f"{disputed_path}?done=disputed"
    record = _record(world, to_dispute["id"])
    assert (record["status"], record["return_comment"]) == ("draft", "설비 대수가 다릅니다")

    confirmed_path = f"/me/vendor/records/{to_confirm['id']}"
    tokens = _tokens(client.get(confirmed_path).text, f"{confirmed_path}/answer")
    confirmed = client.post(
        f"{confirmed_path}/answer", data={**tokens, "action": "confirm"}, follow_redirects=False
    )
    assert confirmed.headers["location"] == f"{confirmed_path}?done=confirmed"
    assert _record(world, to_confirm["id"])["status"] == "confirmed"
    assert "확인했습니다. 이제 지역 전담기관이 검증합니다." in client.get(confirmed.headers["location"]).text


def test_another_suppliers_record_is_refused(client: TestClient, auth: Auth) -> None:
    world, headers = _vendor1(client, auth)
    own = world.create(headers, supplier="org-vendor-1")
    others = world.create(world.vendor, title_ko="다른 공급기업의 구축")
    _sign_in(client, "vendor1")
    assert client.get(f"/me/vendor/records/{others['id']}").status_code == 404
    assert client.get(f"/me/vendor/records/{others['id']}/edit").status_code == 404
    assert "다른 공급기업의 구축" not in client.get("/me/vendor/records").text
    own_page = client.get(f"/me/vendor/records/{own['id']}").text
    tokens = _tokens(own_page, f"/me/vendor/records/{own['id']}/submit")
    # A form of its own record, posted at the other supplier's: the API refuses, nothing changes.
    answer = client.post(f"/me/vendor/records/{others['id']}/submit", data={**tokens, "version": ""})
    assert answer.status_code == 404
    assert _record(world, others["id"])["status"] == "draft"
    _sign_in(client, "sme1", "/me/sme")
    assert client.get("/me/vendor/records", follow_redirects=False).headers["location"] == "/me"


def test_records_are_listed_by_state_a_page_at_a_time(
    client: TestClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, headers = _vendor1(client, auth)
    for n in range(3):
        world.create(headers, supplier="org-vendor-1", title_ko=f"공급기업 초안 {n}")
    monkeypatch.setattr(vendor, "PAGE_SIZE", 2)
    _sign_in(client, "vendor1")
    first = client.get("/me/vendor/records", params={"state": "draft"}).text
    assert "작성 중 · 3건" in first and "1 / 2 쪽" in first
    assert first.count('<th scope="row"><a href="/me/vendor/records/') == 2
    assert "중소기업이 작성 중인 구축" not in first, "the SME's draft is in another state"
    second = client.get("/me/vendor/records", params={"state": "draft", "page": "2"}).text
    assert second.count('<th scope="row"><a href="/me/vendor/records/') == 1
    english = client.get("/me/vendor/records", params={"lang": "en"}).text
    assert "Drafts (3)" in english and "Being drafted by the SME (1)" in english
