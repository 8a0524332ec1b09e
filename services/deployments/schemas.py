"""Request and response bodies of the deployments service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.kit.bodies import InputModel, PatchModel
from services.kit.fields import IndustryCode, RegionCode, Slug, SubFieldCode
from services.kit.i18n import LocalizedText
from services.kit.reference import KpiKind, SystemLevel

KpiSource = Literal["self_reported", "telemetry"]

_EXAMPLE: dict[str, Any] = {
    "title": {"ko": "대성정밀 생산관리 시스템 구축", "en": "Daesung Precision MES deployment"},
    "sme_company_id": "org-sme-1",
    "sme_name": "대성정밀(주)",
    "factory": {
        "name": "대성정밀 제1공장",
        "region_code": "48",
        "address": "경상남도 창원시 성산구 공단로 1",
        "industry_code": "C29",
    },
    "supplier_company_ids": ["org-vendor-3"],
    "solutions": [
        {
            "subfield_code": "INFO-MES",
            "name": {"ko": "클라우드 MES", "en": "Cloud MES"},
            "supplier_company_id": "org-vendor-3",
        }
    ],
    "level_before": "기초",
    "level_after": "중간1",
    "stages": [
        {"code": code, "planned_start": f"2025-{m:02d}-01", "planned_end": f"2025-{m:02d}-25"}
        for code, m in zip(
            ("APPLY", "ASSESS", "SELECT", "DESIGN", "BUILD", "INSPECT", "SETTLE", "AFTER"),
            range(1, 9),
            strict=True,
        )
    ],
    "after_service_months": 6,
    "support_amount_krw": 150000000,
    "kpis": [
        {"kind": "productivity", "baseline": 100, "after": 128, "unit": "ea/h", "source": "self_reported"},
        {
            "kind": "defect_rate",
            "baseline": 4.2,
            "after": 1.9,
            "unit": "%",
            "source": "telemetry",
            "telemetry_ref": "telemetry.readings?factory=factory-sme-1-a",
        },
    ],
}


class FactorySite(InputModel):
    name: str = Field(min_length=1, max_length=200)
    region_code: RegionCode
    address: str | None = Field(default=None, max_length=500)
    industry_code: IndustryCode


class SolutionIn(InputModel):
    subfield_code: SubFieldCode
    name: LocalizedText
    supplier_company_id: Slug | None = None


class StageIn(InputModel):
    code: str = Field(examples=["BUILD"])
    planned_start: date
    planned_end: date
    actual_start: date | None = None
    actual_end: date | None = None


class KpiIn(InputModel):
    kind: KpiKind
    baseline: float = Field(ge=0)
    after: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=16)
    source: KpiSource = "self_reported"
    telemetry_ref: str | None = Field(default=None, max_length=200)


class DeploymentIn(InputModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [_EXAMPLE]})

    owner_org_id: Slug | None = Field(default=None, description="defaults to the caller's organisation")
    title: LocalizedText
    sme_company_id: Slug
    sme_name: str = Field(min_length=1, max_length=200)
    factory: FactorySite
    supplier_company_ids: list[Slug] = Field(min_length=1, max_length=20)
    solutions: list[SolutionIn] = Field(min_length=1, max_length=30)
    level_before: SystemLevel
    level_after: SystemLevel
    stages: list[StageIn] = Field(min_length=8, max_length=8)
    after_service_months: int = Field(default=6, ge=0, le=36)
    support_amount_krw: int = Field(ge=0, le=10**12)
    kpis: list[KpiIn] = Field(default_factory=list, max_length=10)


class DeploymentPatch(PatchModel):
    """Fields to change; the merged record is validated as a whole."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"level_after": "중간2", "support_amount_krw": 180000000}]},
    )

    title: LocalizedText | None = None
    sme_name: str | None = Field(default=None, min_length=1, max_length=200)
    factory: FactorySite | None = None
    supplier_company_ids: list[Slug] | None = Field(default=None, min_length=1, max_length=20)
    solutions: list[SolutionIn] | None = Field(default=None, min_length=1, max_length=30)
    level_before: SystemLevel | None = None
    level_after: SystemLevel | None = None
    stages: list[StageIn] | None = Field(default=None, min_length=8, max_length=8)
    after_service_months: int | None = Field(default=None, ge=0, le=36)
    support_amount_krw: int | None = Field(default=None, ge=0, le=10**12)
    kpis: list[KpiIn] | None = Field(default=None, max_length=10)


class KpiPut(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "baseline": 4.2,
                    "after": 1.7,
                    "unit": "%",
                    "source": "telemetry",
                    "telemetry_ref": "telemetry.readings",
                }
            ]
        },
    )

    baseline: float = Field(ge=0)
    after: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=16)
    source: KpiSource = "self_reported"
    telemetry_ref: str | None = Field(default=None, max_length=200)


class StageOut(StageIn):
    planned_days: int
    actual_days: int | None


class KpiOut(KpiIn):
    improvement_pct: float | None = Field(description="improvement in % of the baseline, positive = better")


class DeploymentOut(BaseModel):
    id: str
    owner_org_id: str
    title: LocalizedText
    sme_company_id: str
    sme_name: str
    factory: FactorySite
    supplier_company_ids: list[str]
    solutions: list[SolutionIn]
    level_before: SystemLevel
    level_after: SystemLevel
    stages: list[StageOut]
    planned_months: float
    actual_months: float | None
    meets_target: bool | None = Field(description="finished within the 14-month target (None while running)")
    after_service_months: int
    after_service_end: date
    support_amount_krw: int
    year: int
    kpis: list[KpiOut]
    created_at: datetime
    updated_at: datetime


class Label(BaseModel):
    ko: str
    en: str


class AggregateGroup(BaseModel):
    key: str
    label: Label | None
    count: int
    median_kpi_improvement_pct: dict[str, float]


class Aggregates(BaseModel):
    by: str
    total: int
    groups: list[AggregateGroup]


class CodeCount(BaseModel):
    code: str
    count: int


class TrackRecord(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "company_id": "org-vendor-3",
                    "deployment_count": 12,
                    "regions": [{"code": "48", "count": 7}],
                    "subfields": [{"code": "INFO-MES", "count": 9}],
                    "median_kpi_improvement_pct": {"productivity": 24.5, "defect_rate": 51.0},
                    "telemetry_backed_kpis": 3,
                }
            ]
        }
    )

    company_id: str
    deployment_count: int
    regions: list[CodeCount]
    subfields: list[CodeCount]
    median_kpi_improvement_pct: dict[str, float]
    telemetry_backed_kpis: int
