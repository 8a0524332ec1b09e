"""The ISO 22400-2 KPIs measured from telemetry: their names, Korean and English labels, units and directions,
owned here and nowhere else.

The analytics service computes them (``catalog.kpis``); a deployment record stores one as the measure behind
a KPI's evidence (``services.deployments.schemas.AnalyticsKpi``). Both name the KPIs by ``TelemetryKpi``;
``tests/services/kit/test_kpi_vocabulary.py`` holds the terms and the type to the same names. A unit is a
canonical symbol; ``higher_is_better`` says which way an improvement (or a peer ranking) goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# Spelled out for the type checker and the OpenAPI enums; TERMS below gives each its words, in this order.
TelemetryKpi = Literal[
    "oee",
    "availability",
    "performance",
    "quality",
    "throughput",
    "defect_rate",
    "energy_per_good_unit",
    "mtbf",
    "mttr",
]


@dataclass(frozen=True)
class KpiTerm:
    name: str
    ko: str
    en: str
    unit: str
    higher_is_better: bool


TERMS: tuple[KpiTerm, ...] = (
    KpiTerm("oee", "설비종합효율(OEE)", "Overall equipment effectiveness", "%", True),
    KpiTerm("availability", "가동률", "Availability", "%", True),
    KpiTerm("performance", "성능 효율", "Performance", "%", True),
    KpiTerm("quality", "양품률", "Quality rate", "%", True),
    KpiTerm("throughput", "처리량", "Throughput", "ea/h", True),
    KpiTerm("defect_rate", "불량률", "Defect rate", "%", False),
    KpiTerm("energy_per_good_unit", "양품당 에너지", "Energy per good unit", "kWh/ea", False),
    KpiTerm("mtbf", "평균 고장 간격(MTBF)", "Mean time between failures", "h", True),
    KpiTerm("mttr", "평균 수리 시간(MTTR)", "Mean time to repair", "h", False),
)
KPIS: tuple[str, ...] = get_args(TelemetryKpi)
TERM: dict[str, KpiTerm] = {t.name: t for t in TERMS}
UNIT: dict[str, str] = {t.name: t.unit for t in TERMS}
HIGHER_IS_BETTER: dict[str, bool] = {t.name: t.higher_is_better for t in TERMS}
