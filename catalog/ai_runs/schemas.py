"""Bodies and answers of /api/v1/analytics/ai-runs and /ai-predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FACTORY = r"^[a-z0-9][a-z0-9-]{2,63}$"
EQUIPMENT = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


class ApplyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"case_id": "3f1c…", "factory_id": "factory-sme1", "equipment_id": "lathe-01"}]
        },
    )

    case_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    factory_id: str = Field(pattern=FACTORY, description="one of your factories")
    equipment_id: str = Field(pattern=EQUIPMENT, description="equipment of the case's equipment model")


class RunOut(BaseModel):
    run_id: str
    state: Literal["running", "succeeded", "failed"]
    kind: Literal["apply", "follow"]
    case_id: str
    model_sha256: str
    org_id: str
    factory_id: str
    equipment_id: str
    requested_at: datetime
    at: datetime = Field(description="when the run reached this state")
    windows: int | None = Field(default=None, description="windows scored")
    skipped: int | None = Field(default=None, description="windows left out as incomplete")
    readings_snapshot: int | None = Field(default=None, description="the readings snapshot scored up to")
    until: datetime | None = Field(default=None, description="the end of the last window considered")
    reason: str | None = Field(
        default=None,
        description="why it failed: cpu_time, memory, wall_time, model_error, bad_output, model_missing, "
        "conflict, platform_error",
    )
    detail: str | None = None


class RunsPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None


class Prediction(BaseModel):
    window_start: datetime
    window_end: datetime
    output: str
    value: float | None
    label: str | None
    model_sha256: str


class PredictionSeries(BaseModel):
    case_id: str
    factory_id: str
    equipment_id: str
    points: list[Prediction]
