"""One vocabulary of telemetry KPIs (services.kit.kpi_vocabulary): the analytics service computes exactly its
KPIs, and a deployment record's measurement asks for them by the same names the analytics API accepts."""

from __future__ import annotations

import re
from typing import Any, get_args

from catalog import kpis
from catalog.kpi_schemas import MeasureRequest
from services.deployments.kpis import evidence
from services.deployments.schemas import AnalyticsKpi, KpiMeasureIn
from services.kit import kpi_vocabulary as vocabulary
from services.kit.units import UNITS

NAMES = (
    "oee",
    "availability",
    "performance",
    "quality",
    "throughput",
    "defect_rate",
    "energy_per_good_unit",
    "mtbf",
    "mttr",
)


def test_the_terms_are_the_names_of_the_type_in_its_order() -> None:
    assert get_args(vocabulary.TelemetryKpi) == NAMES
    assert tuple(t.name for t in vocabulary.TERMS) == NAMES == vocabulary.KPIS


def test_every_term_has_korean_and_english_words_a_known_unit_and_a_direction() -> None:
    for term in vocabulary.TERMS:
        assert re.search("[가-힣]", term.ko), term
        assert term.en and not re.search("[가-힣]", term.en), term
    assert vocabulary.UNIT == {
        "oee": "%",
        "availability": "%",
        "performance": "%",
        "quality": "%",
        "throughput": "ea/h",
        "defect_rate": "%",
        "energy_per_good_unit": "kWh/ea",
        "mtbf": "h",
        "mttr": "h",
    }
    assert {"%", "h"} <= UNITS.keys()  # the plain units are the platform's canonical symbols
    lower = {name for name, higher in vocabulary.HIGHER_IS_BETTER.items() if not higher}
    assert lower == {"defect_rate", "energy_per_good_unit", "mttr"}


def test_analytics_computes_every_kpi_of_the_vocabulary_and_no_other() -> None:
    assert kpis.Kpi is vocabulary.TelemetryKpi
    assert set(kpis.Inputs().kpis(hours=1.0)) == set(NAMES)


def _enum(schema: dict[str, Any], field: str) -> list[str]:
    prop = schema["properties"][field]
    options = prop.get("anyOf", [prop])
    return next(option["enum"] for option in options if "enum" in option)


def test_a_record_asks_analytics_for_a_kpi_by_the_names_its_api_accepts() -> None:
    assert get_args(AnalyticsKpi) == NAMES
    asked = _enum(KpiMeasureIn.model_json_schema(), "metric")
    accepted = _enum(MeasureRequest.model_json_schema(), "kpi")
    assert asked == accepted == list(NAMES)
    # The record KPIs measurable from telemetry name measures of the vocabulary.
    assert {m for metrics in evidence.METRICS.values() for m in metrics} <= set(NAMES)
