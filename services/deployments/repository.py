"""Every query of the deployments service."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    distinct,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, defer, lazyload, raiseload

from services.deployments import tallies
from services.deployments.models import DeploymentRecord, HistoryEntry, Kpi, Solution, Supplier, Ticket
from services.deployments.schemas import TicketCounts
from services.kit.db import UTCDateTime
from services.kit.errors import NotFound
from services.kit.facets import FacetCount, counted, grouped, total, without
from services.kit.messages import Msg
from services.kit.principal import Principal, Role
from services.kit.search_terms import holding

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
    evidence: str | None = None  # records with a KPI of this source
    among: tuple[str, ...] | None = None  # these records only: a search's holders (:func:`found`)


def get(session: Session, record_id: str) -> DeploymentRecord:
    record = session.get(DeploymentRecord, record_id)
    if record is None:
        raise NotFound(Msg("deployment record '{record_id}' does not exist", record_id=record_id))
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
    if f.evidence is not None:
        stmt = stmt.where(DeploymentRecord.id.in_(select(Kpi.record_id).where(Kpi.source == f.evidence)))
    if f.q:
        stmt = stmt.where(holding(DeploymentRecord.search_text, f.q))
    if f.among is not None:
        stmt = stmt.where(DeploymentRecord.id.in_(f.among))
    return stmt


def public(f: Filters) -> Select[DeploymentRecord]:
    return filtered(f).where(PUBLISHED)


# A search (q) within the public list is answered by one of two plans, chosen by counting its holders rather
# than by the planner's estimate of them (a word's share of the records and of a region are guessed as
# independent, a Korean word's bigrams too: off 20-fold either way at national scale, docs/benchmarks.md):
# up to FEW holders are read through the trigram index and a page is cut from them by id; beyond FEW, a
# page's holders are dense enough in the list's order (at least FEW in 75,000) that walking that order
# finds them after a bounded read. Counting stops at FEW + 1 holders, so it costs as much as a rare word.
FEW = 300
# ``search_text || ''`` holds what search_text holds, but no trigram index answers it: only the walk of an
# order index (which includes search_text, migrations 0006 and 0007) can. PostgreSQL keeps statistics of
# this very expression (0007), so its estimate of a word's holders is the column's, not a default guess.
WALKED = DeploymentRecord.search_text.concat(literal_column("''"))


def _holders(session: Session, f: Filters) -> tuple[str, ...] | None:
    """The published records holding ``f.q`` under ``f``, when ``FEW`` or fewer; None when more."""
    held = session.scalars(public(f).with_only_columns(DeploymentRecord.id).limit(FEW + 1)).all()
    return tuple(held) if len(held) <= FEW else None


def found(session: Session, f: Filters) -> Select[DeploymentRecord]:
    """:func:`public` for a page of the list: the same rows, with ``f.q`` answered by the plan its number
    of holders under ``f`` calls for (``FEW``)."""
    if not f.q:
        return public(f)
    holders = _holders(session, f)
    if holders is not None:
        return public(replace(f, q=None, among=holders))
    return public(replace(f, q=None)).where(holding(WALKED, f.q))


def listed(stmt: Select[DeploymentRecord]) -> Select[DeploymentRecord]:
    """A workspace page's records without what only a record's output shows: it is rendered once per version
    (services.kit.rendered), and :func:`with_children` loads the rest for the records not rendered yet.
    Suppliers and after-care tickets stay: who may see the private fields and the counts are read on every
    page."""
    large = (
        DeploymentRecord.stages,
        DeploymentRecord.contract,
        DeploymentRecord.title,
        DeploymentRecord.search_text,
    )
    kids = (DeploymentRecord.solutions, DeploymentRecord.kpis)
    return stmt.options(*(lazyload(kid) for kid in kids), *(defer(c) for c in large))


@dataclass(frozen=True)
class Listed:
    """A record of a list page: what its rendered output depends on besides its version."""

    id: str
    version: int
    private: bool  # the caller sees its private fields
    tickets: TicketCounts  # after-care counts move without a write of the record (time makes tickets late)

    def key(self) -> Hashable:
        return (
            self.id,
            self.version,
            self.private,
            self.tickets.open,
            self.tickets.late,
            self.tickets.resolved,
        )


def page_columns(stmt: Select[DeploymentRecord], now: datetime) -> Select[Any]:
    """The public list's statement as the columns a page needs of each record (its output is rendered):
    id, version, the list orders' keys, and its after-care counts at ``now`` as ``tickets_open``,
    ``tickets_late`` and ``tickets_resolved`` — one query, no objects built."""

    def tickets(*where: ColumnElement[bool]) -> Any:
        count = select(func.count()).where(Ticket.record_id == DeploymentRecord.id, *where)
        return count.correlate(DeploymentRecord).scalar_subquery()

    # as aftercare.is_late: late when answered (or, unanswered, now) after the due time
    late = func.coalesce(Ticket.answered_at, literal(now, UTCDateTime)) > Ticket.due_at
    return stmt.with_only_columns(
        DeploymentRecord.id,
        DeploymentRecord.version,
        DeploymentRecord.created_at,
        tickets(Ticket.resolved_at.is_(None)).label("tickets_open"),
        tickets(late).label("tickets_late"),
        tickets(Ticket.resolved_at.is_not(None)).label("tickets_resolved"),
    )


def public_listed(row: Any) -> Listed:
    """A row of :func:`page_columns` as anyone signed out sees the record (no private fields)."""
    tickets = TicketCounts(open=row.tickets_open, late=row.tickets_late, resolved=row.tickets_resolved)
    return Listed(row.id, row.version, False, tickets)


def with_children(session: Session, ids: list[str], *, documents: bool) -> dict[str, DeploymentRecord]:
    """The records ``ids`` with every child their output shows, in one query per kind of child (and their
    documents only if shown)."""
    stmt = select(DeploymentRecord).where(DeploymentRecord.id.in_(ids))
    if not documents:
        stmt = stmt.options(raiseload(DeploymentRecord.documents))
    return {r.id: r for r in session.scalars(stmt.execution_options(populate_existing=True))}


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


def _published_in(region: str | None) -> ColumnElement[bool]:
    return PUBLISHED if region is None else and_(PUBLISHED, DeploymentRecord.region_code == region)


def _members(by: str, region: str | None) -> Subquery:
    """``(record_id, key)`` of the published records (of ``region``); a record once per sub-field."""
    if by == "subfield":
        stmt = (
            select(Solution.record_id.label("record_id"), Solution.subfield_code.label("key"))
            .join(DeploymentRecord, DeploymentRecord.id == Solution.record_id)
            .where(_published_in(region))
            .distinct()
        )
        return stmt.subquery()
    column = {
        "region": DeploymentRecord.region_code,
        "industry": DeploymentRecord.industry_code,
        "year": DeploymentRecord.year,
    }[by]
    return (
        select(DeploymentRecord.id.label("record_id"), column.label("key"))
        .where(_published_in(region))
        .subquery()
    )


def _medians(session: Session, rows: Subquery) -> dict[tuple[str, str], float]:
    """The median ``v`` per ``(g, k)`` of ``rows``, by the database: the middle row, or the mean of the two
    middle rows, of each group in ``v`` order (window functions: PostgreSQL and SQLite alike)."""
    groups = (rows.c.g, rows.c.k)
    ranked = select(
        *groups,
        rows.c.v,
        func.row_number().over(partition_by=groups, order_by=rows.c.v).label("rn"),
        func.count().over(partition_by=groups).label("n"),
    ).subquery()
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    stmt = select(ranked.c.g, ranked.c.k, func.avg(ranked.c.v)).where(middle).group_by(ranked.c.g, ranked.c.k)
    return {(str(g), str(k)): float(v) for g, k, v in session.execute(stmt)}


@dataclass(frozen=True)
class GroupFigures:
    records: dict[str, int]  # key -> published records
    total: int  # distinct records (one in several sub-fields counts once)
    kpi_medians: dict[tuple[str, str], float]  # (key, KPI kind) -> median improvement
    support: dict[str, tuple[int, float]]  # key -> (sum, median) of the support amounts


def group_figures(session: Session, by: str, region: str | None = None) -> GroupFigures:
    """Counts, KPI medians and support figures per group of published records, all by the database (the
    rows stay there: 100,000 records and their KPIs)."""
    members = _members(by, region)
    records = {
        str(k): int(n)
        for k, n in session.execute(select(members.c.key, func.count()).group_by(members.c.key))
    }
    total = int(session.scalar(select(func.count(distinct(members.c.record_id)))) or 0)
    gains = (
        select(members.c.key.label("g"), Kpi.kind.label("k"), Kpi.improvement_pct.label("v"))
        .join(Kpi, Kpi.record_id == members.c.record_id)
        .where(Kpi.improvement_pct.is_not(None))
        .subquery()
    )
    amount = DeploymentRecord.support_amount_krw
    amounts = (
        select(members.c.key.label("g"), literal("support").label("k"), amount.label("v"))
        .join(DeploymentRecord, DeploymentRecord.id == members.c.record_id)
        .subquery()
    )
    sums = session.execute(select(amounts.c.g, func.sum(amounts.c.v)).group_by(amounts.c.g))
    middle = {g: v for (g, _), v in _medians(session, amounts).items()}
    return GroupFigures(
        records=records,
        total=total,
        kpi_medians=_medians(session, gains),
        support={str(g): (int(total_krw), middle[str(g)]) for g, total_krw in sums},
    )


def published_supplied_by(session: Session, company_id: str) -> Sequence[DeploymentRecord]:
    return session.scalars(select(DeploymentRecord).where(_supplied_by(company_id), PUBLISHED)).all()


def tickets_of_supplier(session: Session, company_id: str) -> Sequence[Ticket]:
    return session.scalars(select(Ticket).where(Ticket.supplier_company_id == company_id)).all()


def tickets_of_record(session: Session, record_id: str) -> Select[Ticket]:
    return select(Ticket).where(Ticket.record_id == record_id)


def ticket(session: Session, record_id: str, ticket_id: str) -> Ticket:
    found = session.get(Ticket, ticket_id)
    if found is None or found.record_id != record_id:
        raise NotFound(Msg("ticket '{ticket_id}' does not exist", ticket_id=ticket_id))
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


# --- the public list by facets and sorted pages (the portal's browse page) ------------------------------


def _by_column(session: Session, f: Filters, column: Any, *own: str) -> list[FacetCount]:
    stmt = public(without(f, *own)).with_only_columns(column, func.count()).group_by(column)
    return grouped(session, stmt)


def _by_child(
    session: Session, f: Filters, child: Any, key: Any, own: str, *, repeats: bool = True
) -> list[FacetCount]:
    """Records per value of a child row's ``key``; ``repeats``: a record may hold a value twice (two
    solutions of one sub-field), so its records are counted distinct (suppliers are unique per record)."""
    count = func.count(distinct(child.record_id)) if repeats else func.count()
    stmt = (
        select(key, count)
        .select_from(DeploymentRecord)
        .join(child, child.record_id == DeploymentRecord.id)
        .where(public(without(f, own)).whereclause)  # type: ignore[arg-type]  # never None: published
    )
    return grouped(session, stmt.group_by(key))


def kept_facets(session: Session, f: Filters, only: frozenset[str] | None = None) -> dict[str, Any] | None:
    """:func:`facets` under no filter but region and industry, from the tallies kept with the published
    records (services.deployments.tallies) instead of a ``GROUP BY`` over them; None under others."""
    if replace(f, region=None, industry=None) != Filters():
        return None
    kept = tallies.facets(session, f.region, f.industry)
    if only is None:
        return kept
    return {name: counts if name == "total" or name in only else [] for name, counts in kept.items()}


def facets(session: Session, f: Filters, only: frozenset[str] | None = None) -> dict[str, Any]:
    """The total of the published records matching ``f`` and, per facet (those of ``only``; all when None),
    the counts of its values; a facet not asked for is an empty list, not counted (nor one that
    ``facets.counted`` knows to be empty)."""
    level = DeploymentRecord.level_before + ">" + DeploymentRecord.level_after
    column = partial(_by_column, session, f)
    child = partial(_by_child, session, f)
    # Per facet: the filters it drops (its own) and its counts.
    counters: dict[str, tuple[tuple[str, ...], Callable[[], list[FacetCount]]]] = {
        "region": (("region",), partial(column, DeploymentRecord.region_code, "region")),
        "industry": (("industry",), partial(column, DeploymentRecord.industry_code, "industry")),
        "subfield": (("subfield",), partial(child, Solution, Solution.subfield_code, "subfield")),
        "level": (("level_before", "level_after"), partial(column, level, "level_before", "level_after")),
        "supplier": (("supplier",), partial(child, Supplier, Supplier.company_id, "supplier", repeats=False)),
        "evidence": (("evidence",), partial(child, Kpi, Kpi.source, "evidence")),
        "year": (("year",), partial(column, DeploymentRecord.year, "year")),
    }
    matching = total(session, public(f))
    return {"total": matching} | {
        name: counted(matching, f, own, count) if only is None or name in only else []
        for name, (own, count) in counters.items()
    }


def public_order(sort: str) -> list[Any]:
    """``newest``: latest registered first; ``effect``: largest mean KPI improvement first, none last."""
    if sort == "effect":
        return [DeploymentRecord.mean_kpi_improvement_pct.desc().nulls_last(), DeploymentRecord.id]
    return [DeploymentRecord.created_at.desc(), DeploymentRecord.id.desc()]
