"""JSON of stored entities, rendered once per version: a list page joins the stored bytes.

A list page of 50 full records spent most of its time building and validating the same output models again,
and FastAPI validated and serialised them once more on the way out. An entity's output changes only with a
write, which moves a stamp the list query reads anyway (a version counter, an ``updated_at``): keyed by that
stamp and whatever else the output depends on, its JSON is built once and reused by every page showing it.
Each process keeps its own (one per app: a test's fresh database gets a fresh one); a stamp read from the
database is never stale, so processes need not agree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
from fastapi import Response
from pydantic import BaseModel

from services.kit.lru import Lru

R = TypeVar("R")
KEPT = 8192  # entities per kind: a few MiB of JSON for full deployment records (~5 KiB each)


class Rendered:
    """Bounded (least recently used goes first) JSON of entities by key."""

    def __init__(self, kept: int = KEPT) -> None:
        self._json: Lru[Hashable, bytes] = Lru(kept)

    def known(self, key: Hashable) -> bytes | None:
        return self._json.get(key)

    def keep(self, key: Hashable, model: BaseModel) -> bytes:
        # as FastAPI renders a response model: by alias, unset and None fields included
        return self._json.put(key, model.model_dump_json(by_alias=True).encode())


def rendered_of(state: Any, name: str) -> Rendered:
    """The app's rendered JSON of the entities called ``name``."""
    kinds: dict[str, Rendered] | None = getattr(state, "rendered", None)
    if kinds is None:
        kinds = state.rendered = {}
    return kinds.setdefault(name, Rendered())


def rendered_page(
    rows: list[R],
    key: Callable[[R], Hashable],
    rendered: Rendered,
    build: Callable[[list[R]], Sequence[BaseModel]],
    next_cursor: str | None,
) -> Response:
    """A ``Page`` of ``rows`` as JSON: each row's stored JSON by ``key``, the rest built by ``build`` (one
    call for all the rows not known, so it can load what they need in one query)."""
    return page_json(rendered_items(rows, key, rendered, build), next_cursor)


def rendered_items(
    rows: list[R],
    key: Callable[[R], Hashable],
    rendered: Rendered,
    build: Callable[[list[R]], Sequence[BaseModel]],
) -> list[bytes]:
    """The JSON of each of ``rows``, as :func:`rendered_page` joins them."""
    keys = [key(row) for row in rows]
    bodies = [rendered.known(k) for k in keys]
    missing = [i for i, body in enumerate(bodies) if body is None]
    if missing:
        for i, model in zip(missing, build([rows[i] for i in missing]), strict=True):
            bodies[i] = rendered.keep(keys[i], model)
    return [b for b in bodies if b is not None]


def page_json(items: Iterable[bytes], next_cursor: str | None) -> Response:
    """``{"items": [...], "next_cursor": ...}`` from items already JSON."""
    body = b'{"items":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"
    return Response(body, media_type="application/json")
