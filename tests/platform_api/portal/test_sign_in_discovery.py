"""Signing in at Keycloak: the portal reads the realm's discovery document once per
``reference_cache_seconds`` into the process's ``reference`` cache (services.kit.cache), never into a
dict of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from tests.infra.conftest import KEYCLOAK_URL

pytestmark = [pytest.mark.servers, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
ISSUER = f"{KEYCLOAK_URL}/realms/smartmfg"


@pytest.fixture
def at_keycloak(settings: PlatformSettings) -> Iterator[TestClient]:
    keycloak = settings.replaced(oidc={"issuer": ISSUER}, reference_cache_seconds=0.5)
    with TestClient(create_app(keycloak)) as client:
        yield client


def _sign_in_goes_to(client: TestClient) -> str:
    answer = client.get("/login", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    where = urlsplit(answer.headers["location"])
    return f"{where.scheme}://{where.netloc}{where.path}"


def test_the_realms_endpoints_are_read_once_then_again_after_a_while(at_keycloak: TestClient) -> None:
    reference = state_of(at_keycloak.app).caches.reference
    authorize = f"{ISSUER}/protocol/openid-connect/auth"
    assert _sign_in_goes_to(at_keycloak) == authorize
    after_first = reference.stats()
    assert (after_first.misses, after_first.entries) == (1, 1)
    assert _sign_in_goes_to(at_keycloak) == authorize
    assert _sign_in_goes_to(at_keycloak) == authorize
    again = reference.stats()
    assert (again.hits, again.misses) == (after_first.hits + 2, 1), "kept: Keycloak not asked again"
    time.sleep(0.6)  # reference_cache_seconds
    assert _sign_in_goes_to(at_keycloak) == authorize
    assert reference.stats().misses == 2, "read again once the entry expired"
    assert not hasattr(at_keycloak.app.state, "portal_oidc_endpoints")
