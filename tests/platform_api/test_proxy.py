"""The gateway's proxy over real TCP: a uvicorn gateway in front of a uvicorn upstream that streams slowly.

A client that goes away mid-stream must not leave the upstream response open: the upstream sees the
disconnect and the proxy's connection pool holds no stream for it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from platform_api.proxy import ServiceProxy


class StreamingUpstream:
    """An ASGI service that streams until its client disconnects, and records that it saw the disconnect.

    ``pause`` between chunks: a slow upstream leaves the proxy waiting on it when the client goes away; a
    fast one with big chunks leaves the proxy waiting to send to the client (its buffers full).
    """

    def __init__(self, chunk: int, pause: float) -> None:
        self.chunk, self.pause = chunk, pause
        self.disconnected = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        if scope["path"].endswith("/short"):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"whole answer"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-upstream", b"streaming")]})

        async def pump() -> None:
            for n in range(100_000):
                body = (b"chunk %d\n" % n).ljust(self.chunk, b".")
                await send({"type": "http.response.body", "body": body, "more_body": True})
                await asyncio.sleep(self.pause)

        task = asyncio.create_task(pump())
        while (await receive())["type"] != "http.disconnect":
            pass
        self.disconnected.set()
        task.cancel()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port in a thread; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def gateway(upstream_url: str, opened: list[httpx.Response]) -> Iterator[tuple[str, ServiceProxy]]:
    """A gateway proxying ``/api/v1/ingest`` to ``upstream_url``; ``opened`` gets each upstream response."""
    app = FastAPI()
    proxy = ServiceProxy({"ingest": upstream_url})
    proxy.install(app)

    async def keep(response: httpx.Response) -> None:
        opened.append(response)

    assert proxy._client is not None
    proxy._client.event_hooks["response"].append(keep)
    with served(app) as url:
        yield url, proxy


def _streams_in_use(proxy: ServiceProxy) -> int:
    """Connections of the proxy's pool that are carrying a response (not idle, not closed)."""
    assert proxy._client is not None
    pool = proxy._client._transport._pool  # type: ignore[attr-defined]
    return sum(1 for c in pool.connections if not c.is_idle() and not c.is_closed())


@pytest.mark.parametrize(
    ("chunk", "pause"), [(16, 0.02), (256 * 1024, 0.0)], ids=["upstream-slower", "client-slower"]
)
def test_a_client_that_goes_away_closes_the_upstream_response(chunk: int, pause: float) -> None:
    upstream = StreamingUpstream(chunk, pause)
    opened: list[httpx.Response] = []
    with served(upstream) as upstream_url, gateway(upstream_url, opened) as (url, proxy):
        with httpx.Client(timeout=10) as client, client.stream("GET", url + "/api/v1/ingest/x") as response:
            assert response.status_code == 200
            assert response.headers["x-upstream"] == "streaming"
            assert next(response.iter_raw()).startswith(b"chunk 0\n")
            time.sleep(0.3)  # the proxy is now waiting on the upstream or on this client
        # leaving the block before the end closed the client's connection mid-stream
        assert upstream.disconnected.wait(5), "the upstream never saw the proxy let go of its response"
        assert len(opened) == 1
        deadline = time.monotonic() + 5
        while not opened[0].is_closed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert opened[0].is_closed, "the proxy did not close the upstream response"
        assert _streams_in_use(proxy) == 0


def test_abandoned_streams_give_their_connections_back() -> None:
    """A pool of 3 upstream connections serves 10 abandoned streams in turn, then a whole answer."""
    upstream = StreamingUpstream(16, 0.02)
    with served(upstream) as upstream_url, gateway(upstream_url, []) as (url, proxy):
        proxy._client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=3), timeout=httpx.Timeout(5.0, pool=3.0)
        )
        for _ in range(10):
            with httpx.Client(timeout=10) as client, client.stream("GET", url + "/api/v1/ingest/s") as r:
                next(r.iter_raw())
        with httpx.Client(timeout=10) as client:
            answer = client.get(url + "/api/v1/ingest/short")
        assert answer.status_code == 200
        assert answer.content == b"whole answer"


def test_a_whole_answer_is_streamed_and_its_upstream_response_closed() -> None:
    opened: list[httpx.Response] = []
    with served(StreamingUpstream(16, 0.0)) as upstream_url, gateway(upstream_url, opened) as (url, _):
        with httpx.Client(timeout=10) as client:
            answer = client.get(url + "/api/v1/ingest/short")
        assert answer.content == b"whole answer"
        assert len(opened) == 1
        assert opened[0].is_closed
