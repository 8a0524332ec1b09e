"""Every query of the standards service."""

from __future__ import annotations

import gzip
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from services.kit.errors import NotFound
from services.kit.messages import Msg
from services.kit.principal import Principal
from services.standards.models import EquipmentModel, ModelTerm, ModelVersion, NodeSetDocument, Review
from services.standards.schemas import PUBLIC_STATUSES, VersionAdoption


def get_model(session: Session, model_id: str) -> EquipmentModel:
    model = session.get(EquipmentModel, model_id)
    if model is None:
        raise NotFound(Msg("equipment model '{model_id}' does not exist", model_id=model_id))
    return model


def get_version(session: Session, model_id: str, version: str) -> ModelVersion:
    row = session.get(ModelVersion, (model_id, version))
    if row is None:
        raise NotFound(
            Msg(
                "version {version} of equipment model '{model_id}' does not exist",
                version=version,
                model_id=model_id,
            )
        )
    return row


def _with_term(kind: str, term: str) -> ColumnElement[bool]:
    return EquipmentModel.id.in_(
        select(ModelTerm.model_id).where(ModelTerm.kind == kind, ModelTerm.term == term.strip().lower())
    )


def visible_models(
    principal: Principal | None,
    *,
    equipment_type: str | None,
    status: str | None,
    q: str | None,
    subfield: str | None = None,
    industry: str | None = None,
    item: str | None = None,
    semantic_id: str | None = None,
) -> Select[EquipmentModel]:
    """Models with a published (or deprecated) version, plus the caller's own drafts; admins see all.

    ``q`` is a substring of the names (ko/en) of the model and of its newest version's items; the other
    filters match exactly (``item``: an item id or MTConnect type of any version, case-insensitive).
    """
    stmt = select(EquipmentModel)
    if principal is None or not principal.is_admin:
        public = EquipmentModel.id.in_(
            select(ModelVersion.model_id).where(ModelVersion.status.in_(PUBLIC_STATUSES))
        )
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
    if subfield:
        stmt = stmt.where(_with_term("subfield", subfield))
    if industry:
        stmt = stmt.where(_with_term("industry", industry))
    if item:
        stmt = stmt.where(_with_term("item", item))
    if semantic_id:
        stmt = stmt.where(_with_term("semantic_id", semantic_id))
    return stmt


@dataclass(frozen=True)
class Listed:
    """A model of a list page: what its rendered output depends on besides its own row's ``updated_at``.
    Versions are never deleted and each change of a version's status records a review, so the two counts
    move whenever its versions' summary does."""

    id: str
    updated_at: datetime
    versions: int
    reviews: int
    adoption: list[VersionAdoption] | None

    def key(self) -> Hashable:
        adopted = (
            None
            if self.adoption is None
            else tuple((a.version, a.factories, a.equipment) for a in self.adoption)
        )
        return (self.id, self.updated_at, self.versions, self.reviews, adopted)


def listed(stmt: Select[EquipmentModel]) -> Select[Any]:
    """The list's statement as the columns a page needs of each model (its output is rendered): id,
    ``updated_at`` and the numbers of its versions and reviews — one query, no objects built."""

    def counted(child: Any) -> Any:
        count = select(func.count()).where(child.model_id == EquipmentModel.id)
        return count.correlate(EquipmentModel).scalar_subquery()

    return stmt.with_only_columns(
        EquipmentModel.id,
        EquipmentModel.updated_at,
        counted(ModelVersion).label("versions"),
        counted(Review).label("reviews"),
    )


def models_by_id(session: Session, ids: list[str]) -> dict[str, EquipmentModel]:
    return {m.id: m for m in session.scalars(select(EquipmentModel).where(EquipmentModel.id.in_(ids)))}


def reviews(session: Session, row: ModelVersion) -> list[Review]:
    stmt = (
        select(Review)
        .where(Review.model_id == row.model_id, Review.version == row.version)
        .order_by(Review.created_at, Review.id)
    )
    return list(session.scalars(stmt))


def published_model_ids() -> Select[str]:
    return select(ModelVersion.model_id).where(ModelVersion.status == "published").distinct()


def published_taxonomy(session: Session) -> list[tuple[str, list[str], list[str]]]:
    """(equipment type, sub-fields, industries) of every model with a published version: one small row per
    model, counted by the caller (500 rows at the plan's target)."""
    stmt = select(EquipmentModel.equipment_type, EquipmentModel.subfields, EquipmentModel.industries).where(
        EquipmentModel.id.in_(published_model_ids())
    )
    return [(t, list(s or []), list(i or [])) for t, s, i in session.execute(stmt)]


def published_model_types(session: Session) -> dict[str, str]:
    """Model id -> equipment type of every model with a published version."""
    stmt = select(EquipmentModel.id, EquipmentModel.equipment_type).where(
        EquipmentModel.id.in_(published_model_ids())
    )
    return {model_id: kind for model_id, kind in session.execute(stmt)}


class StoredNodeSets:
    """The importing organisation's shelf of OPC UA NodeSets (``imports.opcua.shelf.Shelf``): what an import
    keeps is written by :meth:`save`, once the import succeeded, so a refused import keeps nothing."""

    def __init__(self, session: Session, owner_org_id: str) -> None:
        self.session, self.owner_org_id = session, owner_org_id
        self._pending: dict[str, tuple[str | None, str | None, bytes]] = {}

    def find(self, model_uri: str) -> bytes | None:
        row = self.session.get(NodeSetDocument, (self.owner_org_id, model_uri))
        return gzip.decompress(row.document) if row is not None else None

    def keep(self, model_uri: str, version: str | None, published: str | None, document: bytes) -> None:
        self._pending[model_uri] = (version, published, document)

    def save(self) -> None:
        for model_uri, (version, published, document) in self._pending.items():
            row = self.session.get(NodeSetDocument, (self.owner_org_id, model_uri))
            if row is None:
                row = NodeSetDocument(owner_org_id=self.owner_org_id, model_uri=model_uri)
                self.session.add(row)
            elif (row.published or "") > (published or ""):
                continue  # a later publication of the model is kept already
            row.version, row.published, row.document = version, published, gzip.compress(document)
        self.session.flush()
