"""The portal's cache of public reads: fresh, then stale while one refresh runs; a write clears it."""

from __future__ import annotations

import asyncio
import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.portal import api as portal_api
from services.kit.app_state import state_of
from services.kit.cache import PUBLIC
from services.kit.clients import SERVICE_CLIENT
from tests.conftest import Auth
from tests.factories import company_body, usecase_body
from tests.loops import run_apart


class _Request:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = SimpleNamespace()


def test_stale_answers_are_served_while_one_refresh_runs(
    client: TestClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = client.app
    calls: list[str] = []
    real = state_of(app).get(SERVICE_CLIENT).get_json

    async def counting(service: str, path: str, **kw: Any) -> Any:
        calls.append(path)
        return await real(service, path, **kw)

    monkeypatch.setattr(state_of(app).get(SERVICE_CLIENT), "get_json", counting)
    vendor = auth("vendor", org_id="org-vendor-9")
    cache = state_of(app).caches.portal

    async def scenario() -> None:
        reader = portal_api.PortalApi(_Request(app), None)  # type: ignore[arg-type]
        first = await reader.get("usecases", "/regions")
        assert await reader.get("usecases", "/regions") == first and len(calls) == 1, "fresh: no call"
        made = await asyncio.to_thread(
            client.post, "/api/v1/usecases", json=usecase_body(region="50"), headers=vendor
        )
        await asyncio.to_thread(client.post, f"/api/v1/usecases/{made.json()['id']}/publish", headers=vendor)
        key = portal_api.answer_key(PUBLIC, "usecases", "/regions", None)
        kept = cache.get(key)
        expires = kept.fresh_until - portal_api.PUBLIC_TTL_S
        cache.put(key, dataclasses.replace(kept, fresh_until=expires, refresh_at=expires))  # now stale
        assert await reader.get("usecases", "/regions") == first, "stale is served at once"
        assert await reader.get("usecases", "/regions") == first and len(portal_api._REFRESHES) == 1
        await asyncio.gather(*portal_api._REFRESHES)
        jeju = next(r for r in (await reader.get("usecases", "/regions"))["items"] if r["code"] == "50")
        assert jeju["count"] == 1 and len(calls) == 2, "one background refresh brought the new case"
        reader.forget_public()
        assert cache.stats().entries == 0 and cache.get(key) is None

    run_apart(scenario())


def test_company_names_are_kept_by_company_and_only_the_unnamed_are_asked_for(
    client: TestClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = client.app
    admin = auth("admin")
    for body in (
        company_body(company_id="org-vendor-41", brn_first9="220816251", name={"ko": "(주)가온MES"}),
        company_body(
            company_id="org-vendor-42",
            brn_first9="220816252",
            name={"ko": "(주)나래비전", "en": "Narae Vision"},
        ),
        company_body(company_id="org-vendor-43", brn_first9="220816253", name={"ko": "(주)다온로봇"}),
    ):
        assert client.post("/api/v1/companies", json=body, headers=admin).status_code == 201
    asked: list[tuple[str, ...]] = []
    real = state_of(app).get(SERVICE_CLIENT).get_json

    async def counting(service: str, path: str, **kw: Any) -> Any:
        asked.append(tuple(kw["params"]["ids"]))
        return await real(service, path, **kw)

    monkeypatch.setattr(state_of(app).get(SERVICE_CLIENT), "get_json", counting)

    async def scenario() -> None:
        reader = portal_api.PortalApi(_Request(app), None)  # type: ignore[arg-type]
        first = await reader.names("companies", ["org-vendor-42", "org-vendor-41", "org-nobody"], 200)
        assert first == {
            "org-vendor-41": {"ko": "(주)가온MES", "en": None},
            "org-vendor-42": {"ko": "(주)나래비전", "en": "Narae Vision"},
        }
        assert asked == [("org-nobody", "org-vendor-41", "org-vendor-42")]
        again = await reader.names("companies", ["org-vendor-43", "org-vendor-42", "org-nobody"], 200)
        assert again == {
            "org-vendor-42": {"ko": "(주)나래비전", "en": "Narae Vision"},
            "org-vendor-43": {"ko": "(주)다온로봇", "en": None},
        }
        assert asked[1:] == [("org-vendor-43",)], "only the one not named before (an unknown id is kept)"
        reader.forget_public()  # as a write through the portal does
        assert await reader.names("companies", ["org-vendor-41", "org-vendor-43"], 1) == {
            "org-vendor-41": {"ko": "(주)가온MES", "en": None},
            "org-vendor-43": {"ko": "(주)다온로봇", "en": None},
        }
        assert asked[2:] == [("org-vendor-41",), ("org-vendor-43",)], "asked again after the write, 1 a call"

    run_apart(scenario())
