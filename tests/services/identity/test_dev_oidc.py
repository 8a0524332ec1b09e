"""The embedded development issuer: real RS256 tokens through the same verification path as Keycloak's."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings, Topology
from services.kit.tokens import DEV_ISSUER


def test_password_grant_gives_a_verifiable_token(client: TestClient) -> None:
    answer = client.post(
        "/dev-oidc/token",
        data={
            "grant_type": "password",
            "client_id": "smartmfg-api",
            "username": "sme1",
            "password": "sme1-pass",
        },
    ).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600
    keys = jwt.PyJWKSet.from_dict(client.get("/dev-oidc/jwks").json())
    header = jwt.get_unverified_header(answer["access_token"])
    claims = jwt.decode(
        answer["access_token"],
        keys[header["kid"]].key,
        algorithms=["RS256"],
        audience="smartmfg-api",
        issuer=client.get("/dev-oidc/.well-known/openid-configuration").json()["issuer"],
    )
    assert claims["org_id"] == "org-sme-1" and claims["realm_access"]["roles"] == ["sme"]
    me = {"Authorization": f"Bearer {answer['access_token']}"}
    assert client.post("/api/v1/deployments", json={}, headers=me).status_code == 422  # authenticated


def test_client_credentials_for_gateways(client: TestClient) -> None:
    answer = client.post(
        "/dev-oidc/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "edge-gw-demo-2",
            "client_secret": "edge-gw-demo-2-secret",
        },
    ).json()
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert (claims["factory_id"], claims["org_id"], claims["azp"]) == (
        "factory-sme-2-a",
        "org-sme-2",
        "edge-gw-demo-2",
    )


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "client_id": "smartmfg-api", "username": "sme1", "password": "wrong"},
        {
            "grant_type": "password",
            "client_id": "smartmfg-api",
            "username": "ghost",
            "password": "ghost-pass",
        },
        {"grant_type": "client_credentials", "client_id": "edge-gw-demo-1", "client_secret": "nope"},
    ],
)
def test_wrong_credentials_are_refused(client: TestClient, form: dict[str, str]) -> None:
    assert client.post("/dev-oidc/token", data=form).status_code == 401


def test_unknown_grant_is_a_validation_error(client: TestClient) -> None:
    answer = client.post("/dev-oidc/token", data={"grant_type": "implicit", "client_id": "x"})
    assert answer.status_code == 422 and answer.json()["fields"][0]["loc"] == "body.grant_type"


def test_token_of_another_issuer_key_is_refused(client: TestClient, tmp_path: Path) -> None:
    other = PlatformSettings(data_dir=tmp_path / "other", public_url="http://testserver")
    with TestClient(create_app(other, run_migrations=True)) as stranger:
        issuer = state_of(stranger.app).get(DEV_ISSUER)
        forged = issuer.issue(subject="x", roles=["admin"], org_id="org-operator")
    answer = client.post("/api/v1/deployments", json={}, headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


def test_distributed_topology_refuses_development_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SMARTMFG_OIDC_ISSUER is required"):
        PlatformSettings(topology="distributed", allow_dev_secrets=True, data_dir=tmp_path)
    with pytest.raises(ValueError, match="SMARTMFG_MINIO_SECRET_KEY still has its development default"):
        PlatformSettings(topology="distributed", oidc={"issuer": "http://kc/realms/x"}, data_dir=tmp_path)
    ok = PlatformSettings(
        topology="distributed",
        oidc={"issuer": "http://kc/realms/x"},
        minio={"secret_key": "s3cr3t-1"},
        keycloak={"client_secret": "s3cr3t-2"},
        data_dir=tmp_path,
    )
    assert not ok.embedded


def test_the_development_issuer_refuses_to_start_outside_the_embedded_topology(
    settings: PlatformSettings,
) -> None:
    """Even when the settings' own guard is bypassed (model_copy does not validate), the process refuses."""
    distributed = settings.model_copy(
        update={"topology": Topology.DISTRIBUTED, "oidc": settings.oidc.model_copy(update={"issuer": None})}
    )
    app = create_app(distributed)
    assert not any(getattr(r, "path", "").startswith("/dev-oidc") for r in app.routes)
    with pytest.raises(RuntimeError, match="only in the embedded topology"), TestClient(app):
        pass


@pytest.mark.servers  # asks the real Keycloak what it calls itself
def test_a_misconfigured_issuer_url_refuses_to_start(settings: PlatformSettings) -> None:
    """Keycloak names itself differently (e.g. another host name): every token would fail the issuer check."""
    wrong = settings.replaced(oidc={"issuer": "http://localhost:58080/realms/smartmfg"})
    with pytest.raises(RuntimeError, match="provider calls itself"), TestClient(create_app(wrong)):
        pass
