"""Signing in to the portal with Keycloak: the distributed topology's authorization code + PKCE flow."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e import test_distributed
from tests.e2e.portal.conftest import check_page
from tests.e2e.test_make_run import _free_port, _stop

pytestmark = pytest.mark.e2e

database = test_distributed.database  # a fresh PostgreSQL database for the gateway


def test_vendor_signs_in_through_keycloak(
    database: str, tmp_path: Path, browser: Browser, keycloak_started: None
) -> None:
    env = {
        **os.environ,
        "SMARTMFG_TOPOLOGY": "distributed",
        "SMARTMFG_DATABASE_URL": database,
        "SMARTMFG_OIDC_ISSUER": test_distributed.ISSUER,
        "SMARTMFG_ALLOW_DEV_SECRETS": "true",
        "SMARTMFG_DATA_DIR": str(tmp_path),
    }
    migrated = subprocess.run(
        [str(test_distributed.SMARTMFG), "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    gateway = subprocess.Popen(
        [str(test_distributed.SMARTMFG), "serve", "--port", str(port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    context = None
    try:
        test_distributed._wait_ready(gateway, base)
        context = browser.new_context(base_url=base, locale="ko-KR")
        page = context.new_page()
        page.goto("/")
        page.click("#sign-in")
        page.wait_for_url(
            re.compile(r"/realms/smartmfg/protocol/openid-connect/auth\?.*code_challenge_method=S256")
        )
        page.fill("#username", "vendor1")
        page.fill("#password", "vendor1-pass")
        page.click("#kc-login")
        page.wait_for_url(re.compile(rf"{base}/me/vendor"))
        expect(page.locator("header")).to_contain_text("vendor1")
        expect(page.locator("h1")).to_contain_text("공급기업 페이지")
        check_page(page, "vendor-page-keycloak")
    finally:
        if context is not None:
            context.close()
        _stop(gateway)
