"""Every query of the deployments service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session

from services.deployments.models import DeploymentRecord, HistoryEntry, Kpi, Solution, Supplier, Ticket
from services.kit.errors import NotFound
from services.kit.principal import Principal, Role

PUBLISHED = DeploymentRecord.status == "published"


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
    status: str | None = None
    programme: str | None = None
    process: str | None = None


def get(session: Session, record_id: str) -> DeploymentRecord:
    record = session.get(DeploymentRecord, record_id)
    if record is None:
        raise NotFound(
            f"deployment record '{record_id}' does not exist",
            detail_ko=f"구축정보 '{record_id}'을(를) 찾을 수 없습니다",
        )
    return record


def _supplied_by(company_id: str) -> ColumnElement[bool]:
    return DeploymentRecord.id.in_(select(Supplier.record_id).where(Supplier.company_id == company_id))


def filtered(f: Filters) -> Select[DeploymentRecord]:
    stmt = select(DeploymentRecord)
    for column, value in (
        (DeploymentRecord.region_code, f.region),
        (DeploymentRecord.industry_code, f.industry),
        (DeploymentRecord.level_before, f.level_before),
        (DeploymentRecord.level_after, f.level_after),
        (DeploymentRecord.year, f.year),
        (DeploymentRecord.sme_company_id, f.sme_company_id),
        (DeploymentRecord.status, f.status),
        (DeploymentRecord.programme_code, f.programme),
        (DeploymentRecord.process, f.process),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.subfield is not None:
        stmt = stmt.where(
            DeploymentRecord.id.in_(select(Solution.record_id).where(Solution.subfield_code == f.subfield))
        )
    if f.supplier is not None:
        stmt = stmt.where(_supplied_by(f.supplier))
    if f.q:
        stmt = stmt.where(DeploymentRecord.search_text.contains(f.q.strip().lower(), autoescape=True))
    return stmt


def public(f: Filters) -> Select[DeploymentRecord]:
    return filtered(f).where(PUBLISHED)


def workspace(principal: Principal, f: Filters) -> Select[DeploymentRecord]:
    """Records in any state the caller takes part in: as a party, or as the agency of their region."""
    if principal.is_admin:
        return filtered(f)
    mine: list[ColumnElement[bool]] = []
    if principal.org_id is not None and Role.SME in principal.roles:
        mine.append(DeploymentRecord.sme_company_id == principal.org_id)
    if principal.org_id is not None and Role.VENDOR in principal.roles:
        mine.append(_supplied_by(principal.org_id))
    if Role.AGENCY in principal.roles and principal.regions:
        mine.append(DeploymentRecord.region_code.in_(sorted(principal.regions)))
    return filtered(f).where(or_(*mine) if mine else false())


def group_keys(session: Session, by: str) -> Sequence[tuple[str, str]]:
    """``(record_id, group key)`` for every published record; a record counts once per solution sub-field."""
    if by == "subfield":
        stmt = (
            select(Solution.record_id, Solution.subfield_code)
            .join(DeploymentRecord, DeploymentRecord.id == Solution.record_id)
            .where(PUBLISHED)
            .distinct()
        )
        return [(rid, str(key)) for rid, key in session.execute(stmt)]
    column = {
        "region": DeploymentRecord.region_code,
        "industry": DeploymentRecord.industry_code,
        "year": DeploymentRecord.year,
    }[by]
    return [
        (rid, str(key)) for rid, key in session.execute(select(DeploymentRecord.id, column).where(PUBLISHED))
    ]


def support_amounts(session: Session) -> dict[str, int]:
    stmt = select(DeploymentRecord.id, DeploymentRecord.support_amount_krw).where(PUBLISHED)
    return {rid: amount for rid, amount in session.execute(stmt)}


def kpi_improvements(session: Session) -> Sequence[tuple[str, str, float]]:
    stmt = (
        select(Kpi.record_id, Kpi.kind, Kpi.improvement_pct)
        .join(DeploymentRecord, DeploymentRecord.id == Kpi.record_id)
        .where(PUBLISHED)
    )
    return [(rid, kind, v) for rid, kind, v in session.execute(stmt) if v is not None]


def published_supplied_by(session: Session, company_id: str) -> Sequence[DeploymentRecord]:
    return session.scalars(select(DeploymentRecord).where(_supplied_by(company_id), PUBLISHED)).all()


def tickets_of_supplier(session: Session, company_id: str) -> Sequence[Ticket]:
    return session.scalars(select(Ticket).where(Ticket.supplier_company_id == company_id)).all()


def tickets_of_record(session: Session, record_id: str) -> Select[Ticket]:
    return select(Ticket).where(Ticket.record_id == record_id)


def ticket(session: Session, record_id: str, ticket_id: str) -> Ticket:
    found = session.get(Ticket, ticket_id)
    if found is None or found.record_id != record_id:
        raise NotFound(f"ticket '{ticket_id}' does not exist", detail_ko="사후관리 요청을 찾을 수 없습니다")
    return found


def history(record_id: str) -> Select[HistoryEntry]:
    return select(HistoryEntry).where(HistoryEntry.record_id == record_id)


def published_snapshot(session: Session, record_id: str, revision: int) -> HistoryEntry | None:
    """The last publication of one revision."""
    stmt = (
        history(record_id)
        .where(HistoryEntry.revision == revision, HistoryEntry.action == "publish")
        .order_by(HistoryEntry.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)
