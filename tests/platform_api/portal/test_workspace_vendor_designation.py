"""The supplier answers an application the operator returned for completion: the operator's note shown, the
form filled with what was declared, completed and resubmitted; the application back at the completeness
check, its course and history updated."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body
from tests.platform_api.portal.test_pages import _sign_in
from tests.platform_api.portal.test_workspaces import _tokens

COMPANIES = "/api/v1/companies"
HOME = "/me/vendor/designation"
APPLICATION = {
    "fields": ["INFO-MES"],
    "declared": {"patents": 2, "technical_staff": 10, "revenue": 3_000_000_000},
    "evidence": [
        {"indicator": "patents", "title": "특허 제10-2345678호"},
        {
            "indicator": "technical_staff",
            "title": "4대보험 가입자 명부",
            "uri": "https://example.com/staff.pdf",
        },
    ],
}


def test_the_supplier_completes_and_resubmits_a_returned_application(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-1", username="vendor1")
    made = client.post(
        COMPANIES, json=company_body(company_id="org-vendor-1", brn_first9="520816251"), headers=vendor
    )
    assert made.status_code == 201, made.text
    applied = client.post(f"{COMPANIES}/org-vendor-1/designations", json=APPLICATION, headers=vendor)
    assert applied.status_code == 201, applied.text
    application_id = applied.json()["id"]
    url = f"{COMPANIES}/org-vendor-1/designations/{application_id}"
    admin = auth("admin", org_id="org-operator")
    note = "매출액 증빙(재무제표)이 없습니다"
    returned = client.post(f"{url}/completeness", json={"complete": False, "note": note}, headers=admin)
    assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text

    _sign_in(client, "vendor1", HOME)
    page = client.get(HOME).text
    assert f'<p class="notice error" id="returned-{application_id}">보완 요청: <q>{note}</q></p>' in page
    assert '<h2 id="apply-h">반려된 신청서 보완 후 재제출</h2>' in page
    assert f"운영자가 다음 의견과 함께 신청서를 반려했습니다: <q>{note}</q>" in page
    action = f"{HOME}/{application_id}/resubmit"
    assert f'action="{action}"' in page and 'id="apply-closed"' not in page
    # The form starts from what was declared: the returned application's figures, evidence and fields.
    assert 'name="declared.patents" value="2"' in page
    assert 'name="declared.revenue" value="3000000000"' in page
    assert 'name="evidence[1].title" value="4대보험 가입자 명부"' in page
    assert 'name="evidence[1].uri" value="https://example.com/staff.pdf"' in page
    assert 'id="field-INFO-MES" name="fields" value="INFO-MES" checked' in page
    assert "신청서 다시 제출</button>" in page
    tokens = _tokens(page, action)

    completed = {
        **tokens,
        "fields": ["INFO-MES"],
        "declared.patents": "2",
        "declared.technical_staff": "10",
        "declared.revenue": "3,000,000,000",
        "evidence[0].indicator": "patents",
        "evidence[0].title": "특허 제10-2345678호",
        "evidence[1].indicator": "technical_staff",
        "evidence[1].title": "4대보험 가입자 명부",
        "evidence[2].indicator": "revenue",
        "evidence[2].title": "2025년 재무제표",
    }
    wrong = client.post(action, data={**completed, "declared.patents": "두 건"})
    assert wrong.status_code == 422, wrong.text[:300]
    assert 'value="두 건"' in wrong.text and 'value="2025년 재무제표"' in wrong.text, "the values typed kept"
    assert f'action="{action}"' in wrong.text
    assert client.get(url, headers=vendor).json()["status"] == "returned", "nothing was sent"

    resubmitted = client.post(action, data=completed, follow_redirects=False)
    assert resubmitted.status_code == 303, resubmitted.text[:300]
    assert resubmitted.headers["location"] == f"{HOME}?done=resubmitted"
    twice = client.post(action, data=completed, follow_redirects=False)
    assert twice.headers["location"] == f"{HOME}?repeated=1"
    stored = client.get(url, headers=vendor).json()
    assert stored["status"] == "submitted"
    assert stored["declared"] == {"patents": 2.0, "technical_staff": 10.0, "revenue": 3e9}
    titles = [e["title"] for e in stored["evidence"]]
    assert titles == ["특허 제10-2345678호", "4대보험 가입자 명부", "2025년 재무제표"]
    assert [e["action"] for e in stored["events"]] == ["submitted", "returned", "resubmitted"]

    shown = client.get(resubmitted.headers["location"]).text
    assert "보완한 신청서를 다시 제출했습니다." in shown
    assert 'data-status="submitted">접수</span>' in shown
    assert 'id="apply-closed"' in shown and 'id="resubmit-note"' not in shown
    assert "<li>보완 요청 · " in shown and "<li>보완 후 재제출 · " in shown, "the history in words"
    english = client.get(HOME, params={"lang": "en"}).text
    assert "Apply for designation" in english
