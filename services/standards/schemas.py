"""Request and response bodies of the standards service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.kit.bodies import InputModel, PatchModel
from services.kit.i18n import LocalizedText
from services.kit.units import UnitError, canonical_symbol

Category = Literal["SAMPLE", "EVENT", "CONDITION"]
DataType = Literal["float", "int", "bool", "string"]
Status = Literal["draft", "published", "deprecated"]
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"

_ITEM_EXAMPLE: dict[str, Any] = {
    "id": "spindle_speed",
    "name": {"ko": "주축 회전수", "en": "Spindle speed"},
    "category": "SAMPLE",
    "data_type": "float",
    "unit": "rpm",
    "min": 0,
    "max": 6000,
    "semantic_id": "0173-1#02-BAA120#008",
    "mappings": {"mtconnect_type": "ROTARY_VELOCITY", "opcua_browse_name": "SpindleSpeed"},
}


class Mappings(InputModel):
    opcua_node_id: str | None = Field(default=None, max_length=200)
    opcua_browse_name: str | None = Field(default=None, max_length=200)
    mtconnect_type: str | None = Field(default=None, max_length=100)
    mtconnect_sub_type: str | None = Field(default=None, max_length=100)


class DataItem(InputModel):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [_ITEM_EXAMPLE]}
    )

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    name: LocalizedText
    category: Category
    data_type: DataType
    unit: str | None = Field(default=None, description="canonical unit symbol, e.g. °C, mm/s, bar, rpm")
    min: float | None = None
    max: float | None = None
    semantic_id: str | None = Field(default=None, max_length=200, examples=["0173-1#02-AAB713#005"])
    mappings: Mappings | None = None
    allowed_values: list[str] | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        if unit is None:
            return None
        try:
            symbol = canonical_symbol(unit)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        if symbol != unit:
            raise ValueError(f"use the canonical symbol '{symbol}'")
        return unit

    @model_validator(mode="after")
    def _coherent(self) -> DataItem:
        numeric = self.data_type in ("float", "int")
        if numeric and self.category == "SAMPLE" and self.unit is None:
            raise ValueError("a numeric SAMPLE needs a unit")
        if not numeric and (self.min is not None or self.max is not None):
            raise ValueError("min/max apply to numeric items only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        if self.allowed_values is not None and self.data_type != "string":
            raise ValueError("allowed_values apply to string items only")
        return self


def _unique_ids(items: list[DataItem] | None) -> list[DataItem] | None:
    if items is None:
        return None
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"data item id '{item.id}' appears twice")
        seen.add(item.id)
    return items


class ModelCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "id": "cnc-lathe",
                    "equipment_type": "CNC_LATHE",
                    "name": {"ko": "CNC 선반", "en": "CNC lathe"},
                    "version": "1.0.0",
                    "items": [_ITEM_EXAMPLE],
                }
            ]
        },
    )

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{2,63}$")
    owner_org_id: str | None = Field(default=None, max_length=64)
    equipment_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    name: LocalizedText
    description: LocalizedText | None = None
    version: str = Field(default="0.1.0", pattern=SEMVER)
    items: list[DataItem] = Field(min_length=1, max_length=500)
    changelog: str | None = Field(default=None, max_length=4000)

    _unique = field_validator("items")(_unique_ids)


class ModelPatch(PatchModel):
    clearable = frozenset({"description"})

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"description": {"ko": "범용 CNC 선반", "en": "General-purpose CNC lathe"}}]
        },
    )

    equipment_type: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    name: LocalizedText | None = None
    description: LocalizedText | None = None


class VersionCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "version": "1.1.0",
                    "base_version": "1.0.0",
                    "changelog": "절삭유 유량 추가 / coolant flow added",
                }
            ]
        },
    )

    version: str = Field(pattern=SEMVER)
    base_version: str | None = Field(
        default=None, pattern=SEMVER, description="copy the items of this version"
    )
    items: list[DataItem] | None = Field(default=None, min_length=1, max_length=500)
    changelog: str | None = Field(default=None, max_length=4000)

    _unique = field_validator("items")(_unique_ids)


class VersionPatch(PatchModel):
    clearable = frozenset({"changelog"})

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"items": [_ITEM_EXAMPLE], "changelog": "범위 수정"}]},
    )

    items: list[DataItem] | None = Field(default=None, min_length=1, max_length=500)
    changelog: str | None = Field(default=None, max_length=4000)

    _unique = field_validator("items")(_unique_ids)


class VersionSummary(BaseModel):
    version: str
    status: Status
    published_at: datetime | None


class ModelOut(BaseModel):
    id: str
    owner_org_id: str
    equipment_type: str
    name: LocalizedText
    description: LocalizedText | None
    versions: list[VersionSummary]
    latest_published_version: str | None
    created_at: datetime


class VersionOut(BaseModel):
    model_id: str
    version: str
    status: Status
    equipment_type: str
    name: LocalizedText
    items: list[DataItem]
    changelog: str | None
    published_at: datetime | None


class Reading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(max_length=64)
    value: Any = None
    unit: str | None = Field(default=None, max_length=16)
    timestamp: datetime | None = None


class ValidateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "readings": [
                        {"item_id": "coolant_temp", "value": 98.6, "unit": "°F"},
                        {"item_id": "spindle_speed", "value": 9000},
                        {"item_id": "execution", "value": "RUNNING"},
                    ]
                }
            ]
        },
    )

    readings: list[Reading] = Field(min_length=1, max_length=10000)


class Violation(BaseModel):
    index: int
    item_id: str
    field: Literal["item_id", "value", "unit", "timestamp"]
    reason: str


class NormalizedReading(BaseModel):
    item_id: str
    value: float | int | bool | str
    unit: str | None


class ValidateResult(BaseModel):
    valid: bool
    violations: list[Violation]
    normalized: list[NormalizedReading]
