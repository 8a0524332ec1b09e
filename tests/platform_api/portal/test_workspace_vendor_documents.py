"""The supplier removes an evidence document from its draft in the portal: a button on its own uploads only,
a confirmation page, the form kit's CSRF and one-time token, a stale page or a record under review refused
in words, and the removal in the record's history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.platform_api.portal.test_pages import _sign_in
from tests.platform_api.portal.test_workspace_vendor import NEW, _record, _vendor1
from tests.platform_api.portal.test_workspaces import _tokens
from tests.services.deployments.conftest import PDF, URL
from tests.services.deployments.test_lifecycle import light


def test_the_vendor_removes_its_own_evidence_after_confirming(client: TestClient, auth: Auth) -> None:
    world, headers = _vendor1(client, auth)
    drafted = light(world, headers, supplier="org-vendor-1", title_ko="증빙을 고칠 구축")
    record_id = drafted["id"]
    files = {"file": ("잘못 올린 견적서.pdf", PDF, "application/pdf")}
    wrong = client.post(f"{URL}/{record_id}/documents", files=files, headers=headers).json()["documents"]
    wrong_id = next(d["id"] for d in wrong if d["filename"] == "잘못 올린 견적서.pdf")
    files = {"file": ("중소기업 확인서.pdf", PDF, "application/pdf")}
    theirs = client.post(f"{URL}/{record_id}/documents", files=files, headers=world.sme).json()["documents"]
    sme_id = next(d["id"] for d in theirs if d["filename"] == "중소기업 확인서.pdf")
    _sign_in(client, "vendor1")
    page_path = f"/me/vendor/records/{record_id}"
    page = client.get(page_path).text
    confirm_path = f"{page_path}/documents/{wrong_id}/delete"
    assert f'href="{confirm_path}" id="remove-{wrong_id}" aria-label="삭제: 잘못 올린 견적서.pdf"' in page
    assert f'id="remove-{sme_id}"' not in page, "the SME's upload is not the vendor's to remove"
    assert client.get(f"{page_path}/documents/{sme_id}/delete").status_code == 404

    confirm = client.get(confirm_path)
    assert confirm.status_code == 200
    assert "<h1>삭제: 잘못 올린 견적서.pdf</h1>" in confirm.text
    assert "이 문서를 초안에서 빼고 파일을 문서 저장소에서 지웁니다. 되돌릴 수 없습니다." in confirm.text
    tokens = _tokens(confirm.text, confirm_path)
    assert set(tokens) == {"csrf", "submit", "version"}

    forged = client.post(confirm_path, data={**tokens, "csrf": "0" * 32})
    assert forged.status_code == 403
    meanwhile = client.patch(f"{URL}/{record_id}", json={"sme_name": "(주)한국MES 본사"}, headers=world.sme)
    assert meanwhile.status_code == 200, meanwhile.text
    stale = client.post(confirm_path, data=tokens)
    assert stale.status_code == 412
    assert "다른 사람이 구축정보를 변경했습니다" in stale.text
    assert wrong_id in {d["id"] for d in _record(world, record_id)["documents"]}, "nothing removed"

    fresh = _tokens(client.get(confirm_path).text, confirm_path)
    removed = client.post(confirm_path, data=fresh, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == f"{page_path}?done=removed"
    names = [d["filename"] for d in _record(world, record_id)["documents"]]
    assert names == ["inspection.pdf", "중소기업 확인서.pdf"]
    again = client.post(confirm_path, data=fresh, follow_redirects=False)
    assert again.headers["location"] == f"{page_path}?repeated=1", "a second click does nothing"
    shown = client.get(removed.headers["location"]).text
    assert '<p class="notice" role="status" id="done">증빙 문서를 삭제했습니다.</p>' in shown
    assert "<strong>증빙 문서 삭제</strong>" in shown and f"documents.{wrong_id}" in shown
    english = client.get(page_path, params={"lang": "en"}).text
    assert "<strong>Evidence document removed</strong>" in english
    client.get(page_path, params={"lang": "ko"})

    # Under review the evidence is kept: no button, and a form posted anyway is refused in words.
    assert world.act(drafted, "submit", headers).status_code == 200
    inspection_id = next(d["id"] for d in _record(world, record_id)["documents"] if d["stage_code"])
    assert "remove-" not in client.get(page_path).text
    late = f"{page_path}/documents/{inspection_id}/delete"
    assert client.get(late).status_code == 404
    refused = client.post(late, data=_tokens(client.get(NEW).text, NEW))
    assert refused.status_code == 409
    assert "초안의 증빙만 삭제할 수 있습니다. 이 기록은 검토 중이거나 공개되어" in refused.text
    assert len(_record(world, record_id)["documents"]) == 2
