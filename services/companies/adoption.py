"""Adoption of the data standards: which equipment-model version each piece of a factory's equipment
reports by, kept as rows (``co_factory_equipment``) beside the factory's ``equipment`` list so the
standards service can show, per model version, how many registered factories use it.

The rows are rewritten from the list on every factory write (``sync``) and go with the factory (foreign key
on delete cascade). Counts are public; which factories they are is not.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.companies.models import Factory, FactoryEquipment
from services.companies.schemas import AdoptionCount


def sync(session: Session, factory: Factory) -> None:
    session.execute(delete(FactoryEquipment).where(FactoryEquipment.factory_id == factory.id))
    session.add_all(
        FactoryEquipment(
            factory_id=factory.id,
            equipment_id=e["equipment_id"],
            model_id=e["model_id"],
            model_version=e["model_version"],
        )
        for e in factory.equipment
    )
    session.flush()


def counts(session: Session, model_ids: Sequence[str]) -> list[AdoptionCount]:
    """Per (model, version) in use: distinct factories and equipment; every model when none is named."""
    stmt = select(
        FactoryEquipment.model_id,
        FactoryEquipment.model_version,
        func.count(func.distinct(FactoryEquipment.factory_id)),
        func.count(),
    ).group_by(FactoryEquipment.model_id, FactoryEquipment.model_version)
    if model_ids:
        stmt = stmt.where(FactoryEquipment.model_id.in_(model_ids))
    rows = session.execute(stmt.order_by(FactoryEquipment.model_id, FactoryEquipment.model_version))
    return [AdoptionCount(model_id=m, model_version=v, factories=f, equipment=n) for m, v, f, n in rows.all()]
