"""Human names, in Korean and English, of every code the portal shows.

Reference vocabularies come from ``services.kit.reference`` (the same data ``/api/v1/reference`` serves)
and the use-case vocabulary module; the few words no API names (KPI kinds, evidence, statuses) are here.
An unknown code, e.g. a value a newer service version added, is shown as itself rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_api.portal.messages import message
from services.kit import kpi_vocabulary
from services.kit import reference as ref
from services.kit.units import in_words
from services.usecases.taxonomy import PROBLEM_NAMES, TECHNIQUE_NAMES

Names = dict[str, tuple[str, str]]

# Short names of the 17 시·도 for the map tiles and tight tables.
REGION_SHORT: Names = {
    "11": ("서울", "Seoul"),
    "26": ("부산", "Busan"),
    "27": ("대구", "Daegu"),
    "28": ("인천", "Incheon"),
    "29": ("광주", "Gwangju"),
    "30": ("대전", "Daejeon"),
    "31": ("울산", "Ulsan"),
    "36": ("세종", "Sejong"),
    "41": ("경기", "Gyeonggi"),
    "43": ("충북", "Chungbuk"),
    "44": ("충남", "Chungnam"),
    "46": ("전남", "Jeonnam"),
    "47": ("경북", "Gyeongbuk"),
    "48": ("경남", "Gyeongnam"),
    "50": ("제주", "Jeju"),
    "51": ("강원", "Gangwon"),
    "52": ("전북", "Jeonbuk"),
}

KPI_NAMES: Names = {
    ref.KpiKind.PRODUCTIVITY.value: ("생산성", "Productivity"),
    ref.KpiKind.DEFECT_RATE.value: ("불량률", "Defect rate"),
    ref.KpiKind.COST.value: ("원가", "Cost"),
    ref.KpiKind.DELIVERY.value: ("납기", "Delivery time"),
    ref.KpiKind.ENERGY.value: ("에너지 사용량", "Energy use"),
    # ISO 22400-2 KPIs the analytics service measures from telemetry: their words are the vocabulary's.
    **{term.name: (term.ko, term.en) for term in kpi_vocabulary.TERMS},
}

# The evidence behind a KPI value, weakest first.
EVIDENCE_NAMES: Names = {
    "self_reported": ("자체 보고", "Self-reported"),
    "telemetry": ("설비 데이터 측정", "Measured from telemetry"),
    "verified": ("검증 완료", "Verified"),
}

STATUS_NAMES: Names = {
    "draft": ("초안", "Draft"),
    "published": ("공개", "Published"),
    "deprecated": ("폐기 예정", "Deprecated"),
    # designation applications
    "submitted": ("접수", "Submitted"),
    "returned": ("보완 요청", "Returned for changes"),
    "in_review": ("심사 중", "Under review"),
    "evaluated": ("평가 완료", "Evaluated"),
    "designated": ("지정", "Designated"),
    "rejected": ("반려", "Rejected"),
    "suspended": ("지정 정지", "Suspended"),
    "revoked": ("지정 취소", "Revoked"),
    "renewed": ("갱신", "Renewed"),
    "expired": ("만료", "Expired"),
    # deployment records
    "confirmed": ("상호 확인", "Confirmed by both parties"),
    "verified": ("검증 완료", "Verified"),
}

# What an item of an equipment model gives the KPIs (services.standards.roles).
ROLE_NAMES: Names = {
    "execution_state": ("가동 상태", "Execution state"),
    "part_count": ("생산 수량", "Parts made"),
    "good_count": ("양품 수량", "Good parts"),
    "reject_count": ("불량 수량", "Rejected parts"),
    "energy": ("에너지 사용량", "Energy used"),
    "cycle_time": ("사이클 타임", "Cycle time"),
    "alarm": ("알람", "Alarm"),
}

COMPANY_KIND_NAMES: Names = {"sme": ("중소 제조기업", "SME manufacturer"), "vendor": ("공급기업", "Supplier")}

CATEGORY_NAMES: Names = {
    "SAMPLE": ("측정값", "Sample"),
    "EVENT": ("이벤트", "Event"),
    "CONDITION": ("상태", "Condition"),
}

VOCABULARIES: dict[str, Names] = {
    "region": {r.code: (r.ko, r.en) for r in ref.REGIONS},
    "region_short": REGION_SHORT,
    "industry": {i.code: (i.ko, i.en) for i in ref.INDUSTRIES},
    "area": {a.code: (a.ko, a.en) for a in ref.AREAS},
    "subfield": {s.code: (s.ko, s.en) for s in ref.SUBFIELDS},
    "level": {lv.value: (lv.value, ref.SYSTEM_LEVEL_EN[lv]) for lv in ref.SystemLevel},
    "stage": {code: (ko, en) for code, ko, en in ref.PROJECT_STAGES},
    "growth": {
        ref.GrowthStage.STARTUP.value: ("창업", "Start-up"),
        ref.GrowthStage.GROWTH.value: ("성장", "Growth"),
        ref.GrowthStage.GLOBAL.value: ("글로벌", "Global"),
    },
    "problem": {p.value: names for p, names in PROBLEM_NAMES.items()},
    "technique": {t.value: names for t, names in TECHNIQUE_NAMES.items()},
    "kpi": KPI_NAMES,
    "evidence": EVIDENCE_NAMES,
    "status": STATUS_NAMES,
    "company_kind": COMPANY_KIND_NAMES,
    "category": CATEGORY_NAMES,
    "role": ROLE_NAMES,
}

STRATEGIC_SUBFIELDS = frozenset(s.code for s in ref.SUBFIELDS if s.strategic)
LEVEL_RANK = {lv.value: rank for lv, rank in ref.SYSTEM_LEVEL_ORDER.items()}


def name(vocabulary: str, code: str | None, lang: str) -> str:
    """The Korean or English name of ``code``; the code itself when the vocabulary does not know it."""
    if code is None:
        return ""
    names = VOCABULARIES[vocabulary].get(str(code))
    if names is None:
        return str(code)
    return names[0] if lang == "ko" else names[1]


def text(value: object, lang: str) -> str:
    """A bilingual ``{"ko": ..., "en": ...}`` value in ``lang``, falling back to the other language."""
    if isinstance(value, dict):
        first, second = ("ko", "en") if lang == "ko" else ("en", "ko")
        return str(value.get(first) or value.get(second) or "")
    return "" if value is None else str(value)


def change(pct: float | None, lang: str) -> str:
    """A KPI change as its direction in words: "79.1% 개선" / "79.1% better" for an improvement (a fall of
    the defect rate too: ``pct`` is signed by the KPI's good direction), "악화" / "worse" for the opposite."""
    if pct is None:
        return ""
    size = f"{abs(pct):.1f}".rstrip("0").rstrip(".")
    if size == "0":
        return message("change_none", lang)
    return message("change_better" if pct > 0 else "change_worse", lang, v=size)


@dataclass(frozen=True)
class Labels:
    """The naming functions bound to one language, handed to every template as ``L``."""

    lang: str

    def __call__(self, vocabulary: str, code: str | None) -> str:
        return name(vocabulary, code, self.lang)

    def text(self, value: object) -> str:
        return text(value, self.lang)

    def strategic(self, subfield: str) -> bool:
        return subfield in STRATEGIC_SUBFIELDS

    def in_sentence(self, vocabulary: str, code: str | None) -> str:
        """A name inside an English sentence: its first letter lower-cased unless the word is an acronym
        ("computer vision (CNN)", "MES"); Korean names as they are."""
        label = self(vocabulary, code)
        first = label.split(" ", 1)[0]
        if self.lang == "ko" or not label or first.isupper():
            return label
        return label[0].lower() + label[1:]

    def change(self, pct: float | None) -> str:
        return change(pct, self.lang)

    def unit(self, symbol: str | None) -> str:
        return in_words(symbol, self.lang)
