"""Every query of the datasets service."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.datasets.models import Claim, Dataset, DatasetVersion, Download, LicenceAcceptance
from services.kit.errors import NotFound
from services.kit.messages import Msg
from services.kit.pagination import PageParams, page_rows


def get(session: Session, dataset_id: str) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(Msg("dataset '{dataset_id}' does not exist", dataset_id=dataset_id))
    return dataset


def page(session: Session, params: PageParams, model_id: str | None) -> tuple[list[Dataset], str | None]:
    """Newest first."""
    stmt = select(Dataset)
    if model_id:
        stmt = stmt.where(
            Dataset.id.in_(select(DatasetVersion.dataset_id).where(DatasetVersion.model_id == model_id))
        )
    return page_rows(session, stmt, [Dataset.created_at, Dataset.id], params, descending=True)


def accepted(session: Session, dataset_id: str, subject: str, licence: str) -> LicenceAcceptance | None:
    return session.get(LicenceAcceptance, (dataset_id, subject, licence))


def downloads(session: Session, dataset_id: str) -> int:
    return session.scalar(select(func.count()).where(Download.dataset_id == dataset_id)) or 0


def claims(session: Session, dataset_id: str, version: int | None = None) -> list[Claim]:
    stmt = select(Claim).where(Claim.dataset_id == dataset_id)
    if version is not None:
        stmt = stmt.where(Claim.version == version)
    return list(session.scalars(stmt.order_by(Claim.created_at, Claim.id)))


def claims_of_case(session: Session, case_id: str) -> list[Claim]:
    return list(session.scalars(select(Claim).where(Claim.case_id == case_id).order_by(Claim.created_at)))
