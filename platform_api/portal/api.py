"""The portal's view of the platform: calls to the services' own APIs, never their tables.

Calls go through ``services.kit.clients.ServiceClient`` (in-process when embedded, HTTP when distributed)
with the visitor's token, so every service applies its own visibility and tenancy. Anonymous reads are
kept per process (the ``portal`` cache of services.kit.cache, bounded by bytes and time): fresh for
``PUBLIC_TTL_S`` seconds, then served stale for up to ``STALE_S`` more while one background call refreshes
them (browsing re-reads the same public lists on every click, and a full list of deployment records takes
the API about a second). So published data shows up to a refresh later (on another gateway replica, too); a
write through the portal clears this process's copy at once. What the portal works out from the answers
(``remember``) is kept for the viewer it was worked out for.

What a page asks (measured at the national scale, one request at a time, 2026-12-07): a browse page
(``catalogue.Served``) makes two calls, ``/facets`` and one page of the list (at once for a first page; for
a later one the list after the facets, and none when nothing matches), then the names of the companies it
shows (``names``: up to ~120 for a page of records and its supplier facet). Names are kept one by one, like
answers (``PUBLIC_TTL_S``, and a write through the portal forgets them), so a page asks only for the
companies no page named just before: the 20 SMEs of a page of records rather than its ~120 companies, and
usually nothing for a page of use cases. The companies list asks ``/facets`` of use cases and of records
for the suppliers that its search ``q`` also finds (``catalogue._suppliers_found``) before its own two
calls. What a page costs is then these calls (counting the facets over the filtered records is most of a
search page's time); rendering takes 2.5-4 ms of CPU (a page of 20 records and ~100 supplier links, 24-47
KB: the fastest of 100 renders, which a loaded machine stretches tenfold).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Iterable
from typing import Any

import httpx
from fastapi import Request

from platform_api.portal.auth import session_token
from platform_api.portal.kept import Kept, noted_read
from platform_api.portal.messages import chosen_lang
from services.kit.cache import PUBLIC, Key, Viewer, caches, viewer_of
from services.kit.clients import ServiceClient, service_client
from services.kit.errors import NotFound, PlatformError
from services.kit.principal import Principal

log = logging.getLogger(__name__)

PUBLIC_TTL_S = 15.0
STALE_S = 600.0
PAGE_LIMIT = 200
MAX_ITEMS = 5000  # a list longer than this is shown in part: the portal pages in memory
# Background refreshes under way: the loop holds only weak references to tasks.
_REFRESHES: set[asyncio.Task[None]] = set()


def answer_key(viewer: Viewer, service: str, path: str, params: dict[str, Any] | None) -> Key:
    """The one key of an API answer the portal keeps (only anonymous ones: ``viewer`` is the public)."""
    return Key("portal.answer", viewer, None, (service, path, tuple(sorted((params or {}).items()))))


def _worked_out_key(viewer: Viewer, asked: tuple[Any, ...]) -> Key:
    """The one key of what the portal worked out from answers ``viewer`` may read."""
    return Key("portal.worked-out", viewer, None, asked)


class SignedOut(Exception):
    """The visitor's token was refused (expired or revoked): they must sign in again."""


async def _or_none(what: str, answer: Awaitable[Any]) -> Any:
    """``answer``, or None when the service cannot give it (logged); a refused token still signs out."""
    try:
        return await answer
    except SignedOut:
        raise
    except (PlatformError, httpx.HTTPError, ValueError) as exc:
        log.info("portal: %s unavailable: %s", what, exc)
        return None


class PortalApi:
    """The APIs as ``principal`` (verified from the session cookie) calls them, or anonymously."""

    def __init__(self, request: Request, principal: Principal | None = None) -> None:
        self._client: ServiceClient = service_client(request)
        self._cache = caches(request).portal
        self.token = session_token(request) if principal is not None else None
        self._viewer = viewer_of(principal)
        self._request = request

    def forget_public(self) -> None:
        self._cache.clear()  # and an answer fetched before the write is not stored after it (epoch)

    def recall(self, asked: tuple[Any, ...]) -> tuple[bool, Any]:
        """(found, value) of something the portal worked out from the APIs within its time to live."""
        hit: Kept | None = self._cache.get(_worked_out_key(self._viewer, asked))
        if hit is None or hit.fresh_until <= time.monotonic():
            return False, None
        return True, noted_read(self._request, hit)

    def remember(self, asked: tuple[Any, ...], value: Any, ttl_s: float) -> None:
        until = time.monotonic() + ttl_s
        self._cache.put(_worked_out_key(self._viewer, asked), Kept(value, until, until), ttl_s=ttl_s)

    async def names(self, service: str, ids: Iterable[str], batch: int) -> dict[str, Any]:
        """The ``name`` of each item of ``/api/v1/<service>?ids=…`` among ``ids`` (none for an id it does not
        list), each kept on its own for ``PUBLIC_TTL_S``: a browse page names up to ~120 companies, mostly
        those pages before it named, so only the ones not kept are asked for (``batch`` ids a call)."""
        named: dict[str, Any] = {}
        missing: list[str] = []
        for item_id in sorted(set(ids)):
            found, name = self.recall(("name", service, item_id))
            if not found:
                missing.append(item_id)
            elif name is not None:
                named[item_id] = name
        for start in range(0, len(missing), batch):
            asked = missing[start : start + batch]
            epoch = self._cache.epoch  # a name read before a write through the portal is not kept after it
            listing = self._fetch(service, "", {"ids": tuple(asked), "limit": batch})
            answer = await _or_none(f"names of {service}", listing)
            if answer is None:
                continue
            listed = {item["id"]: item.get("name") for item in answer.get("items") or []}
            until = time.monotonic() + PUBLIC_TTL_S
            for item_id in asked:
                kept = Kept(listed.get(item_id), until, until)
                key = _worked_out_key(self._viewer, ("name", service, item_id))
                name = noted_read(self._request, self._cache.put(key, kept, ttl_s=PUBLIC_TTL_S, epoch=epoch))
                if name is not None:
                    named[item_id] = name
        return named

    async def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """One answer of ``/api/v1/<service><path>``; NotFound for a 404, SignedOut for a refused token."""
        if self.token is not None:
            return await self._fetch(service, path, params)
        return noted_read(self._request, await self._public(service, path, params))

    async def _public(self, service: str, path: str, params: dict[str, Any] | None) -> Kept:
        key = answer_key(PUBLIC, service, path, params)
        hit: Kept | None = self._cache.get(key)  # the cache forgets it STALE_S after it went stale
        now = time.monotonic()
        if hit is None:
            return await self._fetch_and_keep(key, service, path, params)
        if hit.fresh_until <= now and hit.refresh_at <= now:
            # Marked, so that the requests arriving meanwhile do not refresh it too (again after a failure).
            marked = dataclasses.replace(hit, refresh_at=now + PUBLIC_TTL_S)
            self._cache.put(key, marked, ttl_s=hit.fresh_until + STALE_S - now)
            self._refresh_later(key, service, path, params)
        return hit

    async def _fetch(self, service: str, path: str, params: dict[str, Any] | None) -> Any:
        try:
            return await self._client.get_json(service, path, params=params, token=self.token)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 401 and self.token:
                raise SignedOut from exc
            raise

    async def _fetch_and_keep(self, key: Key, service: str, path: str, params: dict[str, Any] | None) -> Kept:
        epoch = self._cache.epoch
        answer = await self._fetch(service, path, params)
        fresh_until = time.monotonic() + PUBLIC_TTL_S
        kept = Kept(answer, fresh_until, fresh_until)
        return self._cache.put(key, kept, ttl_s=PUBLIC_TTL_S + STALE_S, epoch=epoch)

    def _refresh_later(self, key: Key, service: str, path: str, params: dict[str, Any] | None) -> None:
        async def refresh() -> None:
            try:
                await self._fetch_and_keep(key, service, path, params)
            except (PlatformError, httpx.HTTPError, ValueError) as exc:
                log.info("portal: refreshing %s%s failed: %s", service, path, exc)

        task = asyncio.get_running_loop().create_task(refresh())
        _REFRESHES.add(task)
        task.add_done_callback(_REFRESHES.discard)

    async def maybe(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """Like ``get``, but None when the service cannot answer: the page shows what it has."""
        return await _or_none(f"{service}{path}", self.get(service, path, params))

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

    async def send(
        self,
        method: str,
        service: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """A write as the visitor: a JSON ``body``, an upload (``files`` and ``data``, multipart), or a
        document as the body itself (``content``, its type in ``headers``)."""
        # A write's refusal is shown on the page: in the visitor's language.
        korean = chosen_lang(self._request) == "ko"
        response = await self._client.send(
            method,
            service,
            path,
            json=body,
            token=self.token,
            korean=korean,
            headers=headers,
            files=files,
            data=data,
            content=content,
        )
        if response.status_code == 401:
            raise SignedOut
        if response.status_code < 300:
            self.forget_public()
        return response
