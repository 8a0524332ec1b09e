"""Browse pages as signed-out visitors get them, kept while they are made of the same API answers.

A browse page is a function of its URL, its language and the public answers it read (``PortalApi`` keeps
each answer as one object for ``PUBLIC_TTL_S`` and replaces it on a refresh or a write). Rendering one (a
facet column of ~170 links, 20 cards) took ~3.5 ms of the ~5 ms a page cost; so the HTML is kept with the
answers it was made of, and served again while the page reads the very same objects (compared by
identity, in any order: the kept page holds them, so no other object can take their place). A changed
answer renders the page anew. Signed-in visitors see their name in the header: their pages are always
rendered.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from fastapi import Request

from services.kit.lru import Lru

KEPT_PAGES = 256


def record_reads(request: Request) -> list[Any]:
    """From now on, the public answers this request reads are listed (``PortalApi.get`` appends them)."""
    reads: list[Any] = []
    request.state.portal_reads = reads
    return reads


def noted_read(request: Request, answer: Any) -> Any:
    reads: list[Any] | None = getattr(request.state, "portal_reads", None)
    if reads is not None:
        reads.append(answer)
    return answer


def page_key(request: Request, lang: str) -> Hashable:
    return (request.url.path, lang, tuple(sorted(request.query_params.multi_items())))


class KeptPages:
    def __init__(self) -> None:
        self._pages: Lru[Hashable, tuple[list[Any], bytes]] = Lru(KEPT_PAGES)

    def get(self, key: Hashable, reads: list[Any]) -> bytes | None:
        kept = self._pages.get(key)
        if kept is None or len(kept[0]) != len(reads):
            return None
        # in any order (a page reads some answers at once); ids of live objects are theirs alone
        return kept[1] if {id(a) for a in kept[0]} == {id(b) for b in reads} else None

    def keep(self, key: Hashable, reads: list[Any], body: bytes) -> None:
        self._pages.put(key, (list(reads), body))


def kept_pages(request: Request) -> KeptPages:
    pages: KeptPages | None = getattr(request.app.state, "portal_kept_pages", None)
    if pages is None:
        pages = request.app.state.portal_kept_pages = KeptPages()
    return pages
