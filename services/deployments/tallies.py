"""The facet counts of the published records, kept as the records change: ``/deployments/facets`` under no
filter but region and industry (the portal's browse and map) reads them instead of counting the records.

``dep_facet_tallies`` holds, per region × industry cell, facet and value, the number of published records
of the cell holding the value: facet ``records`` (key "") the records themselves, then sub-field, level
("기초>중간1"), supplier, KPI evidence source and year, as :func:`keys` names them; a record in two solutions
of one sub-field holds it once. A facet's counts under a region or an industry are sums over cells, which
never share a record.

Invariant: every tally equals a recount of the published records. :func:`recount` keeps it, in the
transaction of every write of a record (``changes.finish_change``: publication, a revision back to draft,
any edit; ``records.service.delete`` before the row goes): it takes back what the record was counted as
(``dep_facet_tallied``) and adds what it holds now if published. Tallies are changed in key order, so two
transactions counting the same cells wait for each other instead of deadlocking. Rows written around the
service (a bulk load) are counted by :func:`rebuild`, which migration 0007 and the national bench run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, and_, delete, insert, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.deployments.models import DeploymentRecord, FacetTally, Kpi, Solution, Supplier, TalliedRecord
from services.kit.facets import ranked

RECORDS = "records"
FACETS = ("subfield", "level", "supplier", "evidence", "year")  # besides region and industry
Key = tuple[str, str]  # (facet, value)
Cell = tuple[str, str]  # (region, industry)


def keys(
    *,
    level_before: str,
    level_after: str,
    year: int,
    subfields: Iterable[str],
    suppliers: Iterable[str],
    sources: Iterable[str],
) -> list[Key]:
    """The (facet, value) pairs a published record is counted under, each once, in order."""
    held = [(RECORDS, ""), ("level", f"{level_before}>{level_after}"), ("year", str(year))]
    held += [("subfield", s) for s in sorted(set(subfields))]
    held += [("supplier", s) for s in sorted(set(suppliers))]
    held += [("evidence", s) for s in sorted(set(sources))]
    return held


def _keys_of(record: DeploymentRecord) -> list[Key]:
    if record.status != "published":
        return []
    return keys(
        level_before=record.level_before,
        level_after=record.level_after,
        year=record.year,
        subfields=(s.subfield_code for s in record.solutions),
        suppliers=(s.company_id for s in record.suppliers),
        sources=(k.source for k in record.kpis),
    )


def _add(conn: Connection, changes: Counter[tuple[str, str, str, str]]) -> None:
    """Add each of ``changes`` ((region, industry, facet, key) -> amount) to its tally, in key order; a
    value first counted in a cell gets its row (an upsert: two transactions adding it wait, not fail)."""
    t = FacetTally
    upsert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for (region, industry, facet, key), amount in sorted(changes.items()):
        if amount == 0:
            continue
        row = {"region_code": region, "industry_code": industry, "facet": facet, "key": key, "count": amount}
        stmt = upsert(t).values(row)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["region_code", "industry_code", "facet", "key"],
                set_={"count": t.count + stmt.excluded.count},
            )
        )


def recount(session: Session, record: DeploymentRecord, *, deleted: bool = False) -> None:
    """Make the tallies count ``record`` as it is now (as none when ``deleted``): flushes."""
    session.flush()  # its children as they are now, and the rows below on the same connection
    conn = session.connection()
    t = TalliedRecord
    before = conn.execute(
        select(t.region_code, t.industry_code, t.keys).where(t.record_id == record.id)
    ).first()
    now = [] if deleted else _keys_of(record)
    cell = (record.region_code, record.industry_code)
    counted = [] if before is None else [(facet, key) for facet, key in before.keys]
    if before is not None and (before.region_code, before.industry_code) == cell and counted == now:
        return  # counted as it is (a draft's edit, a KPI's evidence): nothing moves
    changes: Counter[tuple[str, str, str, str]] = Counter()
    if before is not None:
        for facet, key in counted:
            changes[(before.region_code, before.industry_code, facet, key)] -= 1
        conn.execute(delete(t).where(t.record_id == record.id))
    for facet, key in now:
        changes[(*cell, facet, key)] += 1
    if now:
        counted_as = {"record_id": record.id, "region_code": cell[0], "industry_code": cell[1], "keys": now}
        conn.execute(insert(t).values(counted_as))
    _add(conn, changes)


def rebuild(conn: Connection) -> int:
    """Count every published record afresh (after rows were written around the service); returns how many."""

    def by_record(column: object, parent: object) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for record_id, value in conn.execute(select(parent, column)):  # type: ignore[call-overload]
            out.setdefault(record_id, []).append(value)
        return out

    subfields = by_record(Solution.subfield_code, Solution.record_id)
    suppliers = by_record(Supplier.company_id, Supplier.record_id)
    sources = by_record(Kpi.source, Kpi.record_id)
    r = DeploymentRecord
    published = conn.execute(
        select(r.id, r.region_code, r.industry_code, r.level_before, r.level_after, r.year).where(
            r.status == "published"
        )
    ).all()
    conn.execute(delete(TalliedRecord))
    conn.execute(delete(FacetTally))
    tallies: Counter[tuple[str, str, str, str]] = Counter()
    rows = []
    for row in published:
        held = keys(
            level_before=row.level_before,
            level_after=row.level_after,
            year=row.year,
            subfields=subfields.get(row.id, ()),
            suppliers=suppliers.get(row.id, ()),
            sources=sources.get(row.id, ()),
        )
        cell = {"region_code": row.region_code, "industry_code": row.industry_code}
        rows.append({"record_id": row.id, **cell, "keys": held})
        tallies.update((row.region_code, row.industry_code, facet, key) for facet, key in held)
    for start in range(0, len(rows), 5000):
        conn.execute(insert(TalliedRecord), rows[start : start + 5000])
    if tallies:
        conn.execute(
            insert(FacetTally),
            [
                {"region_code": reg, "industry_code": ind, "facet": facet, "key": key, "count": n}
                for (reg, ind, facet, key), n in sorted(tallies.items())
            ],
        )
    return len(rows)


def facets(session: Session, region: str | None, industry: str | None) -> dict[str, object]:
    """``repository.facets`` of the published records under ``region`` and ``industry`` alone, from the
    tallies in one query: every cell's record count (the region and industry facets each ignore their own
    filter) and the chosen cells' other facets."""
    t = FacetTally
    chosen = [t.region_code == region] if region else []
    chosen += [t.industry_code == industry] if industry else []
    rows = session.execute(
        select(t.region_code, t.industry_code, t.facet, t.key, t.count).where(
            or_(t.facet == RECORDS, and_(*chosen) if chosen else true())
        )
    )
    counts: dict[str, Counter[str]] = {f: Counter() for f in ("region", "industry", *FACETS)}
    total = 0
    for cell_region, cell_industry, facet, key, count in rows:
        in_region = region is None or cell_region == region
        in_industry = industry is None or cell_industry == industry
        if facet != RECORDS:
            counts[facet][key] += count
            continue
        if in_industry:
            counts["region"][cell_region] += count
        if in_region:
            counts["industry"][cell_industry] += count
        if in_region and in_industry:
            total += count
    return {
        "total": total,
        **{facet: ranked((k, n) for k, n in c.items() if n > 0) for facet, c in counts.items()},
    }
