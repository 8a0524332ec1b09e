"""The task guides through the portal: the footer links them, each renders from docs/guides with its
screenshots served beside it, raw HTML in a guide stays text, and no path reaches another file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from platform_api.portal import guides


def test_the_footer_links_the_guides_and_the_index_names_each(client: TestClient) -> None:
    assert '<a href="/guides" id="guides-link">이용 안내</a>' in client.get("/").text
    assert '<a href="/guides" id="guides-link">How-to guides (Korean)</a>' in client.get("/?lang=en").text
    index = client.get("/guides").text
    assert re.findall(r'<a href="/guides/([a-z]+)" lang="ko">([^<]+)</a>', index) == [
        ("sme", "중소기업 이용 안내"),
        ("vendor", "공급기업 이용 안내"),
        ("agency", "전담기관 이용 안내"),
        ("evaluator", "평가위원 이용 안내"),
        ("operator", "운영기관 이용 안내"),
    ]


def test_a_guide_renders_with_its_screenshots(client: TestClient) -> None:
    page = client.get("/guides/sme")
    assert page.status_code == 200
    assert "<title>중소기업 이용 안내 — " in page.text
    assert "<h2>2. 기간과 설비를 골라 차트 보기</h2>" in page.text
    assert '<img src="/guides/img/guide-sme-dashboard.png" alt="내 공장 대시보드"' in page.text
    assert '<a href="../edge-gateway.md">엣지 게이트웨이 CLI</a>' in page.text  # other docs: left alone
    picture = client.get("/guides/img/guide-sme-dashboard.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_the_guides_and_their_pictures_are_served(client: TestClient) -> None:
    for path in (
        "/guides/nope",
        "/guides/README",
        "/guides/img/benchmarks.md",
        "/guides/img/bench-ai-runs-s.png",  # a docs image that is not the portal's
        "/guides/img/..%2Fguides%2Fsme.md",
        "/guides/img/guide-nope.png",
    ):
        assert client.get(path).status_code == 404, path


def test_raw_html_in_a_guide_stays_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sme.md").write_text("# 안내\n\n<script>alert(1)</script>\n", encoding="utf-8")
    monkeypatch.setattr(guides, "DIRECTORY", tmp_path)
    guides._guide.cache_clear()
    try:
        title, body = guides._guide("sme") or ("", "")
        assert title == "안내"
        assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    finally:
        guides._guide.cache_clear()
