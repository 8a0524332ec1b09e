"""The capability-diagnosis model (역량진단): versioned indicators, scoring rules and the explained score.

Modelled on the KIBO AI in-depth evaluation (기술보증기금 AI 심층평가): four areas, each indicator with a
definition, a unit, a piecewise-linear scoring rule (value -> 0..100 points) and a weight. Three sources:

- ``platform``: computed from the other services' public APIs (published deployment records, KPI
  improvements measured from telemetry, after-care tickets, equipment models and AI cases of the company);
- ``declared``: stated by the company, each value backed by at least one evidence document;
- ``evaluator``: each assigned evaluator's judgement (0-100) with a written reason; their mean counts.

The total is ``sum(score_i * weight_i) / sum(weight_i)`` over the indicators that have a value, so a figure
the platform cannot produce yet (e.g. no after-care ticket ever) neither helps nor hurts; the breakdown says
which indicators were left out and why. A diagnosis names the model version that scored it; a new version
is a new entry of ``MODELS`` (old applications keep being explained by the version they were scored with).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Area = Literal["technology", "track_record", "organisation", "finance"]
Source = Literal["platform", "declared", "evaluator"]
AREAS: tuple[Area, ...] = ("technology", "track_record", "organisation", "finance")
AREA_NAMES: dict[str, dict[str, str]] = {
    "technology": {"ko": "기술력", "en": "Technology"},
    "track_record": {"ko": "사업실적", "en": "Track record"},
    "organisation": {"ko": "조직역량", "en": "Organisation"},
    "finance": {"ko": "재무역량", "en": "Finance"},
}


@dataclass(frozen=True)
class Indicator:
    code: str
    area: Area
    source: Source
    ko: str
    en: str
    definition_ko: str
    definition_en: str
    unit: str
    # Scoring rule: (value, points) breakpoints, ascending values; linear between, flat outside.
    points: tuple[tuple[float, float], ...]
    weight: float

    def score(self, value: float) -> float:
        (x0, y0), *rest = self.points
        if value <= x0:
            return y0
        for x1, y1 in rest:
            if value <= x1:
                return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
            x0, y0 = x1, y1
        return y0


_JUDGED = ((0.0, 0.0), (100.0, 100.0))

# fmt: off
MODEL_2026_1: tuple[Indicator, ...] = (
    Indicator(
        "patents", "technology", "declared", "특허", "Patents",
        "등록된 스마트제조 관련 특허 수 (특허등록원부 첨부)",
        "Registered smart-manufacturing patents (certificate of registration attached)",
        "count", ((0, 0), (1, 40), (3, 70), (5, 100)), 10,
    ),
    Indicator(
        "certifications", "technology", "declared", "인증", "Certifications",
        "GS인증, ISO 9001/27001, 스마트공장 공급기업 확인 등 유효한 인증 수",
        "Valid certifications such as GS, ISO 9001/27001, smart-factory supplier confirmation",
        "count", ((0, 0), (1, 50), (3, 100)), 5,
    ),
    Indicator(
        "standards_published", "technology", "platform", "표준 모델 기여", "Standards contributed",
        "플랫폼에 게시된 이 기업 소유의 설비 데이터 표준 모델 수",
        "Equipment data models owned by the company and published on the platform",
        "count", ((0, 0), (1, 50), (3, 100)), 5,
    ),
    Indicator(
        "technology_judgement", "technology", "evaluator", "기술력 평가", "Technology judgement",
        "평가위원이 판단한 핵심기술의 수준과 차별성 (사유 필수)",
        "Evaluators' judgement of the level and distinctiveness of the core technology (reason required)",
        "points", _JUDGED, 15,
    ),
    Indicator(
        "deployments", "track_record", "platform", "구축 실적", "Deployments",
        "공급기업으로 참여한 게시된(검증된) 구축정보 건수",
        "Published (verified) deployment records naming the company as supplier",
        "count", ((0, 0), (5, 50), (20, 100)), 10,
    ),
    Indicator(
        "kpi_improvement", "track_record", "platform", "성과 개선율", "KPI improvement",
        "구축 성과지표(생산성·불량률·원가·납기·에너지)의 종류별 개선율 중앙값의 평균",
        "Mean over KPI kinds (productivity, defect rate, cost, delivery, energy) of the median improvement",
        "%", ((0, 0), (10, 50), (30, 100)), 10,
    ),
    Indicator(
        "telemetry_kpis", "track_record", "platform", "실측 성과", "Telemetry-measured KPIs",
        "설비 데이터(텔레메트리)로 산출된 성과지표 수",
        "KPIs computed from equipment telemetry rather than self-reported",
        "count", ((0, 0), (3, 60), (10, 100)), 5,
    ),
    Indicator(
        "after_care", "track_record", "platform", "사후관리 적기 처리율", "After-care on time",
        "사후관리 요청 중 기한 내 처리된 비율 (요청이 없으면 제외)",
        "Share of after-care tickets not late (left out while the company has none)",
        "%", ((50, 0), (80, 60), (100, 100)), 5,
    ),
    Indicator(
        "ai_cases", "track_record", "platform", "AI 활용 사례", "AI use cases",
        "공급기업으로 등록되어 게시된 AI 활용 사례 수",
        "Published AI use cases naming the company as supplier",
        "count", ((0, 0), (1, 50), (3, 100)), 5,
    ),
    Indicator(
        "technical_staff", "organisation", "declared", "기술인력", "Technical staff",
        "4대보험 가입자 명부로 확인되는 연구·기술 인력 수",
        "Research and technical staff shown on the social-insurance roster",
        "persons", ((0, 0), (5, 40), (20, 80), (50, 100)), 5,
    ),
    Indicator(
        "organisation_judgement", "organisation", "evaluator", "조직역량 평가", "Organisation judgement",
        "평가위원이 판단한 수행조직·사후관리 체계의 적정성 (사유 필수)",
        "Evaluators' judgement of the delivery and after-care organisation (reason required)",
        "points", _JUDGED, 10,
    ),
    Indicator(
        "revenue", "finance", "declared", "매출액", "Revenue",
        "직전 사업연도 매출액 (재무제표 첨부)",
        "Revenue of the last business year (financial statements attached)",
        "KRW", ((0, 0), (1e9, 40), (5e9, 70), (2e10, 100)), 5,
    ),
    Indicator(
        "exports", "finance", "declared", "수출액", "Exports",
        "직전 사업연도 수출액 (수출실적증명서 첨부)",
        "Exports of the last business year (export certificate attached)",
        "KRW", ((0, 0), (1e8, 50), (1e9, 100)), 5,
    ),
    Indicator(
        "finance_judgement", "finance", "evaluator", "재무건전성 평가", "Financial soundness judgement",
        "평가위원이 판단한 재무 안정성과 지속가능성 (사유 필수)",
        "Evaluators' judgement of financial stability and sustainability (reason required)",
        "points", _JUDGED, 5,
    ),
)
# fmt: on

CURRENT_VERSION = "2026.1"
MODELS: dict[str, tuple[Indicator, ...]] = {CURRENT_VERSION: MODEL_2026_1}


def indicators(version: str = CURRENT_VERSION) -> tuple[Indicator, ...]:
    return MODELS[version]


def of_source(source: Source, version: str = CURRENT_VERSION) -> dict[str, Indicator]:
    return {i.code: i for i in MODELS[version] if i.source == source}


def platform_values(figures: Mapping[str, Any]) -> dict[str, float | None]:
    """The platform indicators' values from the figures read from the other services (None: no value)."""
    medians = figures.get("median_kpi_improvement_pct") or {}
    after_care = figures.get("after_care") or {}
    tickets = sum(int(after_care.get(k, 0)) for k in ("open", "resolved"))
    return {
        "standards_published": figures.get("standards_published"),
        "deployments": figures.get("deployment_count"),
        "kpi_improvement": round(sum(medians.values()) / len(medians), 2) if medians else None,
        "telemetry_kpis": figures.get("telemetry_backed_kpis"),
        "after_care": round(100.0 * (1 - int(after_care.get("late", 0)) / tickets), 2) if tickets else None,
        "ai_cases": figures.get("ai_cases"),
    }


def _mean_judgement(code: str, judgements: Sequence[Mapping[str, Any]]) -> tuple[float | None, list[str]]:
    given = [j[code] for j in judgements if code in j]
    if not given:
        return None, []
    return sum(float(g["score"]) for g in given) / len(given), [str(g["reason"]) for g in given]


def breakdown(
    version: str,
    *,
    platform: Mapping[str, Any],
    declared: Mapping[str, float],
    evidence: Sequence[Mapping[str, Any]],
    judgements: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Every indicator with its value, points, weight and contribution, the area subtotals and the total."""
    from_platform = platform_values(platform)
    rows: list[dict[str, Any]] = []
    for ind in MODELS[version]:
        reasons: list[str] = []
        documents: list[str] = []
        value: float | None
        if ind.source == "platform":
            value = from_platform.get(ind.code)
            note = None if value is not None else "no figure on the platform yet; left out"
        elif ind.source == "declared":
            value = declared.get(ind.code)
            documents = [str(e["title"]) for e in evidence if e.get("indicator") == ind.code]
            note = None if value is not None else "not declared; left out"
        else:
            value, reasons = _mean_judgement(ind.code, judgements)
            note = None if value is not None else "awaiting the evaluators; left out"
        rows.append(
            {
                "code": ind.code,
                "area": ind.area,
                "source": ind.source,
                "name": {"ko": ind.ko, "en": ind.en},
                "unit": ind.unit,
                "value": None if value is None else round(float(value), 2),
                "points": None if value is None else round(ind.score(float(value)), 2),
                "weight": ind.weight,
                "evidence": documents,
                "reasons": reasons,
                "note": note,
            }
        )
    counted = sum(r["weight"] for r in rows if r["points"] is not None)
    for r in rows:
        r["contribution"] = round(r["points"] * r["weight"] / counted, 2) if r["points"] is not None else 0.0
    areas = {area: round(sum(r["contribution"] for r in rows if r["area"] == area), 2) for area in AREAS}
    total = (
        sum(r["points"] * r["weight"] for r in rows if r["points"] is not None) / counted if counted else 0
    )
    return {
        "model_version": version,
        "total": round(total, 2),
        "counted_weight": counted,
        "areas": areas,
        "indicators": rows,
    }
