"""Pydantic's validation messages through the message catalogue.

English callers get Pydantic's own message, exactly; Korean callers get the catalogue's Korean text of
the error type's template, filled from the error's context (``min_length``, ``gt``, ``expected`` ...).
Our own validators raise ``invalid(Msg(...))`` instead of ``ValueError``: the message travels in the
error's context and renders like any other. Error types not listed here (rare ones) stay in English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

from services.kit.messages import N_, Msg, Text, korean_of, with_particles

INVALID = "invalid"  # the error type of ``invalid``

# Pydantic error type -> the catalogue entry, its placeholders named as in the error's ``ctx``.
TEMPLATES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_too_short": N_("String should have at least {min_length} characters"),
    "string_too_long": N_("String should have at most {max_length} characters"),
    "too_short": N_(
        "{field_type} should have at least {min_length} items after validation, not {actual_length}"
    ),
    "too_long": N_(
        "{field_type} should have at most {max_length} items after validation, not {actual_length}"
    ),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "list_type": N_("Input should be a valid list"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, {error}"),
    "timezone_aware": N_("Input should have timezone info"),
    "uuid_parsing": N_("Input should be a valid UUID, {error}"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "url_parsing": N_("Input should be a valid URL, {error}"),
    "none_required": N_("Input should be None"),
    "json_invalid": N_("Invalid JSON: {error}"),
}


class PydanticMessage:
    """One Pydantic error: its own English message, or the catalogue's Korean text of its type."""

    __slots__ = ("context", "english", "template")

    def __init__(self, english: str, template: str | None, context: Mapping[str, Any]) -> None:
        self.english, self.template, self.context = english, template, context

    def render(self, korean: bool) -> str:
        if not korean or self.template is None:
            return self.english
        # "'a' or 'b'" lists the allowed values; Korean lists them with commas.
        values = {k: str(v).replace("' or '", "', '") for k, v in self.context.items()}
        return with_particles(korean_of(self.template).format(**values))

    def __str__(self) -> str:
        return self.english


def invalid(message: Msg) -> PydanticCustomError:
    """A validator's refusal, in the caller's language: ``raise invalid(Msg("must be ...", x=x))``."""
    return PydanticCustomError(INVALID, message.msgid, {**message.params, "message": message})


def message_of(error: Mapping[str, Any]) -> Text:
    context = error.get("ctx") or {}
    if error.get("type") == INVALID and isinstance(context.get("message"), Msg):
        message: Msg = context["message"]
        return message
    template = TEMPLATES.get(str(error.get("type")))
    return PydanticMessage(str(error.get("msg", "")), template, context)
