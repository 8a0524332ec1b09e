"""Annotated field types for reference codes, checked against services.kit.reference."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from services.kit import reference as ref
from services.kit.messages import Msg
from services.kit.validation_messages import invalid


def _member_of(table: dict[str, object], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in table:
            raise invalid(
                Msg(
                    "unknown {what} '{value}'; one of: {table}",
                    what=what,
                    value=value,
                    table=", ".join(table),
                )
            )
        return value

    return AfterValidator(check)


# The codes are listed as the schema's enum (clients and generators see every valid value) while the
# validator keeps its own message naming them.
RegionCode = Annotated[
    str,
    Field(examples=["48"], description="시·도 code", json_schema_extra={"enum": list(ref.REGION_BY_CODE)}),
    _member_of(ref.REGION_BY_CODE, "region code"),
]
IndustryCode = Annotated[
    str,
    Field(
        examples=["C29"],
        description="KSIC division C10-C34",
        json_schema_extra={"enum": list(ref.INDUSTRY_BY_CODE)},
    ),
    _member_of(ref.INDUSTRY_BY_CODE, "KSIC code"),
]
SubFieldCode = Annotated[
    str,
    Field(
        examples=["INTL-AI"],
        description="taxonomy sub-field",
        json_schema_extra={"enum": list(ref.SUBFIELD_BY_CODE)},
    ),
    _member_of(ref.SUBFIELD_BY_CODE, "sub-field"),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$", examples=["org-sme-1"])]


def not_a_number(value: Any) -> Any:
    """A date or time is ISO 8601 text, as the document says: pydantic would also read a number (or a text
    holding one) as a Unix time, and accept a request the schema refuses."""
    number = isinstance(value, (int, float))
    if isinstance(value, str) and not (value[:4].isdigit() and value[4:5] == "-"):  # "2025-…" is no number
        try:
            float(value)
            number = True
        except ValueError:
            pass
    if number:
        raise invalid(Msg("must be an ISO 8601 date or time, not a number"))
    return value


IsoDate = Annotated[date, BeforeValidator(not_a_number)]
IsoDateTime = Annotated[datetime, BeforeValidator(not_a_number)]
AwareIsoDateTime = Annotated[AwareDatetime, BeforeValidator(not_a_number)]
