"""What a platform process warms before it reports ready (services.kit.warmup), and in which order.

Measured on the first dashboard request of a fresh embedded process (docs/benchmarks.md, SME dashboard):
FastAPI builds each included router's route state (dependants, response fields) on the first request that
walks it, about 0.45 s of CPU for the platform's routes; Jinja compiles a template on its first render,
about 0.6 s of CPU for all of the portal's. The message catalogue (~20 ms) and the token verifier are not
worth a step. The services' own steps (``ServiceSpec.warmup``: the lake's manifests and file footers) follow
the gateway's.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI

from platform_api.portal.render import compile_templates
from services.kit import heap
from services.kit.spec import ServiceSpec
from services.kit.warmup import Deadline, Step

UNROUTED = "/.warm-up"  # a path no route matches: matching it walks every router


async def _walk(app: FastAPI) -> int:
    """One GET of :data:`UNROUTED` through the route table alone (no middleware: no metrics, no rate
    limit); returns the status, 404."""
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": UNROUTED,
        "raw_path": UNROUTED.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 0),
        "server": ("warm-up", 80),
    }
    await app.router(scope, receive, send)
    return int(sent[0]["status"])


def route_table(app: FastAPI, deadline: Deadline) -> str:
    # In this worker thread's own event loop: FastAPI guards its lazily built route state with a lock.
    status = asyncio.run(_walk(app))
    return f"{len(app.routes)} routes, {status} for {UNROUTED}"


def templates(app: FastAPI, deadline: Deadline) -> str:
    return f"{compile_templates()} templates"


def settled_heap(app: FastAPI, deadline: Deadline) -> str:
    # What the steps made (route state, templates, manifests) lives as long as the process, like the app.
    heap.settle()
    return f"{gc.get_freeze_count()} objects frozen"


def steps(specs: list[ServiceSpec], *, portal: bool) -> list[tuple[str, Step]]:
    """The gateway's steps (the portal's only where it serves people: not in a service's own process),
    then each local service's; last, where the process froze its heap before serving (a served process,
    services.kit.heap; never a test's app), the heap settled again, so that the first requests do not pay
    a full collection over what the warm-up made (0.9-1.6 s at load ~22 on the dashboard bench)."""
    gateway: list[tuple[str, Step]] = [("route table", route_table)]
    if portal:
        gateway.append(("portal templates", templates))
    found = [(f"{spec.name}: {step.__name__}", step) for spec in specs for step in spec.warmup]
    return gateway + found + ([("heap", settled_heap)] if gc.get_freeze_count() else [])
