"""A browse page is rendered once for the public answers it is made of (platform_api.portal.kept): served
again while they are the same, rendered anew when one changes, per language, never kept for a signed-in
visitor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.portal import render
from services.kit.app_state import state_of
from tests.conftest import Auth
from tests.factories import usecase_body


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The templates the portal renders, in order (rendering still happens)."""
    seen: list[str] = []
    real = render.TEMPLATES.TemplateResponse

    def counted(request: Any, name: str, *args: Any, **kw: Any) -> Any:
        seen.append(name)
        return real(request, name, *args, **kw)

    monkeypatch.setattr(render.TEMPLATES, "TemplateResponse", counted)
    yield seen


def _publish(client: TestClient, vendor: dict[str, str], title: str) -> None:
    made = client.post("/api/v1/usecases", json=usecase_body(title_ko=title), headers=vendor)
    assert made.status_code == 201, made.text
    assert client.post(f"/api/v1/usecases/{made.json()['id']}/publish", headers=vendor).status_code == 200


def _page(client: TestClient, path: str, params: dict[str, str] | None = None, **cookies: str) -> str:
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_browse_page_is_rendered_once_for_the_answers_it_is_made_of(
    client: TestClient, auth: Auth, renders: list[str]
) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    _publish(client, vendor, "용접 불량 예측 AI")
    first = _page(client, "/cases")
    assert "용접 불량 예측 AI" in first and renders == ["browse.html"]
    assert _page(client, "/cases") == first and renders == ["browse.html"], "served as kept"
    filtered = _page(client, "/cases", params={"region": "48"})
    assert filtered != first and len(renders) == 2, "another URL is another page"

    english = _page(client, "/cases", lang="en")
    assert '<html lang="en">' in english and len(renders) == 3
    assert _page(client, "/cases", lang="en") == english and len(renders) == 3
    assert _page(client, "/cases", lang="ko") == first and len(renders) == 3

    _publish(client, vendor, "도장 공정 최적화")
    assert _page(client, "/cases") == first, "the portal's answers are those of a moment ago"
    state_of(client.app).caches.portal.clear()  # as when they expire
    renewed = _page(client, "/cases")
    assert "도장 공정 최적화" in renewed and "용접 불량 예측 AI" in renewed and len(renders) == 4


def test_a_signed_in_visitors_page_is_rendered_every_time(
    client: TestClient, auth: Auth, renders: list[str]
) -> None:
    vendor = auth("vendor", org_id="org-vendor-3", preferred_username="vendor-kim")
    _publish(client, vendor, "용접 불량 예측 AI")
    anonymous = _page(client, "/cases")
    session = vendor["Authorization"].removeprefix("Bearer ")
    signed = _page(client, "/cases", portal_session=session)
    assert signed != anonymous and _page(client, "/cases", portal_session=session) == signed
    assert renders == ["browse.html"] * 3
    assert _page(client, "/cases") == anonymous and len(renders) == 3
