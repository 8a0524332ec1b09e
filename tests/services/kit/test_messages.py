"""The one message catalogue: complete for the code, nothing unused, placeholders that exist, and errors of
real endpoints answered in English and in Korean."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kit.errors import NotFound, Problems, ValidationFailed, field_error
from services.kit.messages import (
    DOCUMENT_CONTEXT,
    KEYWORDS,
    SOURCES,
    Alternatives,
    Key,
    Msg,
    Verbatim,
    korean_of,
    placeholders,
    read_catalogue,
    used_messages,
    with_particles,
)
from services.kit.validation_messages import TEMPLATES
from tests.conftest import Auth

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def used() -> dict[Key, list[str]]:
    return used_messages(ROOT)


@pytest.fixture(scope="module")
def korean() -> dict[Key, str]:
    catalog = read_catalogue()
    assert not [m.id for m in catalog if m.id and m.fuzzy], "fuzzy entries are not translations yet"
    # The API document's entries are checked against the built document (tests/platform_api/test_api_docs.py).
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id and m.context != DOCUMENT_CONTEXT}


def test_every_message_of_the_code_has_korean_text(
    used: dict[Key, list[str]], korean: dict[Key, str]
) -> None:
    untranslated = {m: where for m, where in used.items() if not korean.get(m)}
    assert not untranslated, f"run `python -m services.kit.messages` and translate: {untranslated}"
    assert len(used) > 300  # the extractor found the code's messages, not an empty tree


def test_the_catalogue_holds_no_unused_entry(used: dict[Key, list[str]], korean: dict[Key, str]) -> None:
    assert sorted(set(korean) - set(used)) == []


def test_korean_text_names_only_the_placeholders_the_code_passes(korean: dict[Key, str]) -> None:
    for (_, msgid), text in korean.items():
        assert placeholders(text) <= placeholders(msgid), msgid
        values = dict.fromkeys(placeholders(msgid), 1)
        assert msgid.format(**values) and text.format(**values)  # both render: no stray or unbalanced brace


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def test_every_message_is_a_literal_the_extractor_sees() -> None:
    """``Msg(text)`` with a variable or an f-string would escape the catalogue silently."""
    wrong = []
    for source in SOURCES:
        for path in (ROOT / source).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in KEYWORDS
                ):
                    texts = node.args[:2] if node.func.id == "P_" else node.args[:1]
                    if not texts or not all(_literal(t) for t in texts):
                        wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []


def test_pydantic_error_types_are_catalogue_entries(korean: dict[Key, str]) -> None:
    assert {"missing", "string_too_short", "greater_than", "enum", "string_pattern_mismatch"} <= set(
        TEMPLATES
    )
    assert all(korean.get((None, template)) for template in TEMPLATES.values())
    assert korean_of("Field required") == "필수 항목입니다"


def test_rendering_in_both_languages() -> None:
    error = NotFound(Msg("company '{company_id}' does not exist", company_id="acme"))
    assert str(error) == "company 'acme' does not exist"
    assert error.body(korean=True) == {"error": "NotFound", "detail": "기업 'acme'를 찾을 수 없습니다"}
    nested = Msg("{what} '{key}' does not exist", what=Msg("programme"), key="p-7")
    assert nested.render(True) == "지원사업 'p-7'을 찾을 수 없습니다"
    assert Msg("requires role {roles}", roles=Alternatives(["admin", "agency"])).render(False) == (
        "requires role admin or agency"
    )
    assert Msg("requires role {roles}", roles=Alternatives(["admin", "agency"])).render(True) == (
        "admin 또는 agency 권한이 필요합니다"
    )
    fields = [field_error("body.note", Msg("required")), field_error("body.x", Verbatim("as said"))]
    refused = ValidationFailed(Msg("invalid request: {problems}", problems=Problems(fields)), fields=fields)
    assert refused.body(False)["detail"] == "invalid request: body.note: required; body.x: as said"
    assert refused.body(True) == {
        "error": "ValidationFailed",
        "detail": "요청 값이 올바르지 않습니다: body.note: 필수 항목입니다; body.x: as said",
        "fields": [{"loc": "body.note", "msg": "필수 항목입니다"}, {"loc": "body.x", "msg": "as said"}],
    }


def test_particles_follow_the_word_before_them() -> None:
    assert with_particles("기업 'acme'을(를) 찾을 수 없습니다") == "기업 'acme'를 찾을 수 없습니다"
    assert with_particles("공장 '서울1'이(가) 없습니다") == "공장 '서울1'이 없습니다"
    assert with_particles("no pair here") == "no pair here"


def _both(client: TestClient, method: str, url: str, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same request answered in English and, with ``?lang=ko``, in Korean."""
    params = kw.pop("params", {})
    english = client.request(method, url, params=params, **kw)
    korean = client.request(method, url, params={**params, "lang": "ko"}, **kw)
    assert english.status_code == korean.status_code
    return english.json(), korean.json()


def test_an_unknown_record_in_english_and_korean(client: TestClient) -> None:
    english, korean = _both(client, "GET", "/api/v1/deployments/nope")
    assert english == {"error": "NotFound", "detail": "deployment record 'nope' does not exist"}
    assert korean == {"error": "NotFound", "detail": "구축정보 'nope'를 찾을 수 없습니다"}
    by_header = client.get("/api/v1/deployments/nope", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert by_header.json() == korean


def test_request_validation_in_english_and_korean(client: TestClient, auth: Auth) -> None:
    english, korean = _both(
        client,
        "POST",
        "/api/v1/companies",
        json={"kind": "sme", "founded_year": 1800, "business_registration_number": "123-45-67890"},
        headers=auth("sme"),
    )
    assert english["error"] == korean["error"] == "ValidationFailed"
    en_fields = {f["loc"]: f["msg"] for f in english["fields"]}
    ko_fields = {f["loc"]: f["msg"] for f in korean["fields"]}
    assert set(en_fields) == set(ko_fields) and "body.id" in en_fields
    assert en_fields["body.id"] == "Field required" and ko_fields["body.id"] == "필수 항목입니다"
    assert en_fields["body.founded_year"] == "Input should be greater than or equal to 1900"
    assert ko_fields["body.founded_year"] == "1900 이상이어야 합니다"
    # our own validator's refusal (services.kit.validation_messages.invalid)
    brn = "body.business_registration_number"
    assert en_fields[brn] == "business registration number: check digit does not match"
    assert ko_fields[brn] == "사업자등록번호: 검증번호가 맞지 않습니다"
    assert (
        korean["detail"].startswith("요청 값이 올바르지 않습니다: ")
        and "body.id: 필수 항목입니다" in korean["detail"]
    )


def test_a_service_field_error_in_english_and_korean(client: TestClient) -> None:
    english, korean = _both(client, "GET", "/api/v1/usecases", params={"cursor": "garbage"})
    assert english == {
        "error": "BadRequest",
        "detail": "cursor is not a cursor returned by this list",
        "fields": [{"loc": "query.cursor", "msg": "malformed cursor"}],
    }
    assert korean == {
        "error": "BadRequest",
        "detail": "이 목록이 돌려준 커서가 아닙니다",
        "fields": [{"loc": "query.cursor", "msg": "커서 형식이 잘못되었습니다"}],
    }


def test_an_unknown_path_in_english_and_korean(client: TestClient) -> None:
    english, korean = _both(client, "GET", "/no/such/path")
    assert english == {"error": "NotFound", "detail": "Not Found"}
    assert korean == {"error": "NotFound", "detail": "찾을 수 없습니다"}
