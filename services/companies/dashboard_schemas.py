"""Bodies of the ministry dashboard and the technology-level survey."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.kit.bodies import InputModel
from services.kit.i18n import LocalizedText


class KeyCount(BaseModel):
    key: str
    count: int


class Target(BaseModel):
    code: str
    name: LocalizedText
    target: int
    value: int
    progress_pct: float
    by_region: list[KeyCount]
    by_subfield: list[KeyCount]


class SurveyPoint(BaseModel):
    year: int
    level: float
    gain_pct: float = Field(description="change from the 74.9 baseline, in % of it")
    source: str


class TechLevel(BaseModel):
    baseline: float
    leaders: float
    target_gain_pct: float
    target_level: float
    latest: SurveyPoint | None
    progress_pct: float | None = Field(description="latest gain as a share of the +5 % target")
    trend: list[SurveyPoint]


class LevelTransition(BaseModel):
    level_before: str
    level_after: str
    count: int


class SupportResults(BaseModel):
    by: Literal["region", "subfield"]
    key: str
    records: int
    support_krw: int | None = Field(
        description="sum of support; None when the group is too small to disclose"
    )
    median_kpi_improvement_pct: dict[str, float]


class Overseas(BaseModel):
    """Overseas expansion recorded by the companies: an overseas contract makes a company 글로벌, which counts
    toward the 200 global specialist companies once it is designated."""

    companies: int = Field(description="companies with at least one overseas contract")
    contracts: int
    by_country: list[KeyCount] = Field(description="contracts per country (ISO 3166-1 alpha-2)")


class Pipeline(BaseModel):
    applications_by_status: list[KeyCount]
    overdue: int
    programme_support_krw: int
    programme_applications_by_status: list[KeyCount]


class Targets(BaseModel):
    targets: list[Target]
    tech_level: TechLevel
    level_transitions: list[LevelTransition]
    support_vs_results: list[SupportResults]
    overseas: Overseas
    pipeline: Pipeline | None = Field(description="applications under way: admins and agencies only")
    omitted: dict[str, str]


class SurveyIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"level": 76.2, "source": "2026 중소기업 기술통계조사"}]},
    )

    level: float = Field(gt=0, le=200, description="SMEs' technology level, leading countries = 100")
    source: str = Field(min_length=2, max_length=500)


class SurveyOut(BaseModel):
    year: int
    level: float
    source: str
    created_at: datetime
