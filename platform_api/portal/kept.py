"""What the portal keeps between requests: API answers, each with a stamp of its own, and browse pages as
signed-out visitors get them, kept while they are made of the same answers.

Both live in the process's caches (services.kit.cache: ``portal`` and ``pages``, bounded by bytes and time).
Every answer ``PortalApi`` keeps gets a new :attr:`Kept.stamp` (it is replaced on a refresh or a write, and a
new answer never reuses a stamp). A browse page is a function of its URL, its language and the public
answers it read: rendering one (a facet column of ~170 links, 20 cards) took ~3.5 ms of the ~5 ms a page
cost, so its HTML is kept under a key whose version is the stamps of the answers it read, in any order (a
page reads some answers at once), and served again while the page reads answers of the very same stamps. A
changed answer has a new stamp: the page is rendered anew. Signed-in visitors see their name in the header:
their pages are always rendered.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from services.kit.cache import PUBLIC, Cache, Key, caches

_STAMPS = itertools.count(1)


@dataclass(frozen=True)
class Kept:
    """An answer the portal keeps: fresh until ``fresh_until`` (``time.monotonic()``), then served stale
    while a refresh runs (started from ``refresh_at`` on, so one at a time)."""

    answer: Any
    fresh_until: float
    refresh_at: float
    stamp: int = field(default_factory=lambda: next(_STAMPS))


def record_reads(request: Request) -> list[int]:
    """From now on, the stamps of the kept answers this request reads are listed (``PortalApi.get``)."""
    reads: list[int] = []
    request.state.portal_reads = reads
    return reads


def noted_read(request: Request, kept: Kept) -> Any:
    """``kept``'s answer, its stamp listed when the request records its reads."""
    reads: list[int] | None = getattr(request.state, "portal_reads", None)
    if reads is not None:
        reads.append(kept.stamp)
    return kept.answer


def page_key(request: Request, lang: str) -> Hashable:
    """What a browse page shows apart from its answers: its path, its language and its query."""
    return (request.url.path, lang, tuple(sorted(request.query_params.multi_items())))


def _kept_page_key(page: Hashable, reads: list[int]) -> Key:
    """The one key of a kept page: for signed-out visitors only, made of the answers of these stamps."""
    return Key("portal.page", PUBLIC, tuple(sorted(reads)), (page,))


@dataclass(frozen=True)
class KeptPages:
    pages: Cache[bytes]

    def get(self, page: Hashable, reads: list[int]) -> bytes | None:
        return self.pages.get(_kept_page_key(page, reads))

    def keep(self, page: Hashable, reads: list[int], body: bytes) -> None:
        self.pages.put(_kept_page_key(page, reads), body)


def kept_pages(request: Request) -> KeptPages:
    return KeptPages(caches(request).pages)
