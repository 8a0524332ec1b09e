"""What the model endpoints of a case answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.usecases.runnable.signature import Signature


class CaseModelOut(BaseModel):
    case_id: str
    sha256: str = Field(description="SHA-256 of the ONNX file: runs and predictions are keyed by it")
    size_bytes: int
    signature: Signature
    uploaded_at: datetime
