"""A case's data used, named in Korean and English like its title (issue 29: "MES 작업 실적" on English
pages): bilingual entries kept, an older client's plain string taken as Korean, both languages searched,
the stored names converted by migration 0006, and the portal's case page in the visitor's language."""

from __future__ import annotations

import json

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from platform_api.demo_data import build_world
from services.usecases.spec import SPEC
from tests.conftest import Auth
from tests.factories import usecase_body
from tests.migrations import migrating
from tests.services.standards.test_migrations import empty_database

__all__ = ["empty_database"]  # a fresh database per backend, used here as a fixture

URL = "/api/v1/usecases"


def _publish(client: TestClient, headers: dict[str, str], **overrides: object) -> dict:
    created = client.post(URL, json=usecase_body(**overrides), headers=headers)
    assert created.status_code == 201, created.text
    published = client.post(f"{URL}/{created.json()['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return published.json()


def test_bilingual_names_kept_and_plain_strings_read_as_korean(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    case = _publish(
        client,
        vendor,
        data_used=[{"ko": "주축 회전수", "en": "Spindle speed"}, "MES 작업 실적"],
    )
    assert case["data_used"] == [
        {"ko": "주축 회전수", "en": "Spindle speed"},
        {"ko": "MES 작업 실적", "en": None},
    ]
    assert client.get(f"{URL}/{case['id']}").json()["data_used"] == case["data_used"]
    for q in ("spindle", "회전수"):
        found = client.get(f"{URL}/search", params={"q": q}).json()["items"]
        assert [hit["case"]["id"] for hit in found] == [case["id"]], q

    patched = client.patch(f"{URL}/{case['id']}", json={"data_used": ["용접 전류"]}, headers=vendor)
    assert patched.status_code == 200, patched.text
    assert patched.json()["data_used"] == [{"ko": "용접 전류", "en": None}]


def test_a_name_without_korean_is_refused_naming_the_field(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    answer = client.post(URL, json=usecase_body(data_used=[{"en": "Spindle speed"}]), headers=vendor)
    assert answer.status_code == 422
    assert [f["loc"] for f in answer.json()["fields"]] == ["body.data_used[0].ko"]


def test_the_case_page_names_the_data_in_the_visitor_language(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    case = _publish(
        client, vendor, data_used=[{"ko": "MES 작업 실적", "en": "MES production records"}, "주축 회전수"]
    )
    english = client.get(f"/cases/{case['id']}", params={"lang": "en"}).text
    assert '<span class="tag free">MES production records</span>' in english
    assert "MES 작업 실적" not in english
    # No English name: the Korean one, marked as Korean for screen readers.
    assert '<span class="tag free" lang="ko">주축 회전수</span>' in english
    korean = client.get(f"/cases/{case['id']}", params={"lang": "ko"}).text
    assert '<span class="tag free">MES 작업 실적</span>' in korean
    assert "MES production records" not in korean


def test_the_demo_cases_name_their_data_in_both_languages() -> None:
    assert build_world().usecases[0]["data_used"] == [
        {"ko": "비전 검사기 설비 데이터", "en": "Vision inspection station data"},
        {"ko": "MES 작업 실적", "en": "MES production records"},
    ]


def test_migration_0006_converts_stored_names_and_back(empty_database: str) -> None:
    with migrating(SPEC, empty_database) as (config, conn):
        command.upgrade(config, "0005")
        conn.execute(
            text(
                "INSERT INTO uc_cases (id, owner_org_id, status, title, summary, problem_type, technique, "
                "data_used, region_code, industry_code, created_at, updated_at) VALUES ('c1', 'org-v1', "
                "'published', :title, :summary, 'quality_inspection', 'anomaly_detection', :data, '48', "
                "'C30', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {
                "title": json.dumps({"ko": "용접 불량 예측", "en": "Weld defects"}),
                "summary": json.dumps({"ko": "전류", "en": None}),
                "data": json.dumps(["용접 전류", "MES 작업 실적"]),
            },
        )
        command.upgrade(config, "0006")
        upgraded = conn.execute(text("SELECT data_used FROM uc_cases WHERE id = 'c1'")).scalar_one()
        command.downgrade(config, "0005")
        downgraded = conn.execute(text("SELECT data_used FROM uc_cases WHERE id = 'c1'")).scalar_one()
        command.downgrade(config, "base")
    as_json = [json.loads(v) if isinstance(v, str) else v for v in (upgraded, downgraded)]
    assert as_json[0] == [{"ko": "용접 전류", "en": None}, {"ko": "MES 작업 실적", "en": None}]
    assert as_json[1] == ["용접 전류", "MES 작업 실적"]
