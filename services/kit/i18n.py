"""Korean/English text: the bilingual field type and the request's language preference."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request


class LocalizedText(BaseModel):
    """A user-facing text in Korean (required) and English (optional)."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"ko": "용접 불량 예측", "en": "Weld defect prediction"}}
    )

    ko: str = Field(min_length=1, max_length=4000)
    en: str | None = Field(default=None, max_length=4000)

    def pick(self, korean: bool) -> str:
        return self.ko if korean or not self.en else self.en


def prefers_korean(request: Request) -> bool:
    """True when the caller asked for Korean (``?lang=ko`` or an ``Accept-Language`` starting with ko)."""
    lang = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return lang.strip().lower().startswith("ko")
