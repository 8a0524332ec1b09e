"""Every query of the use-cases service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, delete, func, insert, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, defer, lazyload

from services.kit.cache import viewer_of
from services.kit.errors import NotFound
from services.kit.facets import FacetCount, counted, grouped, total, without
from services.kit.messages import Msg
from services.kit.principal import Principal
from services.kit.search_terms import Word, at_least_half
from services.usecases.models import Effect, ModelRef, SearchTerm, UseCase


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
    deployment_id: str | None = None
    words: tuple[Word, ...] | None = None  # analysed words of a search: cases holding at least half of them


def visible_to(principal: Principal | None) -> ColumnElement[bool]:
    """Published cases for everyone; drafts only for their organisation and admins. Derived from the
    caller's viewer (services.kit.cache), the one that also keys the answers kept for them."""
    seen = viewer_of(principal)
    if seen.kind == "admin":
        return true()
    published = UseCase.status == "published"
    return published if seen.org_id is None else or_(published, UseCase.owner_org_id == seen.org_id)


def get(session: Session, case_id: str, principal: Principal | None) -> UseCase:
    case = session.scalar(select(UseCase).where(UseCase.id == case_id, visible_to(principal)))
    if case is None:
        # A draft of another organisation is reported exactly like a missing case: its existence is private.
        raise NotFound(Msg("use case '{case_id}' does not exist", case_id=case_id))
    return case


def listed(stmt: Select[UseCase]) -> Select[UseCase]:
    """A list page's cases without what only their output shows: it is rendered once per ``updated_at``
    (services.kit.rendered), and :func:`with_children` loads the rest for the cases not rendered yet."""
    return stmt.options(
        lazyload(UseCase.effects),
        lazyload(UseCase.model_refs),
        *(defer(c) for c in (UseCase.title, UseCase.summary, UseCase.data_used)),
    )


def with_children(session: Session, ids: list[str]) -> dict[str, UseCase]:
    """The cases ``ids`` with their effects and models (a list page loaded them without)."""
    stmt = select(UseCase).where(UseCase.id.in_(ids)).execution_options(populate_existing=True)
    return {c.id: c for c in session.scalars(stmt)}


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
        (UseCase.deployment_id, f.deployment_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.model_id is not None:
        stmt = stmt.where(UseCase.id.in_(select(ModelRef.case_id).where(ModelRef.model_id == f.model_id)))
    if f.words is not None:
        stmt = stmt.where(UseCase.id.in_(_matching(f.words)))
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


# A term's summed field weight counts less and less as it grows (weight × (k + 1) / (weight + k), as BM25
# saturates a term's frequency): a case naming one concept in both languages, its title and its labels
# ("수요 예측", "demand forecasting", "시계열 예측") must not outrank a case holding every word of the query.
SATURATION = 3.0


def _weighted(rarity: dict[str, float]) -> ColumnElement[float]:
    """A posting's part of its case's score: the saturated field weight of its term × the term's rarity."""
    saturated = SearchTerm.weight * (SATURATION + 1) / (SearchTerm.weight + SATURATION)
    return case(*((SearchTerm.term == t, saturated * r) for t, r in rarity.items()), else_=0.0)


@dataclass(frozen=True)
class Hit:
    """A case the search found: its id and ``updated_at`` (its output is rendered by them), its score and
    which of the query's words it holds, as the query wrote them."""

    id: str
    updated_at: datetime
    score: float
    matched: list[str]


def _held(words: Sequence[Word]) -> list[ColumnElement[bool]]:
    """Per word, over a case's postings (grouped by case): the case holds every term of the word."""
    return [
        and_(*(func.max(case((SearchTerm.term == t, 1), else_=0)) == 1 for t in word.terms)) for word in words
    ]


def _terms_of(words: Sequence[Word]) -> list[str]:
    return list(dict.fromkeys(t for word in words for t in word.terms))


def ranked(
    session: Session,
    rarity: dict[str, float],
    words: Sequence[Word],
    principal: Principal | None,
    offset: int,
    limit: int,
) -> list[Hit]:
    """The visible cases holding at least half of ``words``, best first by the terms' weights × ``rarity``
    (ties by id), from ``offset``: ranked by the database, which returns one page, not every posting."""
    if not rarity:
        return []
    score = func.sum(_weighted(rarity)).label("score")
    held = _held(words)
    stmt = (
        select(SearchTerm.case_id, UseCase.updated_at, score, *(case((h, 1), else_=0) for h in held))
        .join(UseCase, UseCase.id == SearchTerm.case_id)
        .where(SearchTerm.term.in_(_terms_of(words)), visible_to(principal))
        .group_by(SearchTerm.case_id, UseCase.updated_at)
        .having(at_least_half(held))
        .order_by(score.desc(), SearchTerm.case_id)
        .offset(offset)
        .limit(limit)
    )
    return [
        Hit(case_id, updated_at, float(value), [w.written for w, h in zip(words, flags, strict=True) if h])
        for case_id, updated_at, value, *flags in session.execute(stmt)
    ]


def frequencies(session: Session, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
    """The number of cases, and of the cases holding each of ``terms`` (those any case holds)."""
    cases = select(func.count()).select_from(UseCase).scalar_subquery()
    stmt = (
        select(SearchTerm.term, func.count(), cases)
        .where(SearchTerm.term.in_(list(terms)))
        .group_by(SearchTerm.term)
    )
    rows = session.execute(stmt).all()
    return (int(rows[0][2]) if rows else 0), {term: int(n) for term, n, _ in rows}


# --- the list by facets and sorted pages (the portal's browse page) ---------------------------------------


def _matching(words: Sequence[Word]) -> Select[Any]:
    """Ids of the cases holding at least half of ``words``: the rule of the ranked search."""
    return (
        select(SearchTerm.case_id)
        .where(SearchTerm.term.in_(_terms_of(words)))
        .group_by(SearchTerm.case_id)
        .having(at_least_half(_held(words)))
    )


def _by(session: Session, f: Filters, principal: Principal | None, column: Any, own: str) -> list[FacetCount]:
    stmt = filtered(without(f, own), principal).with_only_columns(column, func.count()).group_by(column)
    return grouped(session, stmt)


def facets(session: Session, f: Filters, principal: Principal | None) -> dict[str, Any]:
    """The total of the visible cases matching ``f`` and, per facet, the counts of its values."""
    matching = total(session, filtered(f, principal))
    columns = {
        "region": UseCase.region_code,
        "industry": UseCase.industry_code,
        "problem_type": UseCase.problem_type,
        "technique": UseCase.technique,
        "supplier": UseCase.supplier_company_id,
    }
    return {"total": matching} | {
        own: counted(matching, f, (own,), partial(_by, session, f, principal, column, own))
        for own, column in columns.items()
    }


def order(sort: str, rarity: dict[str, float]) -> list[Any]:
    """``relevance``: the search's score (weight × rarity of each matched term; ``rarity`` per term);
    ``newest``: latest published first; ``effect``: largest improvement first; ``title``: by Korean title."""
    if sort == "relevance" and rarity:
        score = select(func.sum(_weighted(rarity))).where(SearchTerm.case_id == UseCase.id)
        return [score.scalar_subquery().desc(), UseCase.id]
    if sort == "effect":
        best = select(func.max(Effect.improvement_pct)).where(Effect.case_id == UseCase.id)
        return [best.scalar_subquery().desc().nulls_last(), UseCase.id]
    if sort == "title":
        return [UseCase.title["ko"].as_string(), UseCase.id]
    return [func.coalesce(UseCase.published_at, UseCase.created_at).desc(), UseCase.id.desc()]
