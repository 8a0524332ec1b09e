"""Every query of the standards service."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.kit.errors import NotFound
from services.kit.principal import Principal
from services.standards.models import EquipmentModel, ModelVersion


def _missing(what: str) -> NotFound:
    return NotFound(f"{what} does not exist", detail_ko=f"{what}을(를) 찾을 수 없습니다")


def get_model(session: Session, model_id: str) -> EquipmentModel:
    model = session.get(EquipmentModel, model_id)
    if model is None:
        raise _missing(f"equipment model '{model_id}'")
    return model


def get_version(session: Session, model_id: str, version: str) -> ModelVersion:
    row = session.get(ModelVersion, (model_id, version))
    if row is None:
        raise _missing(f"version {version} of equipment model '{model_id}'")
    return row


def visible_models(
    principal: Principal | None, *, equipment_type: str | None, status: str | None, q: str | None
) -> Select[EquipmentModel]:
    """Models with a published (or deprecated) version, plus the caller's own drafts; admins see all."""
    stmt = select(EquipmentModel)
    if principal is None or not principal.is_admin:
        public = EquipmentModel.id.in_(select(ModelVersion.model_id).where(ModelVersion.status != "draft"))
        own = EquipmentModel.owner_org_id == principal.org_id if principal and principal.org_id else None
        stmt = stmt.where(or_(public, own) if own is not None else public)
    if equipment_type:
        stmt = stmt.where(EquipmentModel.equipment_type == equipment_type)
    if status:
        stmt = stmt.where(
            EquipmentModel.id.in_(select(ModelVersion.model_id).where(ModelVersion.status == status))
        )
    if q:
        stmt = stmt.where(EquipmentModel.search_text.contains(q.strip().lower(), autoescape=True))
    return stmt
