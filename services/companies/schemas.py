"""Request and response bodies of the companies service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.companies.brn import problem
from services.kit.bodies import InputModel, PatchModel
from services.kit.fields import IndustryCode, RegionCode, Slug, SubFieldCode
from services.kit.i18n import LocalizedText
from services.kit.reference import GrowthStage

Kind = Literal["sme", "vendor"]


def _brn(value: str | None) -> str | None:
    if value is None:
        return None
    digits, reason = problem(value)
    if reason:
        raise ValueError(f"사업자등록번호 {reason}")
    return digits


_COMPANY_EXAMPLE: dict[str, Any] = {
    "id": "org-vendor-3",
    "kind": "vendor",
    "name": {"ko": "(주)한국MES", "en": "Hankook MES Co., Ltd."},
    "business_registration_number": "220-81-62517",
    "representative": "김민준",
    "region_code": "41",
    "founded_year": 2012,
    "employees": 85,
    "growth_stage": "성장",
    "expertise": ["INFO-MES", "INTL-AI"],
    "capability_level": 3,
}


class CompanyIn(InputModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_COMPANY_EXAMPLE]})

    id: Slug = Field(description="the organisation id (org_id claim of its users)")
    kind: Kind
    name: LocalizedText
    business_registration_number: str = Field(description="10 digits, dashes allowed; checksum verified")
    representative: str | None = Field(default=None, max_length=100)
    region_code: RegionCode
    industry_code: IndustryCode | None = None
    address: str | None = Field(default=None, max_length=500)
    founded_year: int | None = Field(default=None, ge=1900, le=2100)
    employees: int | None = Field(default=None, ge=0, le=1_000_000)
    growth_stage: GrowthStage = GrowthStage.STARTUP
    expertise: list[SubFieldCode] = Field(default_factory=list, max_length=14)
    capability_level: int | None = Field(default=None, ge=1, le=5, description="KS X 9001 level")

    _check_brn = field_validator("business_registration_number")(_brn)


class CompanyPatch(PatchModel):
    clearable = frozenset({"representative", "address", "founded_year", "employees"})

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"employees": 92, "growth_stage": "글로벌", "expertise": ["INFO-MES", "INTL-TWIN"]}]
        },
    )

    name: LocalizedText | None = None
    representative: str | None = Field(default=None, max_length=100)
    region_code: RegionCode | None = None
    industry_code: IndustryCode | None = None
    address: str | None = Field(default=None, max_length=500)
    founded_year: int | None = Field(default=None, ge=1900, le=2100)
    employees: int | None = Field(default=None, ge=0, le=1_000_000)
    growth_stage: GrowthStage | None = None
    expertise: list[SubFieldCode] | None = Field(default=None, max_length=14)
    capability_level: int | None = Field(default=None, ge=1, le=5)


class CompanyOut(BaseModel):
    id: str
    kind: Kind
    name: LocalizedText
    business_registration_number: str
    representative: str | None
    region_code: str
    industry_code: str | None
    address: str | None
    founded_year: int | None
    employees: int | None
    growth_stage: GrowthStage
    expertise: list[str]
    capability_level: int | None
    designated: bool
    designated_until: datetime | None
    created_at: datetime


class Equipment(InputModel):
    equipment_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")
    name: str | None = Field(default=None, max_length=200)
    model_id: str = Field(pattern=r"^[a-z][a-z0-9-]{2,63}$")
    model_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")


def _unique_equipment(equipment: list[Equipment] | None) -> list[Equipment] | None:
    ids = [e.equipment_id for e in equipment or []]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"equipment ids appear twice: {', '.join(duplicates)}")
    return equipment


class FactoryIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "factory-sme-1-a",
                    "name": "대성정밀 제1공장",
                    "region_code": "48",
                    "industry_code": "C29",
                    "address": "경상남도 창원시 성산구 공단로 1",
                    "equipment": [
                        {
                            "equipment_id": "eq-1-01",
                            "name": "CNC #1",
                            "model_id": "cnc-lathe",
                            "model_version": "1.0.0",
                        }
                    ],
                }
            ]
        },
    )

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    region_code: RegionCode
    address: str | None = Field(default=None, max_length=500)
    industry_code: IndustryCode
    equipment: list[Equipment] = Field(default_factory=list, max_length=2000)

    _unique = field_validator("equipment")(_unique_equipment)


class FactoryPatch(PatchModel):
    clearable = frozenset({"address"})

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "대성정밀 창원공장"}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    equipment: list[Equipment] | None = Field(default=None, max_length=2000)

    _unique = field_validator("equipment")(_unique_equipment)


class FactoryOut(BaseModel):
    id: str
    company_id: str
    name: str
    region_code: str
    address: str | None
    industry_code: str
    equipment: list[Equipment]
    created_at: datetime


class Diagnosis(InputModel):
    technology: float = Field(ge=0, le=100)
    track_record: float = Field(ge=0, le=100)
    organisation: float = Field(ge=0, le=100)
    finance: float = Field(ge=0, le=100)


class DesignationIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "fields": ["INFO-MES", "INTL-AI"],
                    "diagnosis": {"technology": 82, "track_record": 75, "organisation": 70, "finance": 64},
                }
            ]
        },
    )

    fields: list[SubFieldCode] = Field(min_length=1, max_length=14)
    diagnosis: Diagnosis


class DecisionIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "designated"},
                {"decision": "rejected", "reason": "역량진단 점수가 기준(70점)에 미달합니다"},
            ]
        },
    )

    decision: Literal["designated", "rejected"]
    reason: str | None = Field(
        default=None, min_length=2, max_length=2000, description="required for a rejection"
    )
    override_reason: str | None = Field(
        default=None,
        min_length=2,
        max_length=2000,
        description="required to designate below the 70-point threshold",
    )


class DesignationOut(BaseModel):
    id: str
    company_id: str
    fields: list[str]
    diagnosis: Diagnosis
    total_score: float
    status: Literal["submitted", "designated", "rejected"]
    reason: str | None
    override_reason: str | None
    decided_at: datetime | None
    valid_until: datetime | None
    created_at: datetime


class BrnCheck(BaseModel):
    valid: bool
    normalized: str
    reason: str | None


class CodeCount(BaseModel):
    code: str
    count: int


class TrackRecordOut(BaseModel):
    company_id: str
    name: LocalizedText
    designated: bool
    deployment_count: int
    regions: list[CodeCount]
    subfields: list[CodeCount]
    median_kpi_improvement_pct: dict[str, float]
    telemetry_backed_kpis: int
