"""Rules of equipment models: semantic versions, immutable published versions. Flushes, never commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.kit.db import utcnow
from services.kit.errors import Conflict, NotFound
from services.kit.principal import Principal
from services.standards import repository
from services.standards.models import EquipmentModel, ModelVersion
from services.standards.schemas import (
    DataItem,
    ModelCreate,
    ModelOut,
    ModelPatch,
    VersionCreate,
    VersionOut,
    VersionPatch,
    VersionSummary,
)


def _semver(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def _search_text(model: EquipmentModel) -> str:
    parts = [model.id, model.equipment_type, model.name.get("ko"), model.name.get("en")]
    return " ".join(p for p in parts if p).lower()


def can_see(principal: Principal | None, model: EquipmentModel, version: ModelVersion | None = None) -> bool:
    if version is not None and version.status != "draft":
        return True
    if version is None and any(v.status != "draft" for v in model.versions):
        return True
    return principal is not None and principal.acts_for(model.owner_org_id)


def visible_model(session: Session, principal: Principal | None, model_id: str) -> EquipmentModel:
    model = repository.get_model(session, model_id)
    if not can_see(principal, model):
        # Drafts of others stay invisible: 404, not 403, so their existence does not leak.
        raise NotFound(f"equipment model '{model_id}' does not exist")
    return model


def visible_version(
    session: Session, principal: Principal | None, model_id: str, version: str
) -> ModelVersion:
    model = repository.get_model(session, model_id)
    row = repository.get_version(session, model_id, version)
    if not can_see(principal, model, row):
        raise NotFound(f"version {version} of equipment model '{model_id}' does not exist")
    return row


def _new_version(model_id: str, version: str, items: list[DataItem], changelog: str | None) -> ModelVersion:
    major, minor, patch = _semver(version)
    return ModelVersion(
        model_id=model_id,
        version=version,
        major=major,
        minor=minor,
        patch=patch,
        status="draft",
        items=[i.model_dump(mode="json", exclude_none=True) for i in items],
        changelog=changelog,
    )


def create_model(session: Session, principal: Principal, body: ModelCreate) -> EquipmentModel:
    if session.get(EquipmentModel, body.id) is not None:
        raise Conflict(f"equipment model '{body.id}' already exists", detail_ko="이미 등록된 설비 모델입니다")
    model = EquipmentModel(
        id=body.id,
        owner_org_id=principal.owner_for(body.owner_org_id),
        equipment_type=body.equipment_type,
        name=body.name.model_dump(),
        description=body.description.model_dump() if body.description else None,
    )
    model.search_text = _search_text(model)
    model.versions = [_new_version(body.id, body.version, body.items, body.changelog)]
    session.add(model)
    session.flush()
    return model


def update_model(session: Session, principal: Principal, model_id: str, body: ModelPatch) -> EquipmentModel:
    model = repository.get_model(session, model_id)
    principal.require_org(model.owner_org_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for key, value in changes.items():
        setattr(model, key, value)
    model.search_text = _search_text(model)
    session.flush()
    return model


def add_version(session: Session, principal: Principal, model_id: str, body: VersionCreate) -> ModelVersion:
    model = repository.get_model(session, model_id)
    principal.require_org(model.owner_org_id)
    newest = max((_semver(v.version) for v in model.versions), default=(0, 0, 0))
    if _semver(body.version) <= newest:
        raise Conflict(
            f"version {body.version} must be greater than {'.'.join(map(str, newest))}",
            detail_ko="새 버전은 기존 버전보다 커야 합니다",
        )
    if body.items is not None:
        items = body.items
    elif body.base_version is not None:
        base = repository.get_version(session, model_id, body.base_version)
        items = [DataItem.model_validate(i) for i in base.items]
    else:
        items = [DataItem.model_validate(i) for i in model.versions[-1].items]
    row = _new_version(model_id, body.version, items, body.changelog)
    model.versions.append(row)
    session.flush()
    return row


def _owned_version(session: Session, principal: Principal, model_id: str, version: str) -> ModelVersion:
    model = repository.get_model(session, model_id)
    principal.require_org(model.owner_org_id)
    return repository.get_version(session, model_id, version)


def update_version(
    session: Session, principal: Principal, model_id: str, version: str, body: VersionPatch
) -> ModelVersion:
    row = _owned_version(session, principal, model_id, version)
    if row.status != "draft":
        raise Conflict(
            f"version {version} is {row.status} and cannot change; create a new version",
            detail_ko="게시된 버전은 수정할 수 없습니다. 새 버전을 만드세요",
        )
    if body.items is not None:
        row.items = [i.model_dump(mode="json", exclude_none=True) for i in body.items]
    if "changelog" in body.model_fields_set:
        row.changelog = body.changelog
    session.flush()
    return row


def set_status(
    session: Session, principal: Principal, model_id: str, version: str, target: str
) -> ModelVersion:
    row = _owned_version(session, principal, model_id, version)
    allowed_from = {"published": "draft", "deprecated": "published"}[target]
    if row.status != allowed_from:
        raise Conflict(
            f"version {version} is {row.status}; only a {allowed_from} version can become {target}"
        )
    row.status = target
    if target == "published":
        row.published_at = utcnow()
    session.flush()
    return row


def model_out(model: EquipmentModel) -> ModelOut:
    published = [v.version for v in model.versions if v.status == "published"]
    return ModelOut(
        id=model.id,
        owner_org_id=model.owner_org_id,
        equipment_type=model.equipment_type,
        name=model.name,
        description=model.description,
        versions=[
            VersionSummary(version=v.version, status=v.status, published_at=v.published_at)
            for v in model.versions
        ],
        latest_published_version=published[-1] if published else None,
        created_at=model.created_at,
    )


def version_out(session: Session, row: ModelVersion) -> VersionOut:
    model = repository.get_model(session, row.model_id)
    return VersionOut(
        model_id=row.model_id,
        version=row.version,
        status=row.status,
        equipment_type=model.equipment_type,
        name=model.name,
        items=[DataItem.model_validate(i) for i in row.items],
        changelog=row.changelog,
        published_at=row.published_at,
    )
