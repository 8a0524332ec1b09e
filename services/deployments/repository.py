"""Every query of the deployments service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.deployments.models import DeploymentRecord, Kpi, Solution, Supplier
from services.kit.errors import NotFound


@dataclass(frozen=True)
class Filters:
    region: str | None = None
    industry: str | None = None
    subfield: str | None = None
    level_before: str | None = None
    level_after: str | None = None
    supplier: str | None = None
    year: int | None = None
    sme_company_id: str | None = None
    q: str | None = None


def get(session: Session, record_id: str) -> DeploymentRecord:
    record = session.get(DeploymentRecord, record_id)
    if record is None:
        raise NotFound(
            f"deployment record '{record_id}' does not exist",
            detail_ko=f"구축정보 '{record_id}'을(를) 찾을 수 없습니다",
        )
    return record


def filtered(f: Filters) -> Select[DeploymentRecord]:
    stmt = select(DeploymentRecord)
    for column, value in (
        (DeploymentRecord.region_code, f.region),
        (DeploymentRecord.industry_code, f.industry),
        (DeploymentRecord.level_before, f.level_before),
        (DeploymentRecord.level_after, f.level_after),
        (DeploymentRecord.year, f.year),
        (DeploymentRecord.sme_company_id, f.sme_company_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.subfield is not None:
        stmt = stmt.where(
            DeploymentRecord.id.in_(select(Solution.record_id).where(Solution.subfield_code == f.subfield))
        )
    if f.supplier is not None:
        stmt = stmt.where(
            DeploymentRecord.id.in_(select(Supplier.record_id).where(Supplier.company_id == f.supplier))
        )
    if f.q:
        stmt = stmt.where(DeploymentRecord.search_text.contains(f.q.strip().lower(), autoescape=True))
    return stmt


def group_keys(session: Session, by: str) -> Sequence[tuple[str, str]]:
    """``(record_id, group key)`` for every record; a record counts once per solution sub-field."""
    if by == "subfield":
        return session.execute(select(Solution.record_id, Solution.subfield_code).distinct()).all()
    column = {
        "region": DeploymentRecord.region_code,
        "industry": DeploymentRecord.industry_code,
        "year": DeploymentRecord.year,
    }[by]
    return [(rid, str(key)) for rid, key in session.execute(select(DeploymentRecord.id, column))]


def kpi_improvements(session: Session) -> Sequence[tuple[str, str, float]]:
    stmt = select(Kpi.record_id, Kpi.kind, Kpi.improvement_pct)
    return [(rid, kind, v) for rid, kind, v in session.execute(stmt) if v is not None]


def supplied_by(session: Session, company_id: str) -> Sequence[DeploymentRecord]:
    stmt = select(DeploymentRecord).where(
        DeploymentRecord.id.in_(select(Supplier.record_id).where(Supplier.company_id == company_id))
    )
    return session.scalars(stmt).all()
