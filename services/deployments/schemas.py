"""Request and response bodies of the deployments service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.kit.bodies import InputModel, PatchModel
from services.kit.facets import FacetCount
from services.kit.fields import IndustryCode, RegionCode, Slug, SubFieldCode
from services.kit.i18n import LocalizedText
from services.kit.kpi_vocabulary import TelemetryKpi
from services.kit.pagination import Page
from services.kit.reference import KpiKind, ProjectProcess, SystemLevel

# Project dates of the programmes' era: derived dates (plans, after-care ends) stay far from date.max.
ProjectDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
KpiSource = Literal["self_reported", "telemetry", "verified"]
RecordStatus = Literal["draft", "submitted", "confirmed", "verified", "published"]
StageStatus = Literal["planned", "in_progress", "done", "approved"]
Side = Literal["sme", "vendor"]
Severity = Literal["critical", "major", "minor"]
# The KPIs the analytics service measures from telemetry (ISO 22400 names; services.kit.kpi_vocabulary).
AnalyticsKpi = TelemetryKpi

_EXAMPLE: dict[str, Any] = {
    "title": {"ko": "대성정밀 생산관리 시스템 구축", "en": "Daesung Precision MES deployment"},
    "sme_company_id": "org-sme-1",
    "sme_name": "대성정밀(주)",
    "factory": {
        "factory_id": "factory-sme-1-a",
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
    "programme_code": "ADVANCED1",
    "contract": {"number": "2025-SF-0142", "signed_on": "2025-01-01"},
    "support_amount_krw": 150000000,
    "company_share_krw": 150000000,
    "kpis": [
        {"kind": "productivity", "baseline": 100, "after": 128, "unit": "ea/h", "source": "self_reported"},
    ],
}


class FactorySite(InputModel):
    factory_id: Slug | None = Field(
        default=None,
        description="a factory of the SME registered in the companies service; left out by a supplier that "
        "cannot see the SME's factories: the site is then as the supplier knows it, and the SME names its "
        "factory when it confirms the record",
    )
    name: str = Field(min_length=1, max_length=200)
    region_code: RegionCode
    address: str | None = Field(default=None, max_length=500, description="private")
    industry_code: IndustryCode


class SolutionIn(InputModel):
    subfield_code: SubFieldCode
    name: LocalizedText
    supplier_company_id: Slug | None = None


class Contract(InputModel):
    """Private: visible to the parties, the agency and admins (others through the SME's consent)."""

    number: str = Field(min_length=1, max_length=64)
    signed_on: ProjectDate = Field(
        description="decides the process: the lead supplier's designation on this day"
    )


class StageIn(InputModel):
    code: str = Field(max_length=16, examples=["BUILD"])
    planned_start: ProjectDate
    planned_end: ProjectDate
    actual_start: ProjectDate | None = None
    actual_end: ProjectDate | None = None


class KpiIn(InputModel):
    kind: KpiKind
    baseline: float = Field(ge=0)
    after: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=16)
    source: KpiSource = Field(
        default="self_reported",
        description="only self_reported here: telemetry comes from POST .../measure, verified from an agency",
    )
    telemetry_ref: str | None = Field(default=None, max_length=200)


class DeploymentIn(InputModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [_EXAMPLE]})

    owner_org_id: Slug | None = Field(default=None, description="defaults to the caller's organisation")
    title: LocalizedText
    sme_company_id: Slug
    sme_name: str = Field(min_length=1, max_length=200)
    factory: FactorySite
    supplier_company_ids: list[Slug] = Field(
        min_length=1, max_length=20, description="registered vendors; the first is the lead supplier"
    )
    solutions: list[SolutionIn] = Field(min_length=1, max_length=30)
    level_before: SystemLevel
    level_after: SystemLevel
    programme_code: str = Field(max_length=16, description="a support programme (GET .../programmes)")
    contract: Contract
    stages: list[StageIn] | None = Field(
        default=None,
        min_length=8,
        max_length=12,
        description="the stages of the record's process in order; left out = planned from the contract date",
    )
    support_amount_krw: int = Field(ge=0, le=10**12, description="government support (private)")
    company_share_krw: int = Field(default=0, ge=0, le=10**12, description="the SME's own share (private)")
    kpis: list[KpiIn] = Field(default_factory=list, max_length=10)


class DeploymentPatch(PatchModel):
    """Fields to change; the merged record is validated as a whole."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"level_after": "중간2", "support_amount_krw": 90000000}]},
    )

    title: LocalizedText | None = None
    sme_name: str | None = Field(default=None, min_length=1, max_length=200)
    factory: FactorySite | None = None
    supplier_company_ids: list[Slug] | None = Field(default=None, min_length=1, max_length=20)
    solutions: list[SolutionIn] | None = Field(default=None, min_length=1, max_length=30)
    level_before: SystemLevel | None = None
    level_after: SystemLevel | None = None
    programme_code: str | None = Field(default=None, max_length=16)
    contract: Contract | None = None
    stages: list[StageIn] | None = Field(default=None, min_length=8, max_length=12)
    support_amount_krw: int | None = Field(default=None, ge=0, le=10**12)
    company_share_krw: int | None = Field(default=None, ge=0, le=10**12)
    kpis: list[KpiIn] | None = Field(default=None, max_length=10)


class KpiPut(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"baseline": 4.2, "after": 1.7, "unit": "%"}]},
    )

    baseline: float = Field(ge=0)
    after: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=16)
    source: KpiSource = "self_reported"
    telemetry_ref: str | None = Field(default=None, max_length=200)


class TransitionIn(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "설비 대수가 계약서와 다릅니다"}]}
    )

    comment: str | None = Field(default=None, max_length=2000, description="required to send a record back")


class ConfirmIn(TransitionIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"factory_id": "factory-sme-1-a"}]}
    )

    factory_id: Slug | None = Field(
        default=None,
        description="the SME's own registered factory, named when it confirms a record that names none "
        "(required then; refused on a record that names one)",
    )


class Period(InputModel):
    start: AwareDatetime
    end: AwareDatetime


class KpiMeasureIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "baseline": {"start": "2025-09-01T00:00:00+09:00", "end": "2025-10-01T00:00:00+09:00"},
                    "after": {"start": "2025-11-01T00:00:00+09:00", "end": "2025-12-01T00:00:00+09:00"},
                    "metric": "defect_rate",
                }
            ]
        },
    )

    baseline: Period = Field(description="before the project")
    after: Period = Field(description="after go-live")
    metric: AnalyticsKpi | None = Field(default=None, description="defaults to the KPI's usual measure")


class Measurement(BaseModel):
    before: float | None
    after: float | None
    snapshot_id: int
    rows_used: int
    readings_used: int


class KpiEvidence(Measurement):
    metric: AnalyticsKpi
    unit: str
    factory_id: str
    baseline_period: Period
    after_period: Period
    query: str
    measured_at: datetime
    measured_by: str


class RerunOut(BaseModel):
    matches: bool = Field(description="the re-run on the stored snapshot gave the stored figures")
    stored: Measurement
    rerun: Measurement


class StageOut(StageIn):
    name: LocalizedText
    status: StageStatus
    approved_by: str | None
    approved_at: datetime | None
    planned_days: int
    actual_days: int | None
    document_ids: list[str]


class KpiOut(BaseModel):
    kind: KpiKind
    baseline: float
    after: float
    unit: str
    source: KpiSource
    telemetry_ref: str | None
    improvement_pct: float | None = Field(description="improvement in % of the baseline, positive = better")
    evidence: KpiEvidence | None
    verified_by: str | None


class DocumentOut(BaseModel):
    id: str
    stage_code: str | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploader_org_id: str | None = None
    uploaded_at: datetime


class ProgrammeRef(BaseModel):
    code: str
    name: LocalizedText


class TicketCounts(BaseModel):
    open: int = Field(description="not resolved yet")
    late: int = Field(description="answered after the service level, or unanswered past it")
    resolved: int


class SiteOut(BaseModel):
    factory_id: str | None
    name: str
    region_code: str
    address: str | None = Field(description="private")
    industry_code: str


class DeploymentOut(BaseModel):
    id: str
    owner_org_id: str
    status: RecordStatus
    revision: int
    version: int = Field(description="the ETag; send it back in If-Match")
    drafted_by: Side
    return_comment: str | None
    title: LocalizedText
    sme_company_id: str
    sme_name: str
    factory: SiteOut
    supplier_company_ids: list[str]
    solutions: list[SolutionIn]
    level_before: SystemLevel
    level_after: SystemLevel
    programme: ProgrammeRef | None
    process: ProjectProcess
    supplier_designated: bool = Field(description="the lead supplier was designated on the contract date")
    stages: list[StageOut]
    planned_months: float
    actual_months: float | None
    target_months: int
    meets_target: bool | None = Field(description="finished within the process's target (None while running)")
    go_live: date | None = Field(description="end of the completion inspection")
    after_service_months: int = Field(description="after-care duty from go-live (programme, designation)")
    after_service_end: date | None
    aftercare: TicketCounts
    private_visible: bool = Field(description="whether the private fields below are shown to the caller")
    support_amount_krw: int | None
    company_share_krw: int | None
    contract: Contract | None
    documents: list[DocumentOut] | None
    year: int
    kpis: list[KpiOut]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class WorkspacePage(Page[DeploymentOut]):
    """The caller's workspace, with the review deadline this service holds regional agencies to."""

    review_within_days: int = Field(
        description="a confirmed record is due for verification this many days after its last change "
        "(setting SMARTMFG_DEPLOYMENTS_REVIEW_WITHIN_DAYS)"
    )


class HistoryOut(BaseModel):
    id: int
    revision: int
    action: str
    status: RecordStatus
    actor_org_id: str | None
    actor_username: str | None
    at: datetime
    comment: str | None
    changed: list[str]


class TicketIn(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "MES 작업지시 화면 멈춤",
                    "description": "2라인 작업지시 화면이 오전 9시부터 응답하지 않습니다.",
                    "severity": "critical",
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=4000)
    severity: Severity


class TicketAnswerIn(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"answer": "서버 재기동 후 정상화, 원인 분석 중"}]}
    )

    answer: str = Field(min_length=1, max_length=4000)


class TicketOut(BaseModel):
    id: str
    record_id: str
    supplier_company_id: str
    title: str
    description: str
    severity: Severity
    opened_at: datetime
    due_at: datetime
    answer: str | None
    answered_at: datetime | None
    resolved_at: datetime | None
    late: bool


class ProgrammeOut(BaseModel):
    code: str
    name: LocalizedText
    cap_krw: int = Field(description="most government support per record")
    government_share_pct: int = Field(description="most the government pays of the project cost")
    company_share_pct: int = Field(description="least the SME pays of the project cost")
    subfields: list[str]
    required_stages: list[str] = Field(description="done, with evidence, before an agency verifies")
    after_care_months: int
    after_care_months_designated: int


class StageName(BaseModel):
    code: str
    name: LocalizedText


class ProcessOut(BaseModel):
    code: ProjectProcess
    target_months: int
    stages: list[StageName]


class Label(BaseModel):
    ko: str
    en: str


class AggregateGroup(BaseModel):
    key: str
    label: Label | None
    count: int
    median_kpi_improvement_pct: dict[str, float]
    support_amount_krw_sum: int | None = Field(description="None when fewer records than min_group_size")
    support_amount_krw_median: float | None


class Aggregates(BaseModel):
    by: str
    total: int
    min_group_size: int
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
                    "verified_kpis": 2,
                    "aftercare": {"open": 1, "late": 2, "resolved": 14},
                }
            ]
        }
    )

    company_id: str
    deployment_count: int = Field(description="published records only")
    regions: list[CodeCount]
    subfields: list[CodeCount]
    median_kpi_improvement_pct: dict[str, float]
    telemetry_backed_kpis: int = Field(description="KPIs measured from telemetry, with stored evidence")
    verified_kpis: int
    aftercare: TicketCounts = Field(description="after-care tickets of all its records, published or not")


DeploymentSort = Literal["newest", "effect"]


FacetName = Literal["region", "industry", "subfield", "level", "supplier", "evidence", "year"]


class DeploymentFacets(BaseModel):
    """Counts of the published records that each value would give (``/deployments/facets``); a facet left
    out by the request's ``only`` is an empty list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 1250,
                    "region": [{"key": "48", "count": 1250}, {"key": "26", "count": 410}],
                    "industry": [{"key": "C29", "count": 380}],
                    "subfield": [{"key": "INFO-MES", "count": 640}],
                    "level": [{"key": "기초>중간1", "count": 700}],
                    "supplier": [{"key": "org-vendor-3", "count": 52}],
                    "evidence": [{"key": "self_reported", "count": 1100}, {"key": "telemetry", "count": 90}],
                    "year": [{"key": "2025", "count": 600}],
                }
            ]
        }
    )

    total: int = Field(description="published records matching every filter")
    region: list[FacetCount]
    industry: list[FacetCount]
    subfield: list[FacetCount] = Field(description="a record counts once under each of its sub-fields")
    level: list[FacetCount] = Field(description="key: `level_before>level_after`")
    supplier: list[FacetCount] = Field(description="supplier company ids, the 100 largest")
    evidence: list[FacetCount] = Field(description="records with at least one KPI of that source")
    year: list[FacetCount]
