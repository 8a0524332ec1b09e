"""Growth stage (창업 / 성장 / 글로벌) from a company's age, revenue and exports.

Rules, first match wins (documented in docs/companies.md):

1. 글로벌 (global): at least one overseas contract recorded on the platform, or declared exports of at least
   100 million KRW that are at least 10 % of revenue;
2. 창업 (start-up): founded less than 7 years ago (the 7-year window of 중소기업창업 지원법);
3. 성장 (growth): otherwise.

The stage is computed once the company has declared its revenue or recorded an overseas contract; before
that the stage it stated is kept (``basis`` says which).
"""

from __future__ import annotations

from typing import Literal

from services.kit.reference import GrowthStage

STARTUP_YEARS = 7
GLOBAL_MIN_EXPORT_KRW = 100_000_000
GLOBAL_MIN_EXPORT_SHARE = 0.10


def computable(revenue_krw: int | None, overseas_contracts: int) -> bool:
    return revenue_krw is not None or overseas_contracts > 0


def stage(
    *,
    founded_year: int | None,
    revenue_krw: int | None,
    export_krw: int | None,
    overseas_contracts: int,
    this_year: int,
) -> GrowthStage:
    exports = export_krw or 0
    if overseas_contracts > 0 or (
        revenue_krw and exports >= GLOBAL_MIN_EXPORT_KRW and exports >= GLOBAL_MIN_EXPORT_SHARE * revenue_krw
    ):
        return GrowthStage.GLOBAL
    if founded_year is not None and this_year - founded_year < STARTUP_YEARS:
        return GrowthStage.STARTUP
    return GrowthStage.GROWTH


Basis = Literal["declared", "computed"]
