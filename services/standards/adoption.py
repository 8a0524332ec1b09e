"""Adoption counts of the data standards: how many registered factories use each model version, read from
the companies service's public ``/equipment-adoption`` (its factories' equipment registry). Counts only:
the public never learns which factories. When the companies service does not answer, the figures are left
out (null), never shown as zero.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from fastapi import Request

from services.kit.app_state import app_state
from services.kit.cache import PUBLIC, Key, caches
from services.kit.clients import service_client
from services.kit.errors import ServiceUnavailable
from services.standards.schemas import KeyEquipmentOut, ModelOut, VersionAdoption

log = logging.getLogger(__name__)
InUse = dict[str, list[VersionAdoption]]


def _in_use_key() -> Key:
    """The one key of the adoption counts: public figures, read without a token."""
    return Key("companies.equipment-adoption", PUBLIC, None)


async def _in_use(request: Request) -> InUse | None:
    """Every model version in use (one call for all), read again after ``reference_cache_seconds`` (kept in
    the process's reference cache): every list page and model page shows these public figures, which may be
    that much late. None when the companies service does not answer (not kept: the next request asks
    again)."""
    cache = caches(request).reference
    kept: InUse | None = cache.get(_in_use_key())
    if kept is not None:
        return kept
    try:
        rows = await service_client(request).get_json("companies", "/equipment-adoption")
    except ServiceUnavailable:
        log.warning("adoption counts left out: the companies service did not answer")
        return None
    found: InUse = defaultdict(list)
    for row in rows:
        found[row["model_id"]].append(
            VersionAdoption(
                version=row["model_version"], factories=row["factories"], equipment=row["equipment"]
            )
        )
    ttl_s = app_state(request).settings.reference_cache_seconds
    return cache.put(_in_use_key(), dict(found), ttl_s=ttl_s)


async def by_model(request: Request, model_ids: list[str] | None) -> InUse | None:
    """Versions in use per model (of ``model_ids``, or of every model when None)."""
    in_use = await _in_use(request)
    if in_use is None or model_ids is None:
        return in_use
    return {m: in_use[m] for m in model_ids if m in in_use}


async def with_adoption(request: Request, models: list[ModelOut]) -> list[ModelOut]:
    counts = await by_model(request, [m.id for m in models])
    if counts is None:
        return models
    return [m.model_copy(update={"adoption": counts.get(m.id, [])}) for m in models]


async def key_equipment_in_use(
    request: Request, progress: KeyEquipmentOut, types: dict[str, str]
) -> KeyEquipmentOut:
    """``types``: the equipment type of every published model (model id -> type)."""
    counts = await by_model(request, None)
    if counts is None:
        return progress
    per_type: dict[str, int] = defaultdict(int)
    for model_id, versions in counts.items():
        if model_id in types:
            per_type[types[model_id]] += sum(v.equipment for v in versions)
    return progress.model_copy(
        update={
            "equipment_in_use": sum(per_type.values()),
            "by_equipment_type": [
                t.model_copy(update={"equipment_in_use": per_type.get(t.equipment_type, 0)})
                for t in progress.by_equipment_type
            ],
        }
    )
