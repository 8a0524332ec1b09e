"""Response bodies of the ingest service."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class BatchReceipt(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "gw1-20251124-000123",
                    "factory_id": "factory-sme-1-a",
                    "accepted": 4998,
                    "rejected": 2,
                    "duplicate": False,
                }
            ]
        }
    )

    batch_id: str
    factory_id: str
    accepted: int
    rejected: int
    duplicate: bool
    deprecated_versions: list[str] = Field(
        default_factory=list,
        description="model@version named by the batch that are deprecated: accepted, but move on",
        examples=[["cnc-lathe@1.0.0"]],
    )


class BatchStatus(BatchReceipt):
    policy: str
    chunks: int
    received_at: datetime


class DeadLetter(BaseModel):
    factory_id: str
    batch_id: str
    row: int
    field: str
    reason: str
    raw: str | None
    rejected_at: datetime
