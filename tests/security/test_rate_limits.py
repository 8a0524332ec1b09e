"""Per-client rate limits on uploads and on anonymous reads: 429 with Retry-After and the error body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from platform_api.app import create_app
from platform_api.ratelimit import TokenBuckets
from services.kit.app_state import state_of
from services.kit.principal import TOKEN_VERIFIER
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from tests.conftest import Auth
from tests.factories import company_body

UPLOAD = "/api/v1/ingest/batches"


@pytest.fixture
def limited(settings: PlatformSettings) -> Iterator[TestClient]:
    tight = settings.replaced(
        rate_limit={"public_per_minute": 3, "uploads_per_minute": 2, "portal_per_minute": 3}
    )
    with TestClient(create_app(tight)) as test_client:
        yield test_client


def _upload(client: TestClient, headers: dict[str, str], factory: str = "factory-sme-1-a") -> int:
    return client.post(
        UPLOAD,
        content=b"{}",
        headers={**headers, "Content-Type": "application/json", "X-Batch-Id": "b-1", "X-Factory-Id": factory},
    ).status_code


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBuckets(60)  # one a second, bursts of 60
    assert [bucket.take("a", now=0.0) for _ in range(60)] == [0.0] * 60
    assert bucket.take("a", now=0.0) == pytest.approx(1.0)
    assert bucket.take("b", now=0.0) == 0.0  # keys are independent
    assert bucket.take("a", now=1.5) == 0.0
    assert bucket.take("a", now=1.5) == pytest.approx(0.5)


def test_anonymous_reads_are_limited_per_address(limited: TestClient, auth: Auth) -> None:
    for _ in range(3):
        assert limited.get("/api/v1/reference/regions").status_code == 200
    refused = limited.get("/api/v1/reference/regions", headers={"Accept-Language": "ko"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"] == "RateLimited" and "초 후에" in refused.json()["detail"]
    # Signed-in reads are accountable and not counted against the anonymous budget.
    token = state_of(limited.app).get(DEV_ISSUER).issue(subject="u", roles=["sme"], org_id="org-sme-1")
    signed_in = limited.get("/api/v1/reference/regions", headers={"Authorization": f"Bearer {token}"})
    assert signed_in.status_code == 200


def test_portal_pages_are_limited_per_address(limited: TestClient) -> None:
    """Signed in or not: each page reads several APIs in-process, and new searches must not be free."""
    answers = [limited.get("/cases", params={"q": f"word{n}"}).status_code for n in range(3)]
    refused = limited.get("/deployments", params={"q": "word3"}, headers={"Accept-Language": "ko"})
    assert answers == [200, 200, 200] and refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"] == "RateLimited" and "초 후에" in refused.json()["detail"]
    signed_in = {"Cookie": "portal_session=anything"}
    assert limited.get("/", headers=signed_in).status_code == 429
    # The portal's static files and the probes are not pages; the anonymous API budget is its own.
    assert limited.get("/portal/static/portal.css").status_code == 200
    assert limited.get("/healthz").status_code == 200
    assert limited.get("/api/v1/reference/regions").status_code == 200
    other = TestClient(limited.app, client=("10.0.0.7", 50000))
    assert other.get("/cases").status_code == 200, "another address has its own budget"


def test_uploads_are_limited_per_client(limited: TestClient) -> None:
    issuer = state_of(limited.app).get(DEV_ISSUER)

    def gateway(client_id: str, factory: str = "factory-sme-1-a") -> dict[str, str]:
        token = issuer.issue(
            subject=f"sa-{client_id}",
            roles=["gateway"],
            org_id="org-sme-1",
            factory_id=factory,
            client_id=client_id,
        )
        return {"Authorization": f"Bearer {token}"}

    first = gateway("edge-1")
    assert [_upload(limited, first) for _ in range(2)] != [429, 429]
    refused = limited.post(UPLOAD, content=b"{}", headers=first)
    assert refused.status_code == 429 and refused.json()["error"] == "RateLimited"
    assert "Retry-After" in refused.headers
    assert _upload(limited, gateway("edge-2")) != 429  # another client has its own bucket
    # A token that does not verify cannot spend a real client's bucket: it is keyed by address.
    forged = {"Authorization": "Bearer " + gateway("edge-3")["Authorization"][7:-4] + "AAAA"}
    assert _upload(limited, forged) == 401


def test_a_token_that_does_not_verify_is_anonymous(limited: TestClient) -> None:
    """Sending any Authorization header must not lift the anonymous budget: only a valid token does."""
    junk = {"Authorization": "Bearer junk"}
    answers = [limited.get("/api/v1/deployments", headers=junk).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]  # /api/v1/deployments ignores tokens, the limiter does not


def test_password_guessing_at_the_development_token_endpoint_is_limited(limited: TestClient) -> None:
    form = {"grant_type": "password", "client_id": "smartmfg-api", "username": "sme1", "password": "guess"}
    answers = [limited.post("/dev-oidc/token", data=form).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]


def test_calls_between_services_are_not_counted(limited: TestClient) -> None:
    """The track record of a company asks the deployments service in-process, without a token: those calls
    must not share one bucket (they would all come from 127.0.0.1), or every client soon gets a 500."""
    issuer = state_of(limited.app).get(DEV_ISSUER)
    vendor = {"Authorization": "Bearer " + issuer.issue(subject="v", roles=["vendor"], org_id="org-vendor-3")}
    assert limited.post("/api/v1/companies", json=company_body(), headers=vendor).status_code == 201
    answers = []
    for address in ("10.0.0.1", "10.0.0.2"):
        other = TestClient(limited.app, client=(address, 50000))
        answers += [other.get("/api/v1/companies/org-vendor-3/track-record").status_code for _ in range(3)]
    assert answers == [200] * 6


def test_the_gateway_limits_requests_it_proxies(settings: PlatformSettings) -> None:
    """In the distributed topology the gateway forwards /api/v1/<service>; the limiter is in front of that."""
    gateway = settings.replaced(
        rate_limit={"public_per_minute": 2}, service_urls={"deployments": "http://127.0.0.1:9"}
    )
    with TestClient(create_app(gateway)) as client:
        answers = [client.get("/api/v1/deployments").status_code for _ in range(3)]
    assert answers == [503, 503, 429]  # the service is unreachable; the third request never leaves


def test_service_processes_behind_the_gateway_do_not_limit(settings: PlatformSettings) -> None:
    """They would see every client under the gateway's address."""
    service = settings.replaced(rate_limit={"public_per_minute": 1})
    with TestClient(create_app(service, services=["deployments"])) as client:
        assert [client.get("/api/v1/deployments").status_code for _ in range(3)] == [200, 200, 200]


def test_an_upload_token_is_verified_once(limited: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limiter's verification is handed to the route; only a different token is verified again."""
    app = limited.app
    verifier = state_of(app).get(TOKEN_VERIFIER)
    verified: list[str] = []
    real = verifier.verify

    def counting(token: str) -> dict[str, object]:
        verified.append(token)
        return real(token)  # type: ignore[no-any-return]

    monkeypatch.setattr(verifier, "verify", counting)
    issuer = state_of(app).get(DEV_ISSUER)
    claims = {"org_id": "org-sme-1", "factory_id": "factory-sme-1-a"}
    token = issuer.issue(subject="sa-edge-1", roles=["gateway"], **claims)
    # verified, then refused: the factory is not registered
    assert _upload(limited, {"Authorization": f"Bearer {token}"}) == 422
    assert verified == [token]
    # Anything the route sees that the limiter did not verify is verified by the route itself.
    assert limited.get("/api/v1/identity/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert verified == [token, token]
