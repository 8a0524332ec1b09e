"""Bodies of overseas expansion, regional AI centres, support centres and their programmes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.kit.bodies import InputModel
from services.kit.fields import IndustryCode, RegionCode, Slug
from services.kit.i18n import LocalizedText
from services.kit.reference import GrowthStage

# The plan's four support-centre functions.
Function = Literal["기술개발", "창업기업 육성", "인력양성", "해외진출"]


class OverseasIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "country": "VN",
                    "partner": "Thanh Cong Textile JSC",
                    "contract_krw": 850000000,
                    "signed_on": "2026-05-14",
                }
            ]
        },
    )

    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, not KR")
    partner: str = Field(min_length=1, max_length=200)
    contract_krw: int = Field(ge=0, le=10**15)
    signed_on: date


class OverseasOut(OverseasIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    company_id: str
    created_at: datetime


class RegionalCentreIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "aic-gyeongnam",
                    "name": {"ko": "경남 제조AI센터", "en": "Gyeongnam Manufacturing AI Centre"},
                    "regions": ["48"],
                    "industries": ["C29", "C30", "C31"],
                }
            ]
        },
    )

    id: Slug
    name: LocalizedText
    regions: list[RegionCode] = Field(min_length=1, max_length=17)
    industries: list[IndustryCode] = Field(min_length=1, max_length=25, description="main KSIC industries")


class RegionalCentreOut(RegionalCentreIn):
    model_config = ConfigDict(extra="ignore")

    created_at: datetime


class CountBy(BaseModel):
    key: str
    count: int


class UploadMonth(BaseModel):
    month: str = Field(description="YYYY-MM (Korean time)")
    region: str
    factories: int
    equipment: int
    readings: int


class TelemetryBenchmark(BaseModel):
    kpi: str
    unit: str
    region: str
    industry: str
    factories: int = Field(description="factories in the group (never below the minimum group size)")
    mean: float
    p25: float | None
    median: float | None
    p75: float | None


class Disclosure(BaseModel):
    """The disclosure rule the analytics service published the telemetry benchmarks under."""

    min_group_size: int = Field(description="a published group has at least this many factories")
    max_share: float = Field(description="and no factory with more than this share of its readings")


class RegionalDashboard(BaseModel):
    centre: RegionalCentreOut
    period_start: datetime
    period_end: datetime
    smes: int
    vendors: int
    designated: int
    deployments: list[CountBy] = Field(description="published deployment records per region")
    median_kpi_improvement_pct: dict[str, dict[str, float]] = Field(description="per region")
    usecases: list[CountBy] = Field(description="published AI use cases per region")
    industry_benchmarks: dict[str, dict[str, float]] = Field(
        description="median KPI improvement of the centre's main industries, nationwide"
    )
    uploads: list[UploadMonth] = Field(
        description="readings uploaded per month by the factories of the centre's regions (those you cover)"
    )
    telemetry_benchmarks: list[TelemetryBenchmark] = Field(
        description="telemetry KPIs of the main industries in the centre's regions, over the period"
    )
    telemetry_benchmarks_withheld: dict[str, list[str]] = Field(
        description="per KPI, region/industry groups not shown: no data, too few factories, or one dominates"
    )
    disclosure: Disclosure | None = Field(
        default=None,
        description="the rule the benchmarks were published under (null: the lake did not answer)",
    )
    omitted: dict[str, str] = Field(description="figures not shown, and why")


class SupportCentreIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "sc-global",
                    "function": "해외진출",
                    "name": {"ko": "스마트제조 해외진출 지원센터", "en": "Smart Manufacturing Export Centre"},
                    "region_code": "11",
                }
            ]
        },
    )

    id: Slug
    function: Function
    name: LocalizedText
    region_code: RegionCode | None = None


class SupportCentreOut(SupportCentreIn):
    model_config = ConfigDict(extra="ignore")

    created_at: datetime


class ProgrammeIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "prog-export-2026",
                    "name": {"ko": "2026 해외 실증 지원", "en": "2026 overseas pilot support"},
                    "stages": ["성장", "글로벌"],
                    "opens_on": "2026-03-01",
                    "closes_on": "2026-12-31",
                    "budget_krw": 2000000000,
                }
            ]
        },
    )

    id: Slug
    name: LocalizedText
    description: LocalizedText | None = None
    stages: list[GrowthStage] = Field(min_length=1, max_length=3, description="growth stages it serves")
    opens_on: date
    closes_on: date
    budget_krw: int = Field(ge=0, le=10**15)


class ProgrammeOut(ProgrammeIn):
    model_config = ConfigDict(extra="ignore")

    centre_id: str
    function: str
    created_at: datetime


class ProgrammeApplicationIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"company_id": "org-vendor-3", "plan": "베트남 섬유공장 MES 실증"}]},
    )

    company_id: str = Field(min_length=1, max_length=64)
    plan: str = Field(min_length=2, max_length=4000)


class ProgrammeDecisionIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision": "selected", "support_krw": 150000000, "reason": "적합"}]
        },
    )

    decision: Literal["selected", "rejected"]
    support_krw: int | None = Field(default=None, ge=0, le=10**15, description="granted support (selected)")
    reason: str = Field(min_length=2, max_length=2000)


class ProgrammeApplicationOut(BaseModel):
    id: str
    programme_id: str
    company_id: str
    plan: str
    status: Literal["applied", "selected", "rejected"]
    support_krw: int | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None


def from_row(model: type[BaseModel], row: Any, **extra: Any) -> Any:
    return model.model_validate({c.key: getattr(row, c.key) for c in row.__table__.columns} | extra)
