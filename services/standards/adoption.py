"""Adoption counts of the data standards: how many registered factories use each model version, read from
the companies service's public ``/equipment-adoption`` (its factories' equipment registry). Counts only:
the public never learns which factories. When the companies service does not answer, the figures are left
out (null), never shown as zero.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from fastapi import Request

from services.kit.clients import service_client
from services.kit.errors import ServiceUnavailable
from services.standards.schemas import KeyEquipmentOut, ModelOut, VersionAdoption

log = logging.getLogger(__name__)
MAX_IDS = 200  # the companies endpoint's limit of model ids per call


async def by_model(request: Request, model_ids: list[str] | None) -> dict[str, list[VersionAdoption]] | None:
    """Versions in use per model (of ``model_ids``, or of every model when None)."""
    if model_ids is None:
        chunks: list[list[str] | None] = [None]
    else:
        chunks = [model_ids[i : i + MAX_IDS] for i in range(0, len(model_ids), MAX_IDS)]
    found: dict[str, list[VersionAdoption]] = defaultdict(list)
    try:
        for chunk in chunks:
            params = None if chunk is None else {"model_id": chunk}
            rows = await service_client(request).get_json("companies", "/equipment-adoption", params=params)
            for row in rows:
                found[row["model_id"]].append(
                    VersionAdoption(
                        version=row["model_version"], factories=row["factories"], equipment=row["equipment"]
                    )
                )
    except ServiceUnavailable:
        log.warning("adoption counts left out: the companies service did not answer")
        return None
    return dict(found)


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
