"""Base classes of request bodies: strict inputs, and partial updates that refuse a meaningless null."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from starlette.requests import Request

from services.kit.errors import PayloadTooLarge, ValidationFailed, fields_of

Full = TypeVar("Full", bound=BaseModel)


class InputModel(BaseModel):
    """A request body: unknown fields and NaN/Infinity are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PatchModel(InputModel):
    """A partial update: a field left out keeps its value; ``null`` clears it only where ``clearable`` allows.

    Every field of a patch is optional so that it can be left out, which would let an explicit ``null`` reach
    columns and texts that must always hold a value.
    """

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


def merged(full: type[Full], current: dict[str, Any], patch: PatchModel, what: str) -> Full:
    """The stored record with the patch applied, validated as a whole as if it were created anew."""
    try:
        return full.model_validate(current | patch.model_dump(exclude_unset=True, mode="json"))
    except ValidationError as exc:
        raise ValidationFailed(
            f"the changed {what} is invalid", fields=fields_of(exc.errors(), prefix=("body",))
        ) from exc


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw request body, refused with 413 as soon as it passes ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"body of {declared} bytes exceeds the limit of {limit} bytes",
            detail_ko=f"본문이 한도({limit} bytes)를 넘습니다",
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"body exceeds the limit of {limit} bytes", detail_ko=f"본문이 한도({limit} bytes)를 넘습니다"
            )
        chunks.append(chunk)
    return b"".join(chunks)
