"""The workspaces' one guard (platform_api.portal.workspaces.guard): a visitor not signed in is sent to
sign in and back to the page they were on (for a form, the page it was posted from), their stale session
cookie dropped; a signed-in visitor without the role goes to their own landing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from platform_api.portal.auth import SESSION_COOKIE
from tests.platform_api.portal.test_pages import _sign_in


@pytest.mark.parametrize(
    ("method", "path", "back_to"),
    [
        ("GET", "/me/agency/records/dep-1", "/me/agency/records/dep-1"),
        ("POST", "/me/agency/records/dep-1", "/me/agency/records/dep-1"),  # the form's own page
        ("POST", "/me/sme/consents/c-1/revoke", "/me/sme"),  # no page at the form's address: the one above
        ("POST", "/me/operator/organisations/org-x/gateways/gw-1/rotate", "/me/operator/organisations/org-x"),
        ("POST", "/me/evaluator/org-v/app-1/conflict", "/me/evaluator/org-v/app-1"),
        ("GET", "/me/region", "/me/region"),
    ],
)
def test_a_visitor_not_signed_in_comes_back_where_they_were(
    client: TestClient, method: str, path: str, back_to: str
) -> None:
    answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={back_to}"


def test_an_invalid_session_is_dropped(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "not-a-token")
    answer = client.get("/me/operator", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/me/operator"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"], "the cookie is deleted"


def test_a_visitor_without_the_role_goes_to_their_landing(client: TestClient) -> None:
    _sign_in(client, "sme1")
    for path in ("/me/region", "/me/agency", "/me/operator/audit", "/me/evaluator"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/me", path
    refused = client.post("/me/agency/records/dep-1", data={"action": "verify"}, follow_redirects=False)
    assert refused.headers["location"] == "/me", "a form is guarded like its page"
