"""The KPI roles of equipment model versions, read from their version documents.

Analytics never reads the standards service's tables: a published version document is public
(``GET /api/v1/standards/{model}/versions/{version}``) and immutable once published. It is the very document
the upload path checks batches against, fetched once and kept for both in the process's reference cache
(services.standards.published); a version the standards do not know has no roles, and its readings enter no
KPI.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import Request

from catalog.kpis import ModelRoles
from services.standards.published import version_document

log = logging.getLogger(__name__)


async def roles(request: Request, pairs: Iterable[tuple[str, str]]) -> list[ModelRoles]:
    """Roles of the given (model, version) pairs that the standards know."""
    out = []
    for model_id, version in pairs:
        doc = await version_document(request, model_id, version)
        if doc is None:
            log.debug("model %s %s is not in the standards: its readings enter no KPI", model_id, version)
        else:
            out.append(ModelRoles.from_version(doc))
    return out
