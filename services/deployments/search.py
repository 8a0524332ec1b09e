"""What a deployment record is found by: its ``search_text``, the terms (services.kit.search_terms) of its
title, SME, factory, region, industry, solutions with their technology field, KPIs and the names of its
parties (the SME and suppliers as registered in the companies service).

Written whenever a record is written; migration 0005 rewrote the stored records' from their own columns,
which hold no supplier name, so a record stored before is found by its suppliers' names once it changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.kit import reference as ref
from services.kit.search_terms import document

# The length of ``DeploymentRecord.search_text``.
LENGTH = 2000


def search_text(
    *,
    title: dict[str, str | None],
    sme_name: str,
    factory_name: str,
    region_code: str,
    industry_code: str,
    solutions: Iterable[tuple[str, dict[str, str | None]]],
    kpi_kinds: Iterable[str],
    party_names: Iterable[str],
) -> str:
    """``solutions`` as (sub-field code, name); ``kpi_kinds`` as their codes ("defect_rate")."""
    region = ref.REGION_BY_CODE[region_code]
    industry = ref.INDUSTRY_BY_CODE[industry_code]
    texts: list[str | None] = [title.get("ko"), title.get("en"), sme_name, *party_names, factory_name]
    for code, name in solutions:
        field = ref.SUBFIELD_BY_CODE[code]
        texts += [name.get("ko"), name.get("en"), field.ko, field.en]
    texts += [kind.replace("_", " ") for kind in kpi_kinds]
    texts += [region.ko, region.en, industry.ko, industry.en]
    return document(*texts, length=LENGTH)
