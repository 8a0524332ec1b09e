"""Every query of the use-cases service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from services.kit.errors import NotFound
from services.kit.principal import Principal
from services.usecases.models import ModelRef, SearchTerm, UseCase


@dataclass(frozen=True)
class Filters:
    region: str | None = None
    industry: str | None = None
    problem_type: str | None = None
    technique: str | None = None
    supplier: str | None = None
    model_id: str | None = None
    status: str | None = None
    owner_org_id: str | None = None


def visible_to(principal: Principal | None) -> ColumnElement[bool]:
    """Published cases for everyone; drafts only for their organisation and admins."""
    if principal is not None and principal.is_admin:
        return true()
    published = UseCase.status == "published"
    if principal is None or principal.org_id is None or not principal.acts_for(principal.org_id):
        return published
    return or_(published, UseCase.owner_org_id == principal.org_id)


def get(session: Session, case_id: str, principal: Principal | None) -> UseCase:
    case = session.scalar(select(UseCase).where(UseCase.id == case_id, visible_to(principal)))
    if case is None:
        # A draft of another organisation is reported exactly like a missing case: its existence is private.
        raise NotFound(
            f"use case '{case_id}' does not exist",
            detail_ko=f"AI 활용 사례 '{case_id}'을(를) 찾을 수 없습니다",
        )
    return case


def filtered(f: Filters, principal: Principal | None) -> Select[UseCase]:
    stmt = select(UseCase).where(visible_to(principal))
    for column, value in (
        (UseCase.region_code, f.region),
        (UseCase.industry_code, f.industry),
        (UseCase.problem_type, f.problem_type),
        (UseCase.technique, f.technique),
        (UseCase.supplier_company_id, f.supplier),
        (UseCase.status, f.status),
        (UseCase.owner_org_id, f.owner_org_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.model_id is not None:
        stmt = stmt.where(UseCase.id.in_(select(ModelRef.case_id).where(ModelRef.model_id == f.model_id)))
    return stmt


def published_counts(session: Session, column: InstrumentedAttribute[str]) -> dict[str, int]:
    stmt = select(column, func.count()).where(UseCase.status == "published").group_by(column)
    return {str(key): int(n) for key, n in session.execute(stmt)}


def replace_terms(session: Session, case_id: str, weights: dict[str, float]) -> None:
    session.execute(delete(SearchTerm).where(SearchTerm.case_id == case_id))
    if weights:
        session.execute(
            insert(SearchTerm), [{"term": t, "case_id": case_id, "weight": w} for t, w in weights.items()]
        )


def term_postings(
    session: Session, terms: Iterable[str], principal: Principal | None
) -> Sequence[tuple[str, str, float]]:
    """``(case id, term, weight)`` of the visible cases holding any of ``terms``."""
    stmt = (
        select(SearchTerm.case_id, SearchTerm.term, SearchTerm.weight)
        .join(UseCase, UseCase.id == SearchTerm.case_id)
        .where(SearchTerm.term.in_(list(terms)), visible_to(principal))
    )
    return [(cid, term, weight) for cid, term, weight in session.execute(stmt)]


def document_frequencies(session: Session, terms: Iterable[str]) -> dict[str, int]:
    stmt = (
        select(SearchTerm.term, func.count())
        .where(SearchTerm.term.in_(list(terms)))
        .group_by(SearchTerm.term)
    )
    return {term: int(n) for term, n in session.execute(stmt)}


def case_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(UseCase)) or 0)


def by_ids(session: Session, ids: Sequence[str]) -> dict[str, UseCase]:
    return {c.id: c for c in session.scalars(select(UseCase).where(UseCase.id.in_(ids)))}
