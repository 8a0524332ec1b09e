"""A real platform process with the demo data, headless Debian Chromium driven by Playwright, and helpers.

Screenshots of every page at desktop and phone width land in ``tests/e2e/artifacts/portal/`` (ignored by
git) so a person can look at what the portal showed; every page is scanned with axe-core (the copy
bundled in the ``axe-playwright-python`` wheel).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect, sync_playwright

from tests.e2e.test_make_run import SMARTMFG, _run_platform, _stop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "portal"
AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    running = os.environ.get("SMARTMFG_E2E_PORTAL_URL")  # a `make run` already up, while writing tests
    if running:
        yield running.rstrip("/")
        return
    data_dir = tmp_path_factory.mktemp("portal-e2e")
    # The demo data (with 30 days of telemetry) takes minutes to load on a busy machine: load it first,
    # without the readiness deadline of a start; then `serve` it (what `run` does after its own migrate and
    # seed, which would find nothing left to do).
    env = {**os.environ, "SMARTMFG_DATA_DIR": str(data_dir), "SMARTMFG_TOPOLOGY": "embedded"}
    env.pop("SMARTMFG_DATABASE_URL", None)
    for step in ("migrate", "seed"):
        done = subprocess.run([str(SMARTMFG), step], env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"smartmfg {step}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    proc, base = _run_platform(data_dir, "serve")
    try:
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, portal_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=portal_url, viewport=DESKTOP, locale="ko-KR")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.evaluate(AXE_JS)
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def check_page(page: Page, name: str) -> None:
    """Accessibility scan, then screenshots at desktop and phone width, back to desktop afterwards."""
    serious = axe_violations(page)
    assert not serious, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in serious
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    page.screenshot(path=str(ARTIFACTS / f"{slug}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{name}: the page is {overflow}px wider than a 390px phone"
    page.screenshot(path=str(ARTIFACTS / f"{slug}-phone.png"), full_page=False)
    page.set_viewport_size(DESKTOP)


def sign_in(page: Page, username: str) -> None:
    """The whole authorization-code flow as a person does it: the sign-in link, the issuer's form."""
    page.goto("/")
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/dev-oidc/authorize"))
    page.fill("#username", username)
    page.fill("#password", f"{username}-pass")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/me/"))


def submit_as_planned(page: Page) -> None:
    """On a vendor's record page: every stage done as its plan says, saved, then the record submitted."""
    rows = page.locator("#stages tbody tr")
    for i in range(rows.count()):
        start, end = re.findall(r"\d{4}-\d{2}-\d{2}", rows.nth(i).locator("td").first.inner_text())
        page.fill(f"[id='stages[{i}].actual_start']", start)
        page.fill(f"[id='stages[{i}].actual_end']", end)
    page.click("#save-stages")
    page.wait_for_url(re.compile(r"\?done=stages$"))
    page.click("#submit")
    page.wait_for_url(re.compile(r"\?done=submitted$"))
    expect(page.locator("#record-state")).to_have_text("제출됨 (중소기업 확인 대기)")
