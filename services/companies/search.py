"""What a company is found by: its ``search_text``, the terms (services.kit.search_terms) of its id, names,
representative, region, industry and fields of expertise. Its factories are tenant data and stay out.

Written whenever a company is written; migration 0005 rewrote the stored companies'.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.kit import reference as ref
from services.kit.search_terms import document

# The length of ``Company.search_text``.
LENGTH = 1000


def search_text(
    *,
    company_id: str,
    name: dict[str, str | None],
    representative: str | None,
    region_code: str,
    industry_code: str | None,
    expertise: Iterable[str],
) -> str:
    region = ref.REGION_BY_CODE[region_code]
    texts: list[str | None] = [company_id, name.get("ko"), name.get("en"), representative]
    for code in expertise:
        field = ref.SUBFIELD_BY_CODE[code]
        texts += [field.ko, field.en]
    texts += [region.ko, region.en]
    if industry_code is not None:
        industry = ref.INDUSTRY_BY_CODE[industry_code]
        texts += [industry.ko, industry.en]
    return document(*texts, length=LENGTH)
