"""The support programmes (지원사업) a deployment record belongs to, and the after-care service levels.

A programme caps the government support, fixes the shares of government and company in the project cost,
lists the technology sub-fields it funds and the stages that must be done (with evidence) before an agency
may verify a record. After-care (사후관리) lasts ``after_care_months`` from go-live, relaxed to
``after_care_months_designated`` when the lead supplier was a designated specialist company at contract time
(the plan's 집중 AS 의무 6개월 완화).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from services.kit import reference as ref


@dataclass(frozen=True)
class Programme:
    code: str
    ko: str
    en: str
    cap_krw: int
    government_share_pct: int
    company_share_pct: int
    subfields: tuple[str, ...]
    required_stages: tuple[str, ...]
    after_care_months: int
    after_care_months_designated: int


_ALL_SUBFIELDS = tuple(s.code for s in ref.SUBFIELDS)

PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "BASIC",
        "기초",
        "Basic",
        cap_krw=100_000_000,
        government_share_pct=50,
        company_share_pct=50,
        subfields=(
            "AUTO-VISION",
            "CONN-SENSOR",
            "CONN-NET",
            "INFO-MES",
            "INFO-LOG",
            "INFO-ERP",
            "INTL-CLOUD",
            "INTL-SEC",
        ),
        required_stages=("INSPECT",),
        after_care_months=12,
        after_care_months_designated=6,
    ),
    Programme(
        "ADVANCED1",
        "고도화1",
        "Advanced 1",
        cap_krw=200_000_000,
        government_share_pct=50,
        company_share_pct=50,
        subfields=_ALL_SUBFIELDS,
        required_stages=("DESIGN", "INSPECT", "SETTLE"),
        after_care_months=12,
        after_care_months_designated=6,
    ),
    Programme(
        "ADVANCED2",
        "고도화2",
        "Advanced 2",
        cap_krw=400_000_000,
        government_share_pct=50,
        company_share_pct=50,
        subfields=_ALL_SUBFIELDS,
        required_stages=("DESIGN", "BUILD", "INTERIM", "INSPECT", "SETTLE"),
        after_care_months=24,
        after_care_months_designated=12,
    ),
)
PROGRAMME_BY_CODE = {p.code: p for p in PROGRAMMES}


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


# How long the supplier has to answer an after-care ticket.
ANSWER_WITHIN = {
    Severity.CRITICAL: timedelta(hours=24),
    Severity.MAJOR: timedelta(hours=72),
    Severity.MINOR: timedelta(days=7),
}
