"""A supplier's first record with an SME it never worked with, through the whole app (SQLite and
PostgreSQL): the draft filed without a factory, submitted, and confirmed by the SME naming its own factory;
the SME's ``deployments`` consent puts its factories in the supplier's picker until it is revoked."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import company_body
from tests.platform_api.portal.test_pages import _sign_in
from tests.platform_api.portal.test_workspace_vendor import DRAFT, NEW, _mine, _vendor1
from tests.platform_api.portal.test_workspaces import _tokens
from tests.services.deployments.conftest import COMPANIES, PDF, URL, World

# org-sme-2 (서울, C29, factory-sme-2-a) has no record with vendor1 (org-vendor-1).
C25 = "금속 가공제품 제조업; 기계 및 가구 제외"
NEW_SME = {**DRAFT, "sme_company_id": "org-sme-2", "factory_id": "", "title_ko": "처음 함께하는 기업의 MES"}


def _record(world: World, record_id: str) -> dict[str, Any]:
    return dict(world.client.get(f"{URL}/{record_id}", headers=world.admin).json())


def test_a_first_record_with_a_new_sme_gets_its_factory_when_the_sme_confirms(
    client: TestClient, auth: Auth
) -> None:
    world, _ = _vendor1(client, auth)
    _sign_in(client, "vendor1")
    form = client.get(NEW).text
    assert '<option value="org-sme-2">(주)한국MES · 서울</option>' in form, "listed, by name"
    assert 'data-sme="org-sme-2"' not in form, "its factories are its own"
    assert '<option value="">목록에 없음: 중소기업이 확인할 때 지정</option>' in form
    created = client.post(NEW, data={**_tokens(form, NEW), **NEW_SME}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page_path = created.headers["location"].split("?")[0]
    record_id = page_path.rsplit("/", 1)[1]
    assert _record(world, record_id)["factory"] == {
        "factory_id": None,
        "name": "(주)한국MES",
        "region_code": "11",
        "address": None,
        "industry_code": "C29",
    }
    page = client.get(page_path).text
    assert '<span class="hint" id="factory-pending">(중소기업이 확인할 때 공장을 지정합니다)</span>' in page

    # The programme's required stage done with its evidence, then submitted: all in the portal.
    stages_path, upload_path, submit_path = (f"{page_path}/{p}" for p in ("stages", "documents", "submit"))
    dates = {
        f"stages[{i}].{part}": s[f"planned_{part.removeprefix('actual_')}"]
        for i, s in enumerate(_record(world, record_id)["stages"])
        for part in ("actual_start", "actual_end")
    }
    saved = client.post(stages_path, data={**_tokens(page, stages_path), **dates}, follow_redirects=False)
    assert saved.headers["location"] == f"{page_path}?done=stages"
    uploaded = client.post(
        upload_path,
        data={**_tokens(client.get(page_path).text, upload_path), "stage_code": "INSPECT"},
        files={"file": ("검수확인서.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert uploaded.headers["location"] == f"{page_path}?done=uploaded"
    submitted = client.post(
        submit_path, data=_tokens(client.get(page_path).text, submit_path), follow_redirects=False
    )
    assert submitted.headers["location"] == f"{page_path}?done=submitted"

    _sign_in(client, "sme2", "/me/sme")
    home = client.get("/me/sme").text
    action = f"/me/sme/records/{record_id}"
    assert '<strong id="n-confirm">1</strong>' in home
    assert f'<label for="factory_id-{record_id}">이 사업의 공장</label>' in home
    assert '<option value="factory-sme-2-a">org-sme-2 제1공장 · 서울 · ' in home
    tokens = _tokens(home, action)
    unnamed = client.post(action, data={**tokens, "action": "confirm"})
    assert unnamed.status_code == 422
    assert f'<a href="#factory_id-{record_id}">공장</a>: 기록에 공장이 없습니다' in unnamed.text
    foreign = client.post(action, data={**tokens, "action": "confirm", "factory_id": "factory-sme-1-a"})
    assert foreign.status_code == 422, "a factory of another company"
    assert "&#39;factory-sme-1-a&#39;" in foreign.text and f'href="#factory_id-{record_id}"' in foreign.text
    assert _record(world, record_id)["status"] == "submitted"
    confirmed = client.post(
        action, data={**tokens, "action": "confirm", "factory_id": "factory-sme-2-a"}, follow_redirects=False
    )
    assert confirmed.headers["location"] == "/me/sme?done=confirm"
    record = _record(world, record_id)
    assert (record["status"], record["factory"]["factory_id"], record["factory"]["name"]) == (
        "confirmed",
        "factory-sme-2-a",
        "org-sme-2 제1공장",
    )
    assert f'id="factory_id-{record_id}"' not in client.get("/me/sme").text
    _sign_in(client, "vendor1")
    page = client.get(page_path).text
    assert "<strong>중소기업이 공장 지정</strong>" in page and 'id="factory-pending"' not in page


def test_the_smes_consent_puts_its_factories_in_the_suppliers_picker(client: TestClient, auth: Auth) -> None:
    world, _ = _vendor1(client, auth)
    _sign_in(client, "sme2", "/me/sme")
    grant = _tokens(client.get("/me/sme").text, "/me/sme/consents")
    granted = client.post(
        "/me/sme/consents", data={**grant, "supplier": "org-vendor-1"}, follow_redirects=False
    )
    assert granted.headers["location"] == "/me/sme?done=grant", granted.text

    _sign_in(client, "vendor1")
    form = client.get(NEW).text
    assert '<option value="org-sme-2">(주)한국MES · 서울 — 공장 공개 동의</option>' in form
    assert 'value="factory-sme-2-a" data-sme="org-sme-2"' in form
    created = client.post(
        NEW, data={**_tokens(form, NEW), **NEW_SME, "factory_id": "factory-sme-2-a"}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    record_id = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert _record(world, record_id)["factory"]["factory_id"] == "factory-sme-2-a"

    _sign_in(client, "sme2", "/me/sme")
    listed = client.get("/me/sme").text
    revoke = re.search(r'action="(/me/sme/consents/[^/"]+/revoke)"', listed)
    assert revoke
    revoked = client.post(revoke.group(1), data=_tokens(listed, revoke.group(1)), follow_redirects=False)
    assert revoked.headers["location"] == "/me/sme?done=revoke"
    _sign_in(client, "vendor1")
    form = client.get(NEW).text
    assert 'data-sme="org-sme-2"' in form, "the record filed meanwhile still names factory-sme-2-a"
    later = client.post(
        NEW, data={**_tokens(form, NEW), **NEW_SME, "factory_id": "factory-sme-2-b"}, follow_redirects=False
    )
    assert later.status_code == 422, "a factory the picker did not offer"


def test_a_supplier_names_the_industry_of_an_sme_the_registry_knows_none_of(
    client: TestClient, auth: Auth
) -> None:
    """An SME registered without an industry and no consent to the supplier: its factories are its own, so
    the supplier leaves the factory to the SME and picks the site's industry (words, never a code); the
    SME's registered factory replaces the site when it confirms."""
    world, _ = _vendor1(client, auth)
    sme7 = auth("sme", org_id="org-sme-7", username="sme7")
    body = company_body(company_id="org-sme-7", kind="sme", brn_first9="723456789", region="26")
    assert client.post(COMPANIES, json=body | {"industry_code": None}, headers=sme7).status_code == 201
    _sign_in(client, "vendor1")
    form = client.get(NEW).text
    assert '<option value="org-sme-7">(주)한국MES · 부산 — 업종 미등록</option>' in form
    assert '<label for="industry_code">사업장 업종' in form
    assert '<option value="C25">금속 가공제품 제조업; 기계 및 가구 제외</option>' in form, (
        "industries by name"
    )
    tokens = _tokens(form, NEW)
    draft = {**NEW_SME, "sme_company_id": "org-sme-7"}

    unnamed = client.post(NEW, data={**tokens, **draft})
    assert unnamed.status_code == 422, "the site's industry is known from no registry"
    assert (
        '<a href="#industry_code">사업장 업종</a>: 이 중소기업의 업종이 등록되어 있지 않습니다: '
        "사업장의 업종을 고르십시오." in unnamed.text
    )
    assert 'value="처음 함께하는 기업의 MES"' in unnamed.text, "the values typed are kept"
    odd = client.post(NEW, data={**tokens, **draft, "industry_code": "X99"})
    assert odd.status_code == 422
    assert '<a href="#industry_code">사업장 업종</a>: 목록에서 고르십시오.' in odd.text
    assert _mine(world, "draft") == [], "nothing was filed"

    created = client.post(NEW, data={**tokens, **draft, "industry_code": "C25"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    record_id = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert _record(world, record_id)["factory"] == {
        "factory_id": None,
        "name": "(주)한국MES",
        "region_code": "26",
        "address": None,
        "industry_code": "C25",
    }
    page = client.get(f"/me/vendor/records/{record_id}").text
    assert f"<dd>{C25}</dd>" in page
    edit = client.get(f"/me/vendor/records/{record_id}/edit").text
    assert '<option value="C25" selected>금속 가공제품 제조업; 기계 및 가구 제외</option>' in edit, (
        "the edit keeps the choice"
    )

    # an SME whose registry entry has an industry: the registry's, whatever else is posted
    other = client.post(
        NEW,
        data={**_tokens(client.get(NEW).text, NEW), **NEW_SME, "industry_code": "C25"},
        follow_redirects=False,
    )
    assert other.status_code == 303, other.text
    other_id = other.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert _record(world, other_id)["factory"]["industry_code"] == "C29"
