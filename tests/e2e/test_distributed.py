"""The distributed topology for real: a service process, a gateway proxying to it, PostgreSQL and Keycloak."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.e2e.test_make_run import _free_port, _stop
from tests.factories import company_body, deployment_body
from tests.workers import PLATFORM_PROCESSES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(PLATFORM_PROCESSES)]

KEYCLOAK = os.environ.get("SMARTMFG_TEST_KEYCLOAK_URL", "http://127.0.0.1:58080")
ISSUER = f"{KEYCLOAK}/realms/smartmfg"
SMARTMFG = Path(sys.executable).parent / "smartmfg"


def _keycloak_token(username: str) -> str:
    answer = httpx.post(
        f"{ISSUER}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "smartmfg-api",
            "client_secret": "smartmfg-api-secret",
            "username": username,
            "password": f"{username}-pass",
        },
        timeout=30,
    )
    assert answer.status_code == 200, f"Keycloak at {KEYCLOAK} refused a token: {answer.text}"
    return str(answer.json()["access_token"])


def _wait_ready(proc: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base} not ready")


@pytest.fixture
def database() -> Iterator[str]:
    name = f"smartmfg_e2e_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_gateway_proxies_a_service_process_with_keycloak_tokens(
    database: str, tmp_path: Path, keycloak_started: None
) -> None:
    env = {
        **os.environ,
        "SMARTMFG_TOPOLOGY": "distributed",
        "SMARTMFG_DATABASE_URL": database,
        "SMARTMFG_OIDC_ISSUER": ISSUER,
        "SMARTMFG_ALLOW_DEV_SECRETS": "true",
        "SMARTMFG_DATA_DIR": str(tmp_path),
        # proxying is under test here: neither the warm-up before ready nor the rollups (no readings)
        "SMARTMFG_WARMUP_ENABLED": "false",
        "SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS": "0",
    }
    migrated = subprocess.run(
        [str(SMARTMFG), "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    service_port, gateway_port = _free_port(), _free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    siblings = f'{{"companies": "{gateway_url}", "identity": "{gateway_url}"}}'
    service = subprocess.Popen(
        [str(SMARTMFG), "serve", "--service", "deployments", "--port", str(service_port)],
        env={**env, "SMARTMFG_SERVICE_URLS": siblings},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    gateway = subprocess.Popen(
        [str(SMARTMFG), "serve", "--port", str(gateway_port)],
        env={**env, "SMARTMFG_SERVICE_URLS": f'{{"deployments": "http://127.0.0.1:{service_port}"}}'},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_ready(service, f"http://127.0.0.1:{service_port}")
        base = f"http://127.0.0.1:{gateway_port}"
        _wait_ready(gateway, base)
        assert httpx.get(f"{base}/dev-oidc/jwks").status_code == 404, "no dev issuer outside embedded"
        sme = {"Authorization": f"Bearer {_keycloak_token('sme1')}"}
        vendor = {"Authorization": f"Bearer {_keycloak_token('vendor1')}"}
        # The parties a record names are checked by the deployments process with the companies service,
        # which it reaches through the gateway.
        for headers, body in (
            (sme, company_body(company_id="org-sme-1", kind="sme", brn_first9="123456789", region="30")),
            (vendor, company_body(company_id="org-vendor-1", brn_first9="220816251")),
        ):
            made = httpx.post(f"{base}/api/v1/companies", json=body, headers=headers, timeout=30)
            assert made.status_code == 201, made.text
        site = {
            "id": "factory-sme-1-a",
            "name": "대성정밀 제1공장",
            "region_code": "30",
            "industry_code": "C29",
        }
        made = httpx.post(f"{base}/api/v1/companies/org-sme-1/factories", json=site, headers=sme, timeout=30)
        assert made.status_code == 201, made.text
        created = httpx.post(
            f"{base}/api/v1/deployments",
            json=deployment_body(region="30", supplier="org-vendor-1"),
            headers=sme,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        record = created.json()
        assert record["owner_org_id"] == "org-sme-1" and record["status"] == "draft"
        mine = httpx.get(f"{base}/api/v1/deployments/{record['id']}", headers=sme, timeout=30)
        assert mine.status_code == 200, mine.text
        # A draft is its parties' business: the public list and other organisations do not see it.
        listed = httpx.get(f"{base}/api/v1/deployments", params={"region": "30"}, timeout=30).json()
        assert listed["items"] == []
        other = {"Authorization": f"Bearer {_keycloak_token('sme2')}"}
        refused = httpx.delete(f"{base}/api/v1/deployments/{record['id']}", headers=other, timeout=30)
        assert refused.status_code in (403, 404)
        forged = httpx.post(
            f"{base}/api/v1/deployments",
            json=deployment_body(),
            headers={"Authorization": "Bearer " + sme["Authorization"][7:-4] + "AAAA"},
            timeout=30,
        )
        assert forged.status_code == 401
        paths = httpx.get(f"{base}/openapi.json", timeout=30).json()["paths"]
        assert "/api/v1/deployments" in paths and "/api/v1/standards" in paths
    finally:
        _stop(gateway)
        _stop(service)
