"""Reference data of Korean smart manufacturing: regions, KSIC divisions, technology taxonomy, levels."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Region:
    code: str
    ko: str
    en: str


# 17 시·도 with their administrative codes (강원·전북 became 특별자치도 with new codes 51/52).
REGIONS: tuple[Region, ...] = (
    Region("11", "서울특별시", "Seoul"),
    Region("26", "부산광역시", "Busan"),
    Region("27", "대구광역시", "Daegu"),
    Region("28", "인천광역시", "Incheon"),
    Region("29", "광주광역시", "Gwangju"),
    Region("30", "대전광역시", "Daejeon"),
    Region("31", "울산광역시", "Ulsan"),
    Region("36", "세종특별자치시", "Sejong"),
    Region("41", "경기도", "Gyeonggi"),
    Region("43", "충청북도", "Chungbuk"),
    Region("44", "충청남도", "Chungnam"),
    Region("46", "전라남도", "Jeonnam"),
    Region("47", "경상북도", "Gyeongbuk"),
    Region("48", "경상남도", "Gyeongnam"),
    Region("50", "제주특별자치도", "Jeju"),
    Region("51", "강원특별자치도", "Gangwon"),
    Region("52", "전북특별자치도", "Jeonbuk"),
)
REGION_BY_CODE = {r.code: r for r in REGIONS}


@dataclass(frozen=True)
class Industry:
    code: str
    ko: str
    en: str


# KSIC (10th revision) section C, manufacturing divisions 10-34.
INDUSTRIES: tuple[Industry, ...] = (
    Industry("C10", "식료품 제조업", "Food products"),
    Industry("C11", "음료 제조업", "Beverages"),
    Industry("C12", "담배 제조업", "Tobacco products"),
    Industry("C13", "섬유제품 제조업; 의복 제외", "Textiles, except apparel"),
    Industry("C14", "의복, 의복 액세서리 및 모피제품 제조업", "Wearing apparel, accessories and fur"),
    Industry("C15", "가죽, 가방 및 신발 제조업", "Leather, bags and footwear"),
    Industry("C16", "목재 및 나무제품 제조업; 가구 제외", "Wood and wood products, except furniture"),
    Industry("C17", "펄프, 종이 및 종이제품 제조업", "Pulp, paper and paper products"),
    Industry("C18", "인쇄 및 기록매체 복제업", "Printing and reproduction of recorded media"),
    Industry("C19", "코크스, 연탄 및 석유정제품 제조업", "Coke, briquettes and refined petroleum"),
    Industry("C20", "화학 물질 및 화학제품 제조업; 의약품 제외", "Chemicals, except pharmaceuticals"),
    Industry("C21", "의료용 물질 및 의약품 제조업", "Pharmaceuticals and medicinal chemicals"),
    Industry("C22", "고무 및 플라스틱제품 제조업", "Rubber and plastic products"),
    Industry("C23", "비금속 광물제품 제조업", "Other non-metallic mineral products"),
    Industry("C24", "1차 금속 제조업", "Basic metals"),
    Industry("C25", "금속 가공제품 제조업; 기계 및 가구 제외", "Fabricated metal products"),
    Industry(
        "C26",
        "전자 부품, 컴퓨터, 영상, 음향 및 통신장비 제조업",
        "Electronic components, computers, audio-visual and communication equipment",
    ),
    Industry(
        "C27", "의료, 정밀, 광학 기기 및 시계 제조업", "Medical, precision and optical instruments, watches"
    ),
    Industry("C28", "전기장비 제조업", "Electrical equipment"),
    Industry("C29", "기타 기계 및 장비 제조업", "Other machinery and equipment"),
    Industry("C30", "자동차 및 트레일러 제조업", "Motor vehicles and trailers"),
    Industry("C31", "기타 운송장비 제조업", "Other transport equipment"),
    Industry("C32", "가구 제조업", "Furniture"),
    Industry("C33", "기타 제품 제조업", "Other manufacturing"),
    Industry("C34", "산업용 기계 및 장비 수리업", "Repair of industrial machinery and equipment"),
)
INDUSTRY_BY_CODE = {i.code: i for i in INDUSTRIES}


@dataclass(frozen=True)
class SubField:
    code: str
    area: str
    ko: str
    en: str
    strategic: bool


@dataclass(frozen=True)
class Area:
    code: str
    ko: str
    en: str


# 4 areas x 14 sub-fields of the smart-manufacturing taxonomy; 7 are strategic (■ in the plan).
AREAS: tuple[Area, ...] = (
    Area("AUTO", "자동화기기", "Automation equipment"),
    Area("CONN", "연결화기기", "Connectivity devices"),
    Area("INFO", "정보화솔루션", "Information solutions"),
    Area("INTL", "지능형서비스", "Intelligent services"),
)
SUBFIELDS: tuple[SubField, ...] = (
    SubField("AUTO-ROBOT", "AUTO", "로봇", "Robots", False),
    SubField("AUTO-EQUIP", "AUTO", "스마트 장비", "Smart equipment", False),
    SubField("AUTO-VISION", "AUTO", "식별시스템·머신비전", "Identification systems & machine vision", True),
    SubField("CONN-CTRL", "CONN", "제어시스템·컨트롤러", "Control systems & controllers", True),
    SubField("CONN-SENSOR", "CONN", "센서·액추에이터", "Sensors & actuators", False),
    SubField("CONN-NET", "CONN", "통신네트워크 장비", "Communication network equipment", True),
    SubField("INFO-MES", "INFO", "생산관리 시스템", "Manufacturing execution systems", True),
    SubField("INFO-LOG", "INFO", "물류관리 시스템", "Logistics management systems", True),
    SubField("INFO-ERP", "INFO", "경영·설계관리 시스템", "Business & design management systems", False),
    SubField("INTL-CLOUD", "INTL", "클라우드 컴퓨팅", "Cloud computing", False),
    SubField("INTL-TWIN", "INTL", "CPS·디지털 트윈", "CPS & digital twin", True),
    SubField("INTL-AI", "INTL", "제조 빅데이터·제조 AI", "Manufacturing big data & AI", True),
    SubField("INTL-XR", "INTL", "AR·VR·MR", "AR/VR/MR", False),
    SubField("INTL-SEC", "INTL", "컨설팅·사이버 보안", "Consulting & cyber security", False),
)
SUBFIELD_BY_CODE = {s.code: s for s in SUBFIELDS}


class SystemLevel(StrEnum):
    """Smart-factory system level, lowest first."""

    BASIC = "기초"
    INTERMEDIATE_1 = "중간1"
    INTERMEDIATE_2 = "중간2"
    ADVANCED = "고도화"


SYSTEM_LEVEL_ORDER = {level: i for i, level in enumerate(SystemLevel)}
SYSTEM_LEVEL_EN = {
    SystemLevel.BASIC: "Basic",
    SystemLevel.INTERMEDIATE_1: "Intermediate 1",
    SystemLevel.INTERMEDIATE_2: "Intermediate 2",
    SystemLevel.ADVANCED: "Advanced",
}

# KS X 9001 capability levels 1-5.
CAPABILITY_LEVELS = (1, 2, 3, 4, 5)

# The simplified government project process: 8 stages in 14 months (was 12 stages / 23 months).
PROJECT_STAGES: tuple[tuple[str, str, str], ...] = (
    ("APPLY", "사업 신청", "Application"),
    ("ASSESS", "현장 평가", "On-site assessment"),
    ("SELECT", "선정·협약", "Selection & agreement"),
    ("DESIGN", "구축 설계", "System design"),
    ("BUILD", "구축", "Build"),
    ("INSPECT", "완료 점검", "Completion inspection"),
    ("SETTLE", "정산", "Settlement"),
    ("AFTER", "성과 관리·사후 관리", "Outcome & after-service"),
)
STAGE_CODES = tuple(code for code, _, _ in PROJECT_STAGES)
TARGET_PROJECT_MONTHS = 14
AFTER_SERVICE_MONTHS = 6


class KpiKind(StrEnum):
    """KPI families the plan measures; higher_is_better tells the direction of an improvement."""

    PRODUCTIVITY = "productivity"
    DEFECT_RATE = "defect_rate"
    COST = "cost"
    DELIVERY = "delivery"
    ENERGY = "energy"


KPI_HIGHER_IS_BETTER = {
    KpiKind.PRODUCTIVITY: True,
    KpiKind.DEFECT_RATE: False,
    KpiKind.COST: False,
    KpiKind.DELIVERY: False,
    KpiKind.ENERGY: False,
}


def kpi_improvement_pct(kind: KpiKind, baseline: float, after: float) -> float | None:
    """Improvement in percent of the baseline, positive when the KPI moved the good way."""
    if baseline == 0:
        return None
    change = (after - baseline) / abs(baseline) * 100.0
    return round(change if KPI_HIGHER_IS_BETTER[kind] else -change, 2)


class GrowthStage(StrEnum):
    STARTUP = "창업"
    GROWTH = "성장"
    GLOBAL = "글로벌"
