"""Route of /equipment-adoption: how many registered factories use each data-standard version (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.companies import adoption
from services.companies.schemas import AdoptionCount
from services.kit.contract import answers
from services.kit.db import SessionDep

router = APIRouter()

ModelIds = Annotated[
    list[Annotated[str, Query(pattern=r"^[a-z][a-z0-9-]{2,63}$")]] | None,
    Query(max_length=200, description="equipment models to count (repeatable); none: every model in use"),
]


@router.get(
    "/equipment-adoption",
    summary="Registered factories and equipment per data-standard version in use, counts only (public)",
)
@answers()
def equipment_adoption(session: SessionDep, model_id: ModelIds = None) -> list[AdoptionCount]:
    return adoption.counts(session, model_id or [])
