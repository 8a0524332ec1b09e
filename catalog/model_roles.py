"""The KPI roles of equipment model versions, asked of the standards API and cached for a while.

Analytics never reads the standards service's tables: a published version document is public
(``GET /api/v1/standards/{model}/versions/{version}``) and immutable once published, so a cached copy stays
right; the cache time (``SMARTMFG_REFERENCE_CACHE_SECONDS``) only bounds how long a deprecated or unknown
version is remembered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from fastapi import Request

from catalog.kpis import ModelRoles
from services.kit.clients import service_client
from services.kit.errors import NotFound

log = logging.getLogger(__name__)


class RoleBook:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._cache: dict[tuple[str, str], tuple[float, ModelRoles | None]] = {}

    async def roles(self, request: Request, pairs: Iterable[tuple[str, str]]) -> list[ModelRoles]:
        """Roles of the given (model, version) pairs; a version the standards do not know has none."""
        out = []
        for key in pairs:
            hit = self._cache.get(key)
            if hit is None or hit[0] < time.monotonic():
                try:
                    doc = await service_client(request).get_json("standards", f"/{key[0]}/versions/{key[1]}")
                    found: ModelRoles | None = ModelRoles.from_version(doc)
                except NotFound:
                    log.info("model %s %s is not in the standards: its readings enter no KPI", *key)
                    found = None
                hit = (time.monotonic() + self.ttl_s, found)
                self._cache[key] = hit
            if hit[1] is not None:
                out.append(hit[1])
        return out


def role_book(request: Request) -> RoleBook:
    """The process's cache, made on first use."""
    state = request.app.state
    book: RoleBook | None = getattr(state, "kpi_role_book", None)
    if book is None:
        book = RoleBook(state.settings.reference_cache_seconds)
        state.kpi_role_book = book
    return book
