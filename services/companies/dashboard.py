"""The ministry's dashboard: progress toward the plan's targets, from this service's registry and the other
services' public APIs.

Targets (the plan, Oct 2024, for 2027): 500 designated specialist companies, 200 of them global, 500 key
equipment types with a published data standard, and SMEs' technology level up by at least 5 % from 74.9
(leading countries = 100; survey by 중소기업연구원·네모아이씨지). Deployment figures count what the public
deployments service shows the public: level transitions from its list of published records, support money
against measured KPI improvements from its aggregates by region and by sub-field.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from services.companies.dashboard_schemas import (
    KeyCount,
    LevelTransition,
    Overseas,
    Pipeline,
    SupportResults,
    SurveyPoint,
    Target,
    Targets,
    TechLevel,
)
from services.companies.models import Company, Designation, TechLevelSurvey
from services.kit.reference import GrowthStage

SPECIALIST_TARGET = 500
GLOBAL_TARGET = 200
EQUIPMENT_TYPES_TARGET = 500
TECH_LEVEL_BASELINE = 74.9
TECH_LEVEL_TARGET_GAIN_PCT = 5.0


def _counts(keys: list[str]) -> list[KeyCount]:
    return [KeyCount(key=k, count=n) for k, n in sorted(Counter(keys).items())]


def _target(code: str, ko: str, en: str, goal: int, rows: list[tuple[Designation, Company]]) -> Target:
    return Target(
        code=code,
        name={"ko": ko, "en": en},
        target=goal,
        value=len(rows),
        progress_pct=round(100.0 * len(rows) / goal, 2),
        by_region=_counts([c.region_code for _, c in rows]),
        by_subfield=_counts([f for d, _ in rows for f in d.fields]),
    )


def tech_level(surveys: list[TechLevelSurvey]) -> TechLevel:
    points = [
        SurveyPoint(
            year=s.year,
            level=s.level,
            gain_pct=round((s.level - TECH_LEVEL_BASELINE) / TECH_LEVEL_BASELINE * 100, 2),
            source=s.source,
        )
        for s in sorted(surveys, key=lambda s: s.year)
    ]
    latest = points[-1] if points else None
    return TechLevel(
        baseline=TECH_LEVEL_BASELINE,
        leaders=100.0,
        target_gain_pct=TECH_LEVEL_TARGET_GAIN_PCT,
        target_level=round(TECH_LEVEL_BASELINE * (1 + TECH_LEVEL_TARGET_GAIN_PCT / 100), 3),
        latest=latest,
        progress_pct=round(100.0 * latest.gain_pct / TECH_LEVEL_TARGET_GAIN_PCT, 2) if latest else None,
        trend=points,
    )


def level_transitions(records: list[dict[str, Any]]) -> list[LevelTransition]:
    pairs = Counter((str(r.get("level_before")), str(r.get("level_after"))) for r in records)
    return [LevelTransition(level_before=b, level_after=a, count=n) for (b, a), n in sorted(pairs.items())]


def support_vs_results(by: str, aggregates: dict[str, Any]) -> list[SupportResults]:
    """Support money against measured KPI improvement per group, from the deployments aggregates (the
    private amounts are disclosed there only as sums of groups large enough)."""
    return [
        SupportResults(
            by=by,
            key=str(g["key"]),
            records=int(g["count"]),
            support_krw=g.get("support_amount_krw_sum"),
            median_kpi_improvement_pct=g.get("median_kpi_improvement_pct") or {},
        )
        for g in aggregates.get("groups", [])
    ]


def standardised_types(models: list[dict[str, Any]]) -> Target:
    """Distinct equipment types with a published model, of 500, and per technology sub-field the distinct
    types of the published models linked to it."""
    published = [m for m in models if m.get("latest_published_version")]
    types = {str(m["equipment_type"]) for m in published}
    per_subfield: dict[str, set[str]] = {}
    for m in published:
        for code in m.get("subfields") or []:
            per_subfield.setdefault(code, set()).add(str(m["equipment_type"]))
    return Target(
        code="standardised_equipment_types",
        name={"ko": "핵심장비 데이터 표준화", "en": "Key equipment types standardised"},
        target=EQUIPMENT_TYPES_TARGET,
        value=len(types),
        progress_pct=round(100.0 * len(types) / EQUIPMENT_TYPES_TARGET, 2),
        by_region=[],
        by_subfield=[KeyCount(key=k, count=len(v)) for k, v in sorted(per_subfield.items())],
    )


def targets(
    designated: list[tuple[Designation, Company]],
    models: list[dict[str, Any]],
    surveys: list[TechLevelSurvey],
    records: list[dict[str, Any]],
    aggregates: dict[str, dict[str, Any]],
    overseas: Overseas,
    pipeline: Pipeline | None,
) -> Targets:
    global_rows = [(d, c) for d, c in designated if c.growth_stage == GrowthStage.GLOBAL.value]
    return Targets(
        targets=[
            _target(
                "specialist_companies",
                "전문기업 지정",
                "Designated specialist companies",
                SPECIALIST_TARGET,
                designated,
            ),
            _target(
                "global_companies",
                "글로벌 진출 전문기업",
                "Global specialist companies",
                GLOBAL_TARGET,
                global_rows,
            ),
            standardised_types(models),
        ],
        tech_level=tech_level(surveys),
        level_transitions=level_transitions(records),
        support_vs_results=[row for by, agg in aggregates.items() for row in support_vs_results(by, agg)],
        overseas=overseas,
        pipeline=pipeline,
        omitted={
            "standardised_equipment_types.by_region": "equipment models carry no region",
            "tech_level.by_region_subfield": "the survey is recorded as one national figure per year",
            "support_vs_results.programmes": "programme support is shown to admins and agencies (pipeline)",
        },
    )


def to_csv(result: Targets) -> str:
    """One row per figure: section, key, metric, value."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["section", "key", "metric", "value"])
    for t in result.targets:
        out.writerow([t.code, "total", "value", t.value])
        out.writerow([t.code, "total", "target", t.target])
        out.writerow([t.code, "total", "progress_pct", t.progress_pct])
        out.writerows([t.code, f"region:{r.key}", "value", r.count] for r in t.by_region)
        out.writerows([t.code, f"subfield:{s.key}", "value", s.count] for s in t.by_subfield)
    out.writerows(["tech_level", str(p.year), "level", p.level] for p in result.tech_level.trend)
    out.writerow(["overseas", "total", "companies", result.overseas.companies])
    out.writerow(["overseas", "total", "contracts", result.overseas.contracts])
    out.writerows(["overseas", f"country:{c.key}", "contracts", c.count] for c in result.overseas.by_country)
    out.writerows(
        ["level_transitions", f"{lt.level_before}->{lt.level_after}", "count", lt.count]
        for lt in result.level_transitions
    )
    for r in result.support_vs_results:
        key = f"{r.by}:{r.key}"
        out.writerow(["support_vs_results", key, "records", r.records])
        out.writerow(
            ["support_vs_results", key, "support_krw", "" if r.support_krw is None else r.support_krw]
        )
        out.writerows(
            ["support_vs_results", key, f"median_improvement_pct:{k}", v]
            for k, v in r.median_kpi_improvement_pct.items()
        )
    return buffer.getvalue()
