"""Distributed topology: forward ``/api/v1/<service>/...`` to the process that runs that service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import orjson
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from services.kit.errors import ServiceUnavailable
from services.kit.i18n import prefers_korean
from services.kit.messages import Msg

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}


class ServiceProxy:
    def __init__(self, service_urls: dict[str, str]) -> None:
        self.targets = {f"/api/v1/{name}": url.rstrip("/") for name, url in service_urls.items() if url}
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)) if self.targets else None

    def target_for(self, path: str) -> str | None:
        for prefix, url in self.targets.items():
            if path == prefix or path.startswith(prefix + "/"):
                return url
        return None

    def install(self, app: FastAPI) -> None:
        if not self.targets:
            return

        @app.middleware("http")
        async def _forward(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            target = self.target_for(request.url.path)
            if target is None:
                return await call_next(request)
            return await self.forward(request, target)

    async def forward(self, request: Request, target: str) -> Response:
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream_request = self._client.build_request(
            request.method,
            target + request.url.path,
            params=request.query_params,
            headers=headers,
            content=request.stream(),
        )
        try:
            upstream = await self._client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            err = ServiceUnavailable(
                Msg("service at {target} unreachable: {exc}", target=target, exc=exc),
                headers={"Retry-After": "5"},
            )
            return Response(
                content=orjson.dumps(err.body(prefers_korean(request))),
                status_code=503,
                media_type="application/json",
                headers=err.headers,
            )
        response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=response_headers,
            background=None,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
