"""Request and response bodies of the companies service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.companies import diagnosis
from services.companies.brn import BRN_PATTERN, problem
from services.kit.bodies import InputModel, PatchModel
from services.kit.facets import FacetCount
from services.kit.fields import IndustryCode, RegionCode, Slug, SubFieldCode
from services.kit.i18n import LocalizedText
from services.kit.messages import Msg
from services.kit.reference import GrowthStage
from services.kit.validation_messages import invalid

Kind = Literal["sme", "vendor"]


def _brn(value: str | None) -> str | None:
    if value is None:
        return None
    digits, reason = problem(value)
    if reason:
        raise invalid(Msg("business registration number: {reason}", reason=reason))
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
    business_registration_number: str = Field(
        pattern=BRN_PATTERN, description="10 digits, dashes allowed; checksum verified"
    )
    representative: str | None = Field(default=None, max_length=100)
    region_code: RegionCode
    industry_code: IndustryCode | None = None
    address: str | None = Field(default=None, max_length=500)
    founded_year: int | None = Field(default=None, ge=1900, le=2100)
    employees: int | None = Field(default=None, ge=0, le=1_000_000)
    growth_stage: GrowthStage = GrowthStage.STARTUP
    expertise: list[SubFieldCode] = Field(default_factory=list, max_length=14)
    capability_level: int | None = Field(default=None, ge=1, le=5, description="KS X 9001 level")
    revenue_krw: int | None = Field(
        default=None, ge=0, le=10**15, description="last year's revenue; once given, the stage is computed"
    )
    export_krw: int | None = Field(default=None, ge=0, le=10**15, description="last year's exports")

    _check_brn = field_validator("business_registration_number")(_brn)


class CompanyPatch(PatchModel):
    clearable = frozenset(
        {"representative", "address", "founded_year", "employees", "revenue_krw", "export_krw"}
    )

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
    revenue_krw: int | None = Field(default=None, ge=0, le=10**15)
    export_krw: int | None = Field(default=None, ge=0, le=10**15)


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
    growth_stage_basis: Literal["declared", "computed"] = Field(
        description="computed from age, revenue, exports and overseas contracts once revenue is declared"
    )
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
    line: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description="the production line (공정 라인) it belongs to: KPIs can be grouped by line",
        examples=["line-1"],
    )


def _unique_equipment(equipment: list[Equipment] | None) -> list[Equipment] | None:
    ids = [e.equipment_id for e in equipment or []]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise invalid(Msg("equipment ids appear twice: {duplicates}", duplicates=", ".join(duplicates)))
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
                            "line": "line-1",
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


class AdoptionCount(BaseModel):
    """How many registered factories run a data-standard version: counts only, never which factories."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"model_id": "cnc-lathe", "model_version": "1.0.0", "factories": 41, "equipment": 187}
            ]
        }
    )

    model_id: str
    model_version: str
    factories: int = Field(description="registered factories with equipment reporting by this version")
    equipment: int = Field(description="their equipment reporting by it")


def _declared_codes(value: dict[str, float]) -> dict[str, float]:
    allowed = diagnosis.of_source("declared")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise invalid(
            Msg(
                "not declared indicators: {unknown}; one of: {allowed}",
                unknown=", ".join(unknown),
                allowed=", ".join(allowed),
            )
        )
    return value


_DECLARED: list[Any] = list(diagnosis.of_source("declared"))


class EvidenceDoc(InputModel):
    indicator: str = Field(
        description="the declared indicator the document backs",
        max_length=40,
        json_schema_extra={"enum": _DECLARED},
    )
    title: str = Field(min_length=2, max_length=200)
    uri: str | None = Field(default=None, max_length=500, description="where the document is kept")
    issued_on: date | None = None

    @field_validator("indicator")
    @classmethod
    def _declared(cls, value: str) -> str:
        _declared_codes({value: 0})
        return value


class DesignationIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "fields": ["INFO-MES", "INTL-AI"],
                    "declared": {"patents": 3, "certifications": 2, "technical_staff": 24, "revenue": 6e9},
                    "evidence": [
                        {"indicator": "patents", "title": "특허 제10-2345678호 등록원부"},
                        {"indicator": "certifications", "title": "GS인증서 1등급"},
                        {"indicator": "technical_staff", "title": "4대보험 가입자 명부 (2026.10)"},
                        {"indicator": "revenue", "title": "2025년 재무제표 (감사보고서)"},
                    ],
                }
            ]
        },
    )

    fields: list[SubFieldCode] = Field(min_length=1, max_length=14)
    declared: dict[str, Annotated[float, Field(ge=0, le=1e13)]] = Field(
        default_factory=dict,
        description="declared indicator -> value (see GET /diagnosis-model)",
        json_schema_extra={"propertyNames": {"enum": _DECLARED}},
    )
    evidence: list[EvidenceDoc] = Field(default_factory=list, max_length=50)

    _codes = field_validator("declared")(_declared_codes)


class RecordedDesignationIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "fields": ["INFO-MES"],
                    "decided_on": "2023-06-30",
                    "total_score": 82.5,
                    "reason": "2023년 제2차 전문기업 지정위원회 심의 결과 지정",
                    "document_ref": "중소벤처기업부 공고 제2023-412호",
                }
            ]
        },
    )

    fields: list[SubFieldCode] = Field(min_length=1, max_length=14)
    decided_on: date = Field(description="the committee's decision date (Korean calendar day)")
    valid_from: date | None = Field(default=None, description="first day in force; default the decision day")
    valid_until: date | None = Field(
        default=None, description="first day no longer in force; default 3 years after valid_from"
    )
    total_score: float = Field(ge=0, le=100, description="the evaluation score the committee decided on")
    reason: str = Field(min_length=2, max_length=2000, description="the committee's reasons")
    document_ref: str = Field(
        min_length=2, max_length=300, description="the decision document (notice number, minutes)"
    )


class CompletenessIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"complete": True}, {"complete": False, "note": "재무제표 누락"}]},
    )

    complete: bool
    note: str | None = Field(
        default=None, min_length=2, max_length=2000, description="required when returning: what is missing"
    )


class AssignIn(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"evaluator_id": "user-eval-1"}]}
    )

    evaluator_id: str = Field(min_length=1, max_length=100)


class Judgement(InputModel):
    score: float = Field(ge=0, le=100)
    reason: str = Field(min_length=10, max_length=4000, description="the written reason (required)")


class EvaluationIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "judgements": {
                        "technology_judgement": {
                            "score": 80,
                            "reason": "MES 핵심 모듈을 자체 개발, 특허로 보호",
                        },
                        "organisation_judgement": {
                            "score": 70,
                            "reason": "사후관리 전담 인력 5명, 대응 체계 양호",
                        },
                        "finance_judgement": {"score": 60, "reason": "부채비율 150%, 3년 연속 흑자"},
                    }
                }
            ]
        },
    )

    judgements: dict[str, Judgement]


class DecisionIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "designated", "reason": "위원회 심의 결과 역량 기준 충족"},
                {"decision": "rejected", "reason": "역량진단 점수가 기준(70점)에 미달합니다"},
            ]
        },
    )

    decision: Literal["designated", "rejected"]
    reason: str = Field(min_length=2, max_length=2000, description="the committee's reasons")
    override_reason: str | None = Field(
        default=None,
        min_length=2,
        max_length=2000,
        description="required to designate below the 70-point threshold",
    )


class ActionIn(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "사후관리 지연 3건 (기한 초과 60일)"}]}
    )

    reason: str = Field(min_length=2, max_length=2000)


class AppealIn(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "지연 3건은 고객사 사정으로 일정 변경됨"}]}
    )

    note: str = Field(min_length=2, max_length=4000)


DesignationStatus = Literal[
    "submitted", "returned", "in_review", "evaluated", "designated", "rejected", "suspended", "revoked",
    "renewed", "expired",
]  # fmt: skip


class AssignmentOut(BaseModel):
    evaluator_id: str | None = Field(description="shown to admins only")
    assigned_at: datetime
    due_at: datetime
    submitted_at: datetime | None


class EventOut(BaseModel):
    action: str
    at: datetime
    reason: str | None


class IndicatorScore(BaseModel):
    code: str
    area: str
    source: Literal["platform", "declared", "evaluator"]
    name: LocalizedText
    unit: str
    value: float | None
    points: float | None = Field(description="0-100 by the indicator's scoring rule")
    weight: float
    contribution: float = Field(description="points x weight / counted weight: its share of the total")
    evidence: list[str]
    reasons: list[str] = Field(description="evaluators' written reasons")
    note: str | None


class Breakdown(BaseModel):
    model_version: str
    total: float
    counted_weight: float
    areas: dict[str, float]
    indicators: list[IndicatorScore]


class Scoring(BaseModel):
    rule: Literal["piecewise-linear"]
    points: list[tuple[float, float]] = Field(description="(value, points) breakpoints; flat outside them")


class IndicatorOut(BaseModel):
    code: str
    area: Literal["technology", "track_record", "organisation", "finance"]
    source: Literal["platform", "declared", "evaluator"]
    name: LocalizedText
    definition: LocalizedText
    unit: str
    scoring: Scoring
    weight: float


class DiagnosisModelOut(BaseModel):
    version: str
    current: bool
    areas: dict[str, LocalizedText]
    indicators: list[IndicatorOut]


class DesignationOut(BaseModel):
    id: str
    company_id: str
    fields: list[str]
    status: DesignationStatus
    model_version: str | None
    declared: dict[str, float]
    evidence: list[dict[str, Any]]
    platform: dict[str, Any] = Field(description="figures read from the other services at application")
    platform_read_at: datetime | None
    diagnosis: Breakdown | None
    total_score: float
    assignments: list[AssignmentOut]
    events: list[EventOut]
    renewal_of: str | None
    reason: str | None
    override_reason: str | None
    appeal_note: str | None
    document_ref: str | None = Field(description="decision document of a designation recorded from before")
    due_at: datetime | None
    decided_at: datetime | None
    valid_from: datetime | None
    valid_until: datetime | None
    ended_at: datetime | None
    created_at: datetime


class QueueItem(BaseModel):
    designation_id: str
    company_id: str
    status: DesignationStatus
    waiting_for: str
    evaluators_assigned: int
    evaluations_submitted: int
    due_at: datetime | None
    overdue: bool
    total_score: float
    created_at: datetime


class RegistryEntry(BaseModel):
    company_id: str
    name: LocalizedText
    region_code: str
    growth_stage: GrowthStage
    fields: list[str]
    designation_id: str
    valid_from: datetime | None
    valid_until: datetime | None
    renewal: bool


class EvaluatorIn(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "이평가", "expertise": ["INFO-MES"]}]}
    )

    name: str = Field(min_length=1, max_length=100)
    expertise: list[SubFieldCode] = Field(default_factory=list, max_length=14)


class EvaluatorOut(BaseModel):
    id: str
    name: str
    org_id: str | None
    expertise: list[str]
    conflicts: list[str] = Field(description="companies with a declared conflict of interest")


class ConflictIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"company_id": "org-vendor-3", "reason": "최근 3년 내 자문 계약"}]},
    )

    company_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=2, max_length=2000)


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
    verified_kpis: int = 0
    aftercare: dict[str, int] = Field(
        default_factory=dict, description="after-care tickets: open, late, resolved"
    )


CompanySort = Literal["name", "capability", "newest"]


class CompanyFacets(BaseModel):
    """Counts of the companies that each value would give (``/companies/facets``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 3000,
                    "kind": [{"key": "vendor", "count": 3000}, {"key": "sme", "count": 27000}],
                    "region": [{"key": "41", "count": 700}],
                    "industry": [{"key": "C29", "count": 90}],
                    "expertise": [{"key": "INFO-MES", "count": 850}],
                    "growth_stage": [{"key": "성장", "count": 1900}],
                    "designated": [{"key": "false", "count": 2600}, {"key": "true", "count": 400}],
                }
            ]
        }
    )

    total: int = Field(description="companies matching every filter")
    kind: list[FacetCount]
    region: list[FacetCount]
    industry: list[FacetCount]
    expertise: list[FacetCount] = Field(description="a company counts once under each of its sub-fields")
    growth_stage: list[FacetCount]
    designated: list[FacetCount] = Field(description="key `true`: a designation in force now")
