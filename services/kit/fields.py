"""Annotated field types for reference codes, checked against services.kit.reference."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from services.kit import reference as ref


def _member_of(table: dict[str, object], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in table:
            raise ValueError(f"unknown {what} '{value}'; one of: {', '.join(table)}")
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
