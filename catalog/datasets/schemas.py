"""Request and response bodies of /api/v1/datasets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.kit.fields import AwareIsoDateTime, RegionCode
from services.kit.i18n import LocalizedText
from services.kit.messages import Msg
from services.kit.validation_messages import invalid

Licence = Literal["CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0", "KOGL-1", "KOGL-2"]
LICENCES: dict[str, LocalizedText] = {
    "CC-BY-4.0": LocalizedText(ko="저작자표시 4.0 국제", en="Creative Commons Attribution 4.0"),
    "CC-BY-NC-4.0": LocalizedText(
        ko="저작자표시-비영리 4.0 국제", en="Creative Commons Attribution-NonCommercial 4.0"
    ),
    "CC-BY-SA-4.0": LocalizedText(
        ko="저작자표시-동일조건변경허락 4.0 국제", en="Creative Commons Attribution-ShareAlike 4.0"
    ),
    "KOGL-1": LocalizedText(ko="공공누리 제1유형 (출처표시)", en="Korea Open Government Licence type 1"),
    "KOGL-2": LocalizedText(
        ko="공공누리 제2유형 (출처표시, 상업적 이용금지)", en="Korea Open Government Licence type 2"
    ),
}
Metric = Literal["f1", "accuracy", "mae", "rmse"]
HIGHER_IS_BETTER: dict[str, bool] = {"f1": True, "accuracy": True, "mae": False, "rmse": False}
DatasetFile = Literal["readings", "labels"]

FactoryId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
EquipmentId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
MAX_DAYS = 366


class SelectionIn(BaseModel):
    """What a version holds: readings of one equipment model's items, of some factories, in a time range."""

    model_config = ConfigDict(extra="forbid")

    model_id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{2,63}$")] = Field(
        examples=["cnc-lathe"]
    )
    model_version: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(examples=["1.0.0"])
    factory_ids: list[FactoryId] = Field(min_length=1, max_length=50, examples=[["factory-sme-1-a"]])
    equipment_ids: list[EquipmentId] | None = Field(
        default=None, max_length=500, description="only these equipment (of any of the factories); none = all"
    )
    item_ids: list[ItemId] = Field(min_length=1, max_length=50, examples=[["spindle_speed"]])
    start: AwareIsoDateTime = Field(description="inclusive", examples=["2025-11-01T00:00:00+09:00"])
    end: AwareIsoDateTime = Field(description="exclusive", examples=["2025-11-08T00:00:00+09:00"])
    time_shift_days: int = Field(
        default=0, ge=-3650, le=3650, description="every time moved by these whole days (de-identification)"
    )
    label_definition: LocalizedText | None = Field(
        default=None, description="what a label means; required with a labels file"
    )

    @model_validator(mode="after")
    def _range(self) -> SelectionIn:
        if self.end <= self.start:
            raise invalid(Msg("`end` must be after `start`"))
        if (self.end - self.start).days > MAX_DAYS:
            raise invalid(Msg("at most {max_days} days from `start` to `end`", max_days=MAX_DAYS))
        return self


class DatasetIn(SelectionIn):
    title: LocalizedText
    intended_use: LocalizedText
    licence: Licence
    region_codes: list[RegionCode] | None = Field(
        default=None,
        min_length=1,
        max_length=17,
        description="a regional AI centre publishing for its regions (agency staff covering all of them)",
    )


class ItemOut(BaseModel):
    id: str
    name: dict[str, str | None]
    unit: str | None


class Publisher(BaseModel):
    kind: Literal["organisation", "centre"]
    name: str
    org_id: str | None
    region_codes: list[str] | None


class DataCard(BaseModel):
    """What a dataset version is, in Korean and English: enough to judge it without downloading it."""

    model_id: str
    model_version: str
    items: list[ItemOut]
    period_start: datetime
    period_end: datetime
    time_shifted: bool
    rows: int
    factories: int
    equipment: int
    label_definition: LocalizedText | None
    label_rows: int | None
    licence: str
    licence_name: LocalizedText
    intended_use: LocalizedText
    publisher: Publisher
    content_hash: str = Field(description="SHA-256 of readings.parquet followed by labels.parquet")


class FileOut(BaseModel):
    name: DatasetFile
    bytes: int
    href: str


class VersionOut(BaseModel):
    version: int
    published_at: datetime
    card: DataCard
    files: list[FileOut]
    source: dict[str, object] | None = Field(
        default=None, description="the factories and range read from the lake: the publisher only"
    )


class DatasetOut(BaseModel):
    id: str
    title: LocalizedText
    licence: str
    publisher: Publisher
    created_at: datetime
    latest: VersionOut
    versions: list[VersionOut]
    licence_accepted: bool = Field(description="the caller accepted the licence (downloads allowed)")


class DatasetSummary(BaseModel):
    id: str
    title: LocalizedText
    licence: str
    publisher: Publisher
    created_at: datetime
    version: int
    model_id: str
    model_version: str
    rows: int
    period_start: datetime
    period_end: datetime
    labelled: bool


class Acceptance(BaseModel):
    dataset_id: str
    licence: str
    accepted_at: datetime


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    metric: Metric
    value: float = Field(ge=0, le=1e12, description="the figure the case states (F1 and accuracy in 0..1)")

    @model_validator(mode="after")
    def _share(self) -> ClaimIn:
        if HIGHER_IS_BETTER[self.metric] and self.value > 1:
            raise invalid(Msg("{metric} is a share between 0 and 1", metric=self.metric))
        return self


class ClaimOut(BaseModel):
    id: str
    case_id: str
    dataset_id: str
    version: int
    metric: Metric
    claimed: float
    status: Literal["pending", "measured", "failed"]
    measured: float | None
    reason: str | None
    model_sha256: str | None = Field(description="the model that was run")
    dataset_sha256: str | None = Field(description="the dataset snapshot it was run on")
    created_at: datetime
    measured_at: datetime | None


class Leaderboard(BaseModel):
    dataset_id: str
    version: int
    metric: Metric
    higher_is_better: bool
    items: list[ClaimOut] = Field(description="measured claims, best first")
