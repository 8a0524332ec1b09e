"""Key rotation: the verifier's JWKS cache follows the issuer (a new ``kid`` is fetched, a removed key stops
being trusted), without letting random key ids hammer the issuer, and survives an issuer outage."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kit.app_state import state_of
from services.kit.errors import ServiceUnavailable, Unauthorized
from services.kit.messages import Verbatim
from services.kit.principal import TOKEN_VERIFIER
from services.kit.tokens import DevIssuer, JwksVerifier
from tests.security.conftest import Tokens, master_admin, published_key

ME = "/api/v1/identity/me"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_keycloak_key_rotation(kc_client: TestClient, tokens: Tokens) -> None:
    verifier: JwksVerifier = state_of(kc_client.app).get(TOKEN_VERIFIER)
    verifier.refresh_min_interval_s = 0.0  # the throttle is tested below; here the test would wait it out
    assert kc_client.get(ME, headers=tokens.headers("sme1")).status_code == 200  # the realm's keys are cached

    # The realm publishes a new key (rotation). It signs with low priority here, so that Keycloak keeps
    # signing other sessions' tokens with its own key; the verifier sees exactly what a rotation shows it.
    with published_key(master_admin()) as rotated:
        new_token = rotated.sign(
            sub="rotated-user", preferred_username="rotated", realm_access={"roles": ["sme"]}
        )
        answer = kc_client.get(ME, headers={"Authorization": f"Bearer {new_token}"})
        assert answer.status_code == 200 and answer.json()["username"] == "rotated"
        assert kc_client.get(ME, headers=tokens.headers("sme1")).status_code == 200  # older keys still pass

    # The key is gone from the realm: once the cache is refreshed, its tokens no longer open the API.
    verifier.max_age_s = 0.0
    refused = kc_client.get(ME, headers={"Authorization": f"Bearer {new_token}"})
    assert refused.status_code == 401 and "unknown key" in refused.json()["detail"]


class CountingJwks:
    def __init__(self, issuer: DevIssuer) -> None:
        self.issuer = issuer
        self.calls = 0
        self.down = False

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise ServiceUnavailable(Verbatim("identity provider unreachable"))
        return self.issuer.jwks()


@pytest.fixture
def issuer(tmp_path: Any) -> DevIssuer:
    return DevIssuer(issuer="http://issuer.test", audience="smartmfg-api", key_path=tmp_path / "key.pem")


def test_unknown_key_ids_refetch_at_most_once_per_interval(issuer: DevIssuer) -> None:
    jwks = CountingJwks(issuer)
    verifier = JwksVerifier(
        issuer=issuer.issuer, audience="smartmfg-api", fetch_jwks=jwks, refresh_min_interval_s=0.3
    )
    good = issuer.issue(subject="u", roles=["sme"])
    assert verifier.verify(good)["sub"] == "u" and jwks.calls == 1
    stranger = DevIssuer(issuer=issuer.issuer, audience="smartmfg-api")

    def unknown_kids(n: int) -> None:
        for i in range(n):
            with pytest.raises(Unauthorized, match="unknown key"):
                verifier.verify(stranger.issue(subject=f"x{i}", roles=["admin"]))

    unknown_kids(20)
    assert jwks.calls == 1  # fetched moments ago: the throttle holds
    time.sleep(0.35)
    unknown_kids(20)
    assert jwks.calls == 2  # one refetch for the first unknown kid after the interval, then none
    verifier.verify(good)
    assert jwks.calls == 2  # known keys never refetch within max_age_s


def test_cached_keys_survive_an_issuer_outage(issuer: DevIssuer) -> None:
    jwks = CountingJwks(issuer)
    verifier = JwksVerifier(
        issuer=issuer.issuer,
        audience="smartmfg-api",
        fetch_jwks=jwks,
        max_age_s=0.0,
        refresh_min_interval_s=0.0,
    )
    token = issuer.issue(subject="u", roles=["sme"])
    verifier.verify(token)
    jwks.down = True
    assert verifier.verify(token)["sub"] == "u"  # stale keys beat refusing everyone
    assert jwks.calls == 2
    cold = JwksVerifier(issuer=issuer.issuer, audience="smartmfg-api", fetch_jwks=jwks)
    with pytest.raises(ServiceUnavailable):
        cold.verify(token)  # no keys at all: 503 (retry), not 401
