"""The portal's view of the platform: calls to the services' own APIs, never their tables.

Calls go through ``services.kit.clients.ServiceClient`` (in-process when embedded, HTTP when distributed)
with the visitor's token, so every service applies its own visibility and tenancy. Anonymous reads are
kept per process: fresh for ``PUBLIC_TTL_S`` seconds, then served stale for up to ``STALE_S`` more while
one background call refreshes them (browsing re-reads the same public lists on every click, and a full
list of deployment records takes the API about a second). So published data shows up to a refresh later
(on another gateway replica, too); a write through the portal clears this process's copy at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from fastapi import Request

from platform_api.portal.kept import noted_read
from platform_api.portal.messages import chosen_lang
from services.kit.clients import ServiceClient, service_client
from services.kit.errors import NotFound, PlatformError

log = logging.getLogger(__name__)

PUBLIC_TTL_S = 15.0
STALE_S = 600.0
PAGE_LIMIT = 200
MAX_ITEMS = 5000  # a list longer than this is shown in part: the portal pages in memory

_CACHE_KEY = "portal_public_cache"


class SignedOut(Exception):
    """The visitor's token was refused (expired or revoked): they must sign in again."""


class PortalApi:
    def __init__(self, request: Request, token: str | None) -> None:
        self._client: ServiceClient = service_client(request)
        self._state = request.app.state
        self.token = token
        self._request = request

    def _cache(self) -> dict[tuple[Any, ...], tuple[float, Any]]:
        cache: dict[tuple[Any, ...], tuple[float, Any]] | None = getattr(self._state, _CACHE_KEY, None)
        if cache is None:
            cache = {}
            setattr(self._state, _CACHE_KEY, cache)
        return cache

    def forget_public(self) -> None:
        self._cache().clear()
        # An answer fetched before the write must not be stored after it.
        self._state.portal_generation = getattr(self._state, "portal_generation", 0) + 1

    def recall(self, key: tuple[Any, ...]) -> tuple[bool, Any]:
        """(found, value) of something the portal worked out from the APIs within its time to live."""
        hit = self._cache().get(("memo", *key))
        if hit is None or hit[0] <= time.monotonic():
            return False, None
        return True, noted_read(self._request, hit[1])

    def remember(self, key: tuple[Any, ...], value: Any, ttl_s: float) -> None:
        self._cache()[("memo", *key)] = (time.monotonic() + ttl_s, value)

    async def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """One answer of ``/api/v1/<service><path>``; NotFound for a 404, SignedOut for a refused token."""
        if self.token is not None:
            return await self._fetch(service, path, params)
        return noted_read(self._request, await self._public(service, path, params))

    async def _public(self, service: str, path: str, params: dict[str, Any] | None) -> Any:
        key = (service, path, tuple(sorted((params or {}).items())))
        hit = self._cache().get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        if hit is not None and hit[0] + STALE_S > now:
            self._refresh_later(key, service, path, params)
            return hit[1]
        return await self._fetch_and_keep(key, service, path, params)

    async def _fetch(self, service: str, path: str, params: dict[str, Any] | None) -> Any:
        try:
            return await self._client.get_json(service, path, params=params, token=self.token)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 401 and self.token:
                raise SignedOut from exc
            raise

    async def _fetch_and_keep(
        self, key: tuple[Any, ...], service: str, path: str, params: dict[str, Any] | None
    ) -> Any:
        generation = getattr(self._state, "portal_generation", 0)
        answer = await self._fetch(service, path, params)
        if generation == getattr(self._state, "portal_generation", 0):
            self._cache()[key] = (time.monotonic() + PUBLIC_TTL_S, answer)
        return answer

    def _refresh_later(
        self, key: tuple[Any, ...], service: str, path: str, params: dict[str, Any] | None
    ) -> None:
        refreshing: set[tuple[Any, ...]] = getattr(self._state, "portal_refreshing", set())
        self._state.portal_refreshing = refreshing
        if key in refreshing:
            return
        refreshing.add(key)

        async def refresh() -> None:
            try:
                await self._fetch_and_keep(key, service, path, params)
            except (PlatformError, httpx.HTTPError, ValueError) as exc:
                log.info("portal: refreshing %s%s failed: %s", service, path, exc)
            finally:
                refreshing.discard(key)

        # The set keeps the task referenced until it is done (the loop holds only weak references).
        task = asyncio.get_running_loop().create_task(refresh())
        tasks: set[asyncio.Task[None]] = getattr(self._state, "portal_refresh_tasks", set())
        self._state.portal_refresh_tasks = tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def maybe(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """Like ``get``, but None when the service cannot answer: the page shows what it has."""
        try:
            return await self.get(service, path, params)
        except SignedOut:
            raise
        except (PlatformError, httpx.HTTPError, ValueError) as exc:
            log.info("portal: %s%s unavailable: %s", service, path, exc)
            return None

    async def all(
        self, service: str, path: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list (``items`` + ``next_cursor``), up to ``MAX_ITEMS``."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(items) < MAX_ITEMS:
            page_params = {**(params or {}), "limit": PAGE_LIMIT}
            if cursor:
                page_params["cursor"] = cursor
            page = await self.get(service, path, page_params)
            items.extend(page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items

    async def all_or_none(
        self, service: str, path: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]] | None:
        try:
            return await self.all(service, path, params)
        except SignedOut:
            raise
        except NotFound:
            return []
        except (PlatformError, httpx.HTTPError, ValueError) as exc:
            log.info("portal: %s%s unavailable: %s", service, path, exc)
            return None

    async def send(self, method: str, service: str, path: str, body: Any = None) -> httpx.Response:
        # A write's refusal is shown on the page: in the visitor's language.
        korean = chosen_lang(self._request) == "ko"
        response = await self._client.send(method, service, path, json=body, token=self.token, korean=korean)
        if response.status_code == 401:
            raise SignedOut
        if response.status_code < 300:
            self.forget_public()
        return response
