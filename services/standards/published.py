"""A model version's document as the rest of the platform reads it: one fetch, kept in the process's
reference cache (services.kit.cache) and shared by the upload path (ingest: the data items a batch is
checked against) and the analytics (catalog: the KPI roles of the items).

The document is asked of the standards API (``GET /api/v1/standards/{model}/versions/{version}``) without a
token, so what is kept is what the public sees (a draft of a curator's is not found): the key's viewer is the
public, whoever uploads or asks. A published version is immutable; the time an entry is kept
(``reference_cache_seconds``) only bounds how long a version the standards did not know, or one since
deprecated, is remembered. A failed call (the service down) is not kept: the next lookup asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.kit.app_state import app_state
from services.kit.cache import PUBLIC, Key, caches
from services.kit.clients import service_client
from services.kit.errors import NotFound


@dataclass(frozen=True)
class _Looked:
    document: dict[str, Any] | None  # None: not a version the standards show the public


def version_key(model_id: str, version: str) -> Key:
    """The one key of a version document: the public's view; a version's document changes only from draft
    to published and to deprecated, which the time to live covers."""
    return Key("standards.version", PUBLIC, None, (model_id, version))


async def version_document(request: Request, model_id: str, version: str) -> dict[str, Any] | None:
    """The document of ``model_id`` at ``version``, or None when the standards do not show it."""
    cache = caches(request).reference
    key = version_key(model_id, version)
    looked: _Looked | None = cache.get(key)
    if looked is None:
        try:
            found = await service_client(request).get_json("standards", f"/{model_id}/versions/{version}")
        except NotFound:
            found = None
        ttl_s = app_state(request).settings.reference_cache_seconds
        looked = cache.put(key, _Looked(found), ttl_s=ttl_s)
    return looked.document
