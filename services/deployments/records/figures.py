"""Public figures over published records: aggregates by region/sub-field/industry/year and a supplier's
track record. Private support amounts enter only as sums and medians of groups of at least
``min_group_size`` records; smaller groups show none."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from services.deployments import repository
from services.deployments.aftercare import service as aftercare
from services.deployments.schemas import AggregateGroup, Aggregates, CodeCount, Label, TrackRecord
from services.kit import reference as ref


def _medians(values: Iterable[tuple[str, float]]) -> dict[str, float]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, value in values:
        by_kind[kind].append(value)
    return {kind: round(statistics.median(v), 2) for kind, v in sorted(by_kind.items())}


_LABELS: dict[str, dict[str, Label]] = {
    "region": {r.code: Label(ko=r.ko, en=r.en) for r in ref.REGIONS},
    "subfield": {s.code: Label(ko=s.ko, en=s.en) for s in ref.SUBFIELDS},
    "industry": {i.code: Label(ko=i.ko, en=i.en) for i in ref.INDUSTRIES},
}


def aggregates(session: Session, by: str, min_group_size: int, region: str | None = None) -> Aggregates:
    """Count and median KPI improvement per group (of the records of ``region``); every region/sub-field/
    industry is listed, zeros too."""
    figures = repository.group_figures(session, by, region)
    medians: dict[str, dict[str, float]] = defaultdict(dict)
    for (key, kind), value in sorted(figures.kpi_medians.items()):
        medians[key][kind] = round(value, 2)
    labels = _LABELS.get(by, {})
    groups = []
    for key in list(labels) if labels else sorted(figures.records):
        count = figures.records.get(key, 0)
        disclosed = figures.support.get(key) if count >= min_group_size else None
        groups.append(
            AggregateGroup(
                key=key,
                label=labels.get(key),
                count=count,
                median_kpi_improvement_pct=medians.get(key, {}),
                support_amount_krw_sum=disclosed[0] if disclosed else None,
                support_amount_krw_median=disclosed[1] if disclosed else None,
            )
        )
    return Aggregates(by=by, total=figures.total, min_group_size=min_group_size, groups=groups)


def _ranked(counts: Counter[str]) -> list[CodeCount]:
    return [CodeCount(code=c, count=n) for c, n in sorted(counts.items(), key=lambda cn: (-cn[1], cn[0]))]


def track_record(session: Session, company_id: str) -> TrackRecord:
    records = repository.published_supplied_by(session, company_id)
    kpis = [k for r in records for k in r.kpis]
    return TrackRecord(
        company_id=company_id,
        deployment_count=len(records),
        regions=_ranked(Counter(r.region_code for r in records)),
        subfields=_ranked(Counter(s.subfield_code for r in records for s in r.solutions)),
        median_kpi_improvement_pct=_medians(
            (k.kind, k.improvement_pct) for k in kpis if k.improvement_pct is not None
        ),
        telemetry_backed_kpis=sum(1 for k in kpis if k.evidence is not None),
        verified_kpis=sum(1 for k in kpis if k.source == "verified"),
        aftercare=aftercare.counts(repository.tickets_of_supplier(session, company_id)),
    )
