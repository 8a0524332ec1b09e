"""The development issuer's authorization-code flow with PKCE, as the portal uses it to sign people in."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fastapi.testclient import TestClient

from services.identity.dev_oidc import s256

REDIRECT = "http://testserver/auth/callback"


def _authorize(client: TestClient, verifier: str, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "smartmfg-api",
        "redirect_uri": REDIRECT,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "state": "st-1",
        "scope": "openid",
    }
    return params | overrides


def _code(client: TestClient, verifier: str, username: str = "vendor1") -> str:
    params = _authorize(client, verifier)
    form = client.get("/dev-oidc/authorize", params=params)
    assert form.status_code == 200 and 'name="password"' in form.text
    answer = client.post(
        "/dev-oidc/authorize",
        data=params | {"username": username, "password": f"{username}-pass"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _exchange(client: TestClient, code: str, verifier: str, redirect_uri: str = REDIRECT) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": "smartmfg-api",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }


def test_code_with_its_verifier_gives_a_token_once(client: TestClient) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(client, verifier)
    answer = client.post("/dev-oidc/token", data=_exchange(client, code, verifier))
    assert answer.status_code == 200
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["org_id"] == "org-vendor-1" and claims["realm_access"]["roles"] == ["vendor"]
    me = client.get(
        "/api/v1/identity/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["username"] == "vendor1"
    again = client.post("/dev-oidc/token", data=_exchange(client, code, verifier))
    assert again.status_code == 401, "a code is exchanged at most once"


@pytest.mark.parametrize("wrong", ["verifier", "redirect_uri"])
def test_code_needs_its_own_verifier_and_redirect(client: TestClient, wrong: str) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(client, verifier)
    form = _exchange(client, code, verifier)
    if wrong == "verifier":
        form["code_verifier"] = secrets.token_urlsafe(48)
    else:
        form["redirect_uri"] = "http://testserver/elsewhere"
    answer = client.post("/dev-oidc/token", data=form)
    assert answer.status_code == 401 and answer.json()["error"] == "Unauthorized"


def test_wrong_password_shows_the_form_again(client: TestClient) -> None:
    params = _authorize(client, secrets.token_urlsafe(48))
    answer = client.post(
        "/dev-oidc/authorize", data=params | {"username": "sme1", "password": "nope"}, follow_redirects=False
    )
    assert answer.status_code == 401 and 'role="alert"' in answer.text and 'value="sme1"' in answer.text


@pytest.mark.parametrize(
    ("override", "loc"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, "query.redirect_uri"),
        ({"code_challenge_method": "plain"}, "query.code_challenge_method"),
        ({"client_id": "someone-else"}, "query.client_id"),
        ({"response_type": "token"}, "query.response_type"),
    ],
)
def test_authorization_request_is_checked(client: TestClient, override: dict[str, str], loc: str) -> None:
    params = _authorize(client, secrets.token_urlsafe(48), **override)
    answer = client.get("/dev-oidc/authorize", params=params)
    assert answer.status_code == 400
    assert [f["loc"] for f in answer.json()["fields"]] == [loc]


def test_discovery_announces_the_code_flow(client: TestClient) -> None:
    document = client.get("/dev-oidc/.well-known/openid-configuration").json()
    assert document["authorization_endpoint"].endswith("/dev-oidc/authorize")
    assert document["code_challenge_methods_supported"] == ["S256"]
