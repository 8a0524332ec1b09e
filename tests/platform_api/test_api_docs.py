"""The API reference in Korean: every summary and tag translated through the one catalogue, the English
document untouched, each language's document built once, and ``/docs`` (and the portal's link to it) in
the visitor's language. What they read depends on the code alone: the process's ``served`` app answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.api_docs import OPENAPI_KO, _described, texts
from services.kit.app_state import state_of
from services.kit.messages import DOCUMENT_CONTEXT, read_catalogue

HANGUL = re.compile(r"[가-힣]")


@pytest.fixture
def english(served: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = served.get("/openapi.json").json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_text_has_a_korean_entry(english: dict[str, Any]) -> None:
    korean = {str(m.id): str(m.string) for m in read_catalogue() if m.context == DOCUMENT_CONTEXT}
    missing = [text for text, required in texts(english).items() if required and not korean.get(text)]
    assert missing == [], "run `smartmfg api-docs` and translate them"
    summaries = [operation["summary"] for _, operation in _operations(english)]
    assert len(summaries) > 150  # the walk saw the whole API, not an empty document


def test_the_catalogue_holds_no_entry_the_document_does_not_use(english: dict[str, Any]) -> None:
    entries = {str(m.id) for m in read_catalogue() if m.context == DOCUMENT_CONTEXT and m.id}
    assert sorted(entries - set(texts(english))) == []


def test_the_korean_document(served: TestClient, english: dict[str, Any]) -> None:
    korean = served.get("/openapi.json?lang=ko").json()
    assert served.get("/openapi.json", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).json() == korean
    assert korean["info"]["title"] == "스마트제조혁신 통합 플랫폼 API"
    assert korean["paths"]["/api/v1/companies"]["get"]["summary"] == "기업 목록(공개)"
    assert korean["paths"]["/healthz"]["get"]["summary"] == "생존 확인"
    assert {t["name"]: t["description"] for t in korean["tags"]}["usecases"] == (
        "AI 활용 사례 — 효과가 측정된 AI 활용 사례, 지역별 탐색, 한국어·영어 검색"
    )
    limit = next(p for p in korean["paths"]["/api/v1/usecases"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["description"] == "페이지당 항목 수(1–200)."
    assert korean["components"]["schemas"]["UseCaseIn"]["properties"]["data_used"]["description"] == (
        '사용한 데이터의 이름, 항목마다 {"ko", "en"}; 문자열 하나만 보내면 한국어 이름으로 읽음'
    )
    for where, operation in _operations(korean):
        assert HANGUL.search(operation["summary"]), f"{where}: {operation['summary']}"
        for parameter in operation.get("parameters", []):
            text = parameter.get("description")
            assert text is None or HANGUL.search(text), f"{where} {parameter['name']}: {text}"
    benchmark = korean["components"]["schemas"]["BenchmarkPoint"]["properties"]
    assert benchmark["median"]["description"] == "측정값 기준; `stats=basic`이면 null"
    untranslated = [
        f"{name}: {holder['description']}"
        for name, schema in korean["components"]["schemas"].items()
        for holder in _described(schema)
        if not HANGUL.search(holder["description"])
    ]
    assert untranslated == []
    # Only texts change: the same operations, parameters and schemas.
    assert [w for w, _ in _operations(korean)] == [w for w, _ in _operations(english)]
    assert korean["components"]["schemas"].keys() == english["components"]["schemas"].keys()


def test_the_english_document_is_unchanged(served: TestClient, english: dict[str, Any]) -> None:
    assert english == served.app.openapi()  # type: ignore[attr-defined]
    assert english["info"]["title"] == "Smart Manufacturing Innovation Platform API"
    assert english["paths"]["/api/v1/companies"]["get"]["summary"] == "List companies (public)"
    assert english["paths"]["/healthz"]["get"]["summary"] == "Liveness"
    assert served.get("/openapi.json?lang=en", headers={"Accept-Language": "ko"}).json() == english


def test_each_language_is_built_once(served: TestClient) -> None:
    served.get("/openapi.json?lang=ko")
    built = state_of(served.app).find(OPENAPI_KO)
    assert built is not None
    served.get("/openapi.json?lang=ko")
    served.get("/openapi.json", headers={"Accept-Language": "ko"})
    assert state_of(served.app).find(OPENAPI_KO) is built


def test_swagger_ui_loads_the_document_of_its_language(served: TestClient) -> None:
    korean = served.get("/docs?lang=ko")
    assert korean.status_code == 200
    assert "url: '/openapi.json?lang=ko'" in korean.text
    assert "<title>스마트제조혁신 통합 플랫폼 API - Swagger UI</title>" in korean.text
    english = served.get("/docs?lang=en", headers={"Accept-Language": "ko-KR"})
    assert "url: '/openapi.json?lang=en'" in english.text
    assert "<title>Smart Manufacturing Innovation Platform API - Swagger UI</title>" in english.text


def test_the_portal_links_the_reference_in_the_page_language(served: TestClient) -> None:
    assert '<a href="/docs?lang=ko">' in served.get("/?lang=ko").text
    assert '<a href="/docs?lang=en">' in served.get("/?lang=en").text
