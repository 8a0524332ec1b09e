"""Request and response bodies of the use-cases service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from services.kit.bodies import InputModel, PatchModel
from services.kit.facets import FacetCount
from services.kit.fields import IndustryCode, RegionCode, Slug
from services.kit.i18n import LocalizedText
from services.usecases.taxonomy import ProblemType, Technique

CaseStatus = Literal["draft", "published"]

_EXAMPLE: dict[str, Any] = {
    "title": {"ko": "대성정밀 용접 불량 예측 AI", "en": "Weld defect prediction at Daesung Precision"},
    "summary": {
        "ko": "용접기 전류·전압 데이터로 불량을 사전에 예측해 불량률을 낮췄습니다.",
        "en": "Current and voltage of the spot welders predict defects before inspection.",
    },
    "problem_type": "quality_inspection",
    "technique": "anomaly_detection",
    "equipment_model_refs": [{"model_id": "spot-welder", "version": "1.0.0"}],
    "data_used": [
        {"ko": "용접 전류", "en": "Welding current"},
        {"ko": "용접 전압", "en": "Welding voltage"},
        {"ko": "MES 작업 실적", "en": "MES production records"},
    ],
    "effects": [
        {"metric": {"ko": "용접 불량률", "en": "Weld defect rate"}, "unit": "%", "before": 3.1, "after": 1.2},
        {
            "metric": {"ko": "납기 준수율", "en": "On-time delivery"},
            "unit": "%",
            "before": 88,
            "after": 96,
            "higher_is_better": True,
        },
    ],
    "region_code": "48",
    "industry_code": "C29",
    "supplier_company_id": "org-vendor-3",
}


# A record id as the deployments service makes them (uuid hex): it goes into that service's path as is.
RecordId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", examples=["4f3c2a1b9d8e4f60a1b2c3d4e5f60718"])
]


def _plain_as_korean(value: object) -> object:
    """A plain string (what clients sent before the names were bilingual) is the Korean name; English
    readers then see it as written, as for any text without a translation."""
    return {"ko": value} if isinstance(value, str) else value


# A data source of a case, named in Korean and English like titles (migration 0006 converted stored names).
DataUsed = Annotated[
    LocalizedText,
    BeforeValidator(
        _plain_as_korean,
        json_schema_input_type=LocalizedText | Annotated[str, Field(min_length=1, max_length=4000)],
    ),
]
DATA_USED_DESCRIPTION = 'names of the data used, {"ko", "en"} each; a plain string is read as the Korean name'


class ModelRef(InputModel):
    model_id: Slug = Field(examples=["spot-welder"])
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", examples=["1.0.0"])


class EffectIn(InputModel):
    metric: LocalizedText
    unit: str = Field(min_length=1, max_length=16)
    before: float = Field(ge=0)
    after: float = Field(ge=0)
    higher_is_better: bool = Field(default=False, description="true for yields and rates that should rise")


class EffectOut(EffectIn):
    improvement_pct: float | None = Field(description="improvement in % of `before`, positive = better")


class UseCaseIn(InputModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [_EXAMPLE]})

    owner_org_id: Slug | None = Field(default=None, description="defaults to the caller's organisation")
    title: LocalizedText
    summary: LocalizedText
    problem_type: ProblemType
    technique: Technique
    equipment_model_refs: list[ModelRef] = Field(default_factory=list, max_length=20)
    data_used: list[DataUsed] = Field(default_factory=list, max_length=30, description=DATA_USED_DESCRIPTION)
    effects: list[EffectIn] = Field(min_length=1, max_length=10)
    region_code: RegionCode
    industry_code: IndustryCode
    supplier_company_id: Slug | None = None
    deployment_id: RecordId | None = Field(
        default=None, description="the deployment record (구축정보) the case grew out of"
    )


class UseCasePatch(PatchModel):
    """Fields to change; the merged case is validated as a whole. Published cases stay published."""

    clearable = frozenset({"supplier_company_id", "deployment_id"})

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "technique": "gradient_boosting",
                    "data_used": [{"ko": "용접 전류", "en": "Welding current"}],
                }
            ]
        },
    )

    title: LocalizedText | None = None
    summary: LocalizedText | None = None
    problem_type: ProblemType | None = None
    technique: Technique | None = None
    equipment_model_refs: list[ModelRef] | None = Field(default=None, max_length=20)
    data_used: list[DataUsed] | None = Field(default=None, max_length=30, description=DATA_USED_DESCRIPTION)
    effects: list[EffectIn] | None = Field(default=None, min_length=1, max_length=10)
    region_code: RegionCode | None = None
    industry_code: IndustryCode | None = None
    supplier_company_id: Slug | None = None
    deployment_id: RecordId | None = None


class UseCaseOut(BaseModel):
    id: str
    owner_org_id: str
    status: CaseStatus
    title: LocalizedText
    summary: LocalizedText
    problem_type: ProblemType
    technique: Technique
    equipment_model_refs: list[ModelRef] = Field(
        validation_alias=AliasChoices("equipment_model_refs", "model_refs")
    )
    data_used: list[DataUsed]
    effects: list[EffectOut]
    region_code: str
    industry_code: str
    supplier_company_id: str | None
    deployment_id: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int = Field(description="the ETag; send it back in If-Match to change the case")


class RegionCount(BaseModel):
    code: str
    ko: str
    en: str
    count: int


class RegionCounts(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"code": "11", "ko": "서울특별시", "en": "Seoul", "count": 3}]}]
        }
    )

    items: list[RegionCount]


class TermCount(BaseModel):
    code: str
    ko: str
    en: str
    count: int


class Taxonomy(BaseModel):
    problem_types: list[TermCount]
    techniques: list[TermCount]


class SearchHit(BaseModel):
    case: UseCaseOut
    score: float = Field(description="relevance; higher first")
    matched: list[str] = Field(description="the query terms found in the case")


class SearchResults(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None = None


UseCaseSort = Literal["relevance", "newest", "effect", "title"]


class UseCaseFacets(BaseModel):
    """Counts of the visible use cases that each value would give (``/usecases/facets``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 420,
                    "region": [{"key": "48", "count": 420}, {"key": "11", "count": 95}],
                    "industry": [{"key": "C29", "count": 120}],
                    "problem_type": [{"key": "quality_inspection", "count": 160}],
                    "technique": [{"key": "anomaly_detection", "count": 88}],
                    "supplier": [{"key": "org-vendor-3", "count": 31}],
                }
            ]
        }
    )

    total: int = Field(description="visible cases matching every filter (published, and the caller's drafts)")
    region: list[FacetCount]
    industry: list[FacetCount]
    problem_type: list[FacetCount]
    technique: list[FacetCount]
    supplier: list[FacetCount] = Field(description="supplier company ids, the 100 largest")
