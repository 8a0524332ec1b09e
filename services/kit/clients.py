"""Calls from one service to another's HTTP API: in-process in the embedded topology, over HTTP otherwise."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kit.errors import NotFound, ServiceUnavailable
from services.kit.messages import Msg, Verbatim
from services.kit.slots import Slot, slots_of

# Set in the ASGI scope of in-process calls between services: no HTTP client can set a scope key, so the
# rate limiter (platform_api.ratelimit) can tell a sibling service's call from a client's.
INTERNAL_CALL = "smartmfg.internal_call"


def _marked_internal(app: ASGIApp) -> ASGIApp:
    async def internal(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, INTERNAL_CALL: True}, receive, send)

    return internal


class ServiceClient:
    """An async JSON client for ``/api/v1/<service>/...`` of a sibling service."""

    def __init__(self, app: FastAPI, service_urls: dict[str, str], local: set[str]) -> None:
        """``local``: the services this process mounts; any other needs its URL in ``service_urls``."""
        self._in_process = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_marked_internal(app)),
            base_url="http://platform.internal",
            timeout=30.0,
        )
        self._urls = {name: url.rstrip("/") for name, url in service_urls.items() if url}
        # Only a process with remote siblings needs a network client: making one loads the CA certificates,
        # a fifth of an embedded app's start (as in platform_api/proxy.py).
        self._remote = httpx.AsyncClient(timeout=30.0) if self._urls else None
        self._local = local

    def _target(self, service: str, path: str) -> tuple[httpx.AsyncClient, str]:
        full_path = f"/api/v1/{service}{path}"
        if service in self._urls and self._remote is not None:
            return self._remote, self._urls[service] + full_path
        if service in self._local:
            return self._in_process, full_path
        # A service process without its siblings' addresses would otherwise call itself and read a 404
        # as "no such thing" (a misconfigured pod answering wrong data instead of failing).
        raise ServiceUnavailable(
            Msg("{service} service has no address here (SMARTMFG_SERVICE_URLS)", service=service),
            headers={"Retry-After": "5"},
        )

    async def get_json(
        self, service: str, path: str, *, params: dict[str, Any] | None = None, token: str | None = None
    ) -> Any:
        client, url = self._target(service, path)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await client.get(url, params=params, headers=headers)
        except httpx.InvalidURL as exc:
            # An id with characters no URL carries (control characters) names nothing there.
            raise NotFound(Msg("not found in {service}: {exc}", service=service, exc=exc)) from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                Msg("{service} service unreachable: {exc}", service=service, exc=exc),
                headers={"Retry-After": "5"},
            ) from exc
        if response.status_code == 404:
            said = response.json().get("detail")
            raise NotFound(Verbatim(said) if said else Msg("not found in {service}", service=service))
        if response.status_code >= 500:
            raise ServiceUnavailable(
                Msg(
                    "{service} service answered {status_code}",
                    service=service,
                    status_code=response.status_code,
                ),
                headers={"Retry-After": "5"},
            )
        response.raise_for_status()
        return response.json()

    async def send(
        self,
        method: str,
        service: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        korean: bool = False,
        headers: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """A write on the caller's behalf, its response returned as is (the caller shows its field errors,
        in Korean when ``korean``); ``headers`` such as ``If-Match`` are passed on. ``files`` and ``data``
        make it a multipart form (an upload) instead of a JSON body; ``content`` sends bytes as they are."""
        client, url = self._target(service, path)
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        if korean:
            headers["Accept-Language"] = "ko"
        try:
            return await client.request(
                method, url, json=json, headers=headers, files=files, data=data, content=content
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                Msg("{service} service unreachable: {exc}", service=service, exc=exc),
                headers={"Retry-After": "5"},
            ) from exc

    async def aclose(self) -> None:
        await self._in_process.aclose()
        if self._remote is not None:
            await self._remote.aclose()


SERVICE_CLIENT: Slot[ServiceClient] = Slot("service_client")  # made by the app's lifespan


def service_client(request: Request) -> ServiceClient:
    return slots_of(request.app).get(SERVICE_CLIENT)


def bearer_token(request: Request) -> str | None:
    """The caller's own token, forwarded so the sibling service applies the same tenancy."""
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None
