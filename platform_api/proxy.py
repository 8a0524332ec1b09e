"""Distributed topology: forward ``/api/v1/<service>/...`` to the process that runs that service.

Every upstream response the proxy opens is closed by the proxy once its answer to the client ends, however
it ends: streamed to the end, failed, or abandoned by a client that went away. Leaving that to garbage
collection kept the upstream connection (and the upstream's work) alive for as long as anything referred
to the response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import httpx
import orjson
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from services.kit.errors import ServiceUnavailable
from services.kit.i18n import prefers_korean
from services.kit.messages import Msg

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}


class UpstreamResponse(StreamingResponse):
    """The upstream's answer streamed as it arrives; the upstream response is closed when this one ends.

    Starlette stops the stream when the client disconnects (it listens for ``http.disconnect`` while
    streaming), which cancels the iteration wherever it waits: the close is shielded from that cancellation.
    """

    def __init__(self, upstream: httpx.Response) -> None:
        super().__init__(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP},
        )
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.upstream.aclose()


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
        return UpstreamResponse(upstream)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
