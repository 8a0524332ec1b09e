"""JSON of stored entities, rendered once per version: a list page joins the stored bytes.

A list page of 50 full records spent most of its time building and validating the same output models again,
and FastAPI validated and serialised them once more on the way out. An entity's output changes only with a
write, which moves a stamp the list query reads anyway (a version counter, an ``updated_at``): keyed by that
stamp and whatever else the output depends on, its JSON is built once and reused by every page showing it.
Each process keeps its own, in its cache of rendered JSON (services.kit.cache: bounded by bytes and time;
one per app, so a test's fresh database gets a fresh one); a stamp read from the database is never stale, so
processes need not agree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi import Response
from pydantic import BaseModel

from services.kit.cache import PUBLIC, Cache, Caches, Key

R = TypeVar("R")


def rendered_key(kind: str, identity: Hashable) -> Key:
    """The one key of an entity's JSON: ``identity`` is its id, its version stamp and whatever else its
    output depends on (the view of it a caller gets, e.g. with private fields; never the caller)."""
    return Key(f"rendered.{kind}", PUBLIC, identity)


@dataclass(frozen=True)
class Rendered:
    """The JSON of the entities called ``kind``, in the process's cache of rendered JSON."""

    cache: Cache[bytes]
    kind: str

    def known(self, identity: Hashable) -> bytes | None:
        return self.cache.get(rendered_key(self.kind, identity))

    def keep(self, identity: Hashable, model: BaseModel) -> bytes:
        # as FastAPI renders a response model: by alias, unset and None fields included
        body = model.model_dump_json(by_alias=True).encode()
        return self.cache.put(rendered_key(self.kind, identity), body)


def rendered_of(caches: Caches, kind: str) -> Rendered:
    """The process's rendered JSON of the entities called ``kind``."""
    return Rendered(caches.rendered, kind)


def rendered_page(
    rows: list[R],
    key: Callable[[R], Hashable],
    rendered: Rendered,
    build: Callable[[list[R]], Sequence[BaseModel]],
    next_cursor: str | None,
    **beside: Any,
) -> Response:
    """A ``Page`` of ``rows`` as JSON: each row's stored JSON by ``key``, the rest built by ``build`` (one
    call for all the rows not known, so it can load what they need in one query); ``beside``: fields of
    the page itself, after ``next_cursor``."""
    return page_json(rendered_items(rows, key, rendered, build), next_cursor, **beside)


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


def page_json(items: Iterable[bytes], next_cursor: str | None, **beside: Any) -> Response:
    """``{"items": [...], "next_cursor": ..., **beside}`` from items already JSON."""
    body = b'{"items":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(next_cursor)
    body += b"".join(b"," + orjson.dumps(name) + b":" + orjson.dumps(value) for name, value in beside.items())
    body += b"}"
    return Response(body, media_type="application/json")
