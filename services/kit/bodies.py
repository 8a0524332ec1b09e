"""Base classes of request bodies: strict inputs, and partial updates that refuse a meaningless null."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from types import UnionType
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    NaiveDatetime,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from starlette.requests import Request

from services.kit.errors import PayloadTooLarge, ValidationFailed, fields_of
from services.kit.fields import not_a_number
from services.kit.messages import Msg
from services.kit.validation_messages import invalid

Full = TypeVar("Full", bound=BaseModel)

# Validation context of data the platform stored itself, validated into an output: the checks of a client's
# JSON below are skipped (a list page validates thousands of stored values through models shared with the
# request bodies).
_STORED_KEY = "smartmfg.stored"
STORED: dict[str, bool] = {_STORED_KEY: True}


class InputModel(BaseModel):
    """A request body: unknown fields and NaN/Infinity are errors, not silently dropped; a value of another
    JSON type than the document names is refused, not converted (pydantic's lax mode reads ``false`` as 0,
    ``0`` as false or as 1970-01-01)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _of_the_documented_type(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or info.field_name is None or (info.context or {}).get(_STORED_KEY):
            return value
        kinds = _field_kinds(cls, info.field_name)
        if kinds & {date, datetime} and not kinds & {str}:
            return not_a_number(value)
        if isinstance(value, bool) and kinds & {int, float} and bool not in kinds:
            raise invalid(Msg("must be a number, not true or false"))
        if kinds == {bool} and not isinstance(value, bool):
            raise invalid(Msg("must be true or false"))
        return value


@cache
def _field_kinds(model: type[BaseModel], name: str) -> frozenset[Any]:
    """``_scalar_kinds`` of a model's field, worked out once: the validator runs for every value of every
    body and of every output built from input models (a list page: thousands)."""
    return frozenset(_scalar_kinds(model.model_fields[name].annotation))


def _scalar_kinds(annotation: Any) -> set[Any]:
    """The scalar types a field's annotation admits (``int | None`` → {int}); empty for anything else."""
    if get_origin(annotation) is Annotated:
        return _scalar_kinds(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return {kind for arg in get_args(annotation) for kind in _scalar_kinds(arg)}
    if annotation in (AwareDatetime, NaiveDatetime):
        return {datetime}
    return {annotation} if annotation in (int, float, bool, str, date, datetime) else set()


class PatchModel(InputModel):
    """A partial update: a field left out keeps its value; ``null`` clears it only where ``clearable`` allows.

    Every field of a patch is optional so that it can be left out, which would let an explicit ``null`` reach
    columns and texts that must always hold a value.
    """

    clearable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The document says what the validator below does: ``null`` only for the clearable fields."""
        schema = handler(core)
        for name, field in handler.resolve_ref_schema(schema).get("properties", {}).items():
            if name in cls.clearable or "anyOf" not in field:
                continue
            kept = [branch for branch in field["anyOf"] if branch != {"type": "null"}]
            del field["anyOf"]
            field.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
            if field.get("default", ...) is None:
                del field["default"]
        return schema

    @field_validator("*", mode="after")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise invalid(Msg("may not be null; leave the field out to keep its value"))
        return value


def merged(full: type[Full], current: dict[str, Any], patch: PatchModel, what: str) -> Full:
    """The stored record with the patch applied, validated as a whole as if it were created anew."""
    try:
        return full.model_validate(current | patch.model_dump(exclude_unset=True, mode="json"))
    except ValidationError as exc:
        raise ValidationFailed(
            Msg("the changed {what} is invalid", what=what), fields=fields_of(exc.errors(), prefix=("body",))
        ) from exc


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw request body, refused with 413 as soon as it passes ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            Msg("body of {declared} bytes exceeds the limit of {limit} bytes", declared=declared, limit=limit)
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(Msg("body exceeds the limit of {limit} bytes", limit=limit))
        chunks.append(chunk)
    return b"".join(chunks)
