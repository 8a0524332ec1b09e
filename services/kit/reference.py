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

# The plan's definitions (참고2 for the areas, 참고3 for the sub-fields), English translations ours.
# The plan's 참고3 table as published gives no text for 컨설팅·사이버 보안, so it has none here.
AREA_DEFINITIONS: dict[str, tuple[str, str]] = {
    "AUTO": (
        "외부 환경을 인지하여 인간과 협업하거나 자율적으로 제조 과정을 수행하기 위해 필요한 제품 및 서비스",
        "Products and services that sense their surroundings to work with people or run manufacturing steps "
        "autonomously (robots, machine vision, ...)",
    ),
    "CONN": (
        "제조데이터를 수집하고 생산과정 제어를 위해 장비와 시스템을 상호 연결하는 제품 및 서비스",
        "Products and services that connect equipment and systems to collect manufacturing data and control "
        "production (sensors, network equipment, ...)",
    ),
    "INFO": (
        "기업의 제조 활동 전반을 실행·관리·제어하는 제품 및 서비스",
        "Products and services that execute, manage and control a company's manufacturing activities "
        "(logistics, production and business information systems, ...)",
    ),
    "INTL": (
        "제조데이터를 분석·가공하여 제품설계와 공정최적화를 수행하고 "
        "가상 제조 환경 구축에 필요한 제품 및 서비스",
        "Products and services that analyse manufacturing data for product design and process "
        "optimisation and build virtual manufacturing environments (CPS, AI, ...)",
    ),
}
SUBFIELD_DEFINITIONS: dict[str, tuple[str, str]] = {
    "AUTO-ROBOT": (
        "외부환경을 인식하고 상황을 판단하여 자율적으로 동작하는 기계",
        "Machines that perceive their environment, judge the situation and act autonomously",
    ),
    "AUTO-EQUIP": (
        "3D 프린터, 검사·계측용 스마트 머신, 프로그램 수치 제어 자동화 기계 등",
        "3D printers, smart inspection and measuring machines, numerically controlled automated machines",
    ),
    "AUTO-VISION": (
        "영상 등 필요한 정보를 수집·저장·가공하여 목적에 맞는 작업을 수행하는 시스템·장비",
        "Systems and equipment that collect, store and process images and other information to do a task",
    ),
    "CONN-CTRL": (
        "특정 작업이나 공정을 감시·제어하여 목표 결과를 얻는 시스템 및 장비",
        "Systems and equipment that monitor and control a task or process to reach a target result",
    ),
    "CONN-SENSOR": (
        "물리적·화학적 외부자극을 전기신호로 변환하는 측정장치, 제어명령을 증폭하여 제어대상을 구동하는 장치",
        "Devices turning physical or chemical stimuli into electrical signals, and devices amplifying "
        "control commands to drive what they control",
    ),
    "CONN-NET": (
        "인터넷과 연결하기 위한 업링크와 다운링크 기능을 제공하는 유무선 통신장비",
        "Wired and wireless communication equipment providing uplink and downlink to the Internet",
    ),
    "INFO-MES": (
        "공장운영 및 통제, 품질관리, 생산계획 등 제조현장 관리·운영에 필요한 기능을 수행하는 시스템 "
        "(MES/POP, FEMS, QMS/CMMS)",
        "Systems for running the shop floor: operation and control, quality, production planning (MES/POP, "
        "FEMS, QMS/CMMS)",
    ),
    "INFO-LOG": (
        "공급사슬관리, 입출고관리 등 가치사슬 관점에서 공급망 구성 요소들을 관리하는 시스템 (SCM/WMS)",
        "Systems managing the parts of the supply chain along the value chain: supply-chain and warehouse "
        "management (SCM/WMS)",
    ),
    "INFO-ERP": (
        "경영활동 프로세스와 제품 수명주기 데이터를 관리하는 시스템 (ERP, PLM/PDM)",
        "Systems managing business processes and product life-cycle data (ERP, PLM/PDM)",
    ),
    "INTL-CLOUD": (
        "인터넷상의 서버를 통하여 데이터 저장, 네트워크, 콘텐츠 사용 등 컴퓨팅 환경을 제공하는 플랫폼",
        "Platforms providing computing (storage, network, content) through servers on the Internet",
    ),
    "INTL-TWIN": (
        "기계적인 매커니즘이 컴퓨터 기반의 알고리즘에 의해 제어되는 지능형 시스템",
        "Intelligent systems whose mechanical mechanisms are controlled by computer-based algorithms",
    ),
    "INTL-AI": ("빅데이터 분석, 인공지능 등과 관련된 플랫폼", "Platforms for big-data analysis and AI"),
    "INTL-XR": (
        "가상현실·증강현실 환경을 제공하는 플랫폼",
        "Platforms providing virtual and augmented reality",
    ),
}


@dataclass(frozen=True)
class Product:
    """A product type under 정보화솔루션 (참고3)."""

    code: str
    subfield: str
    ko: str
    en: str
    definition_ko: str
    definition_en: str


INFO_PRODUCTS: tuple[Product, ...] = (
    Product(
        "MES-POP", "INFO-MES", "MES/POP", "Manufacturing execution / point of production",
        "공장운영 및 통제, 품질관리, 생산계획 등 제조현장 관리·운영에 필요로 하는 기능을 수행하는 시스템",
        "Runs the shop floor: factory operation and control, quality management, production planning",
    ),
    Product(
        "FEMS", "INFO-MES", "FEMS", "Factory energy management system",
        "에너지 측정·분석·제어를 통해 공장내 에너지 공급·소비를 최적화하는 에너지관리시스템",
        "Optimises the factory's energy supply and use by measuring, analysing and controlling energy",
    ),
    Product(
        "QMS-CMMS", "INFO-MES", "QMS/CMMS", "Quality / computerised maintenance management",
        "제품 품질관리시스템 및 제조공정 설비 관리시스템",
        "Product quality management and maintenance management of process equipment",
    ),
    Product(
        "SCM-WMS", "INFO-LOG", "SCM/WMS", "Supply-chain / warehouse management",
        "공급사슬관리, 입출고관리 등 가치사슬 관점에서 공급망 구성 요소들을 관리하는 시스템",
        "Manages the parts of the supply chain along the value chain: supply chain, goods in and out",
    ),
    Product(
        "ERP", "INFO-ERP", "ERP", "Enterprise resource planning",
        "경영활동 프로세스를 통합적으로 연계·관리하는 전사적 자원관리 시스템",
        "Links and manages the processes of the whole business in one system",
    ),
    Product(
        "PLM-PDM", "INFO-ERP", "PLM/PDM", "Product life-cycle / product data management",
        "설계 등 제품개발부터 폐기에 이르기까지 제품의 수명주기 전 과정의 데이터를 관리하는 시스템",
        "Manages a product's data over its whole life cycle, from design and development to disposal",
    ),
)  # fmt: skip

# The 4 areas as a special classification (특수분류) over KSIC (10th revision): the KSIC divisions, groups or
# classes where each sub-field's products are made or its services provided. The plan asks for this
# classification to be added to KSIC; this mapping is the platform's working one until it is published.
KSIC_CODES: dict[str, tuple[str, str]] = {
    "26": (
        "전자 부품, 컴퓨터, 영상, 음향 및 통신장비 제조업",
        "Electronic components, computers, audio-visual and communication equipment",
    ),
    "264": ("통신 및 방송 장비 제조업", "Telecommunication and broadcasting apparatus"),
    "27": ("의료, 정밀, 광학 기기 및 시계 제조업", "Medical, precision and optical instruments"),
    "28": ("전기장비 제조업", "Electrical equipment"),
    "29": ("기타 기계 및 장비 제조업", "Other machinery and equipment"),
    "582": ("소프트웨어 개발 및 공급업", "Software publishing"),
    "620": (
        "컴퓨터 프로그래밍, 시스템 통합 및 관리업",
        "Computer programming, system integration and management",
    ),
    "631": (
        "자료 처리, 호스팅, 포털 및 기타 인터넷 정보 매개 서비스업",
        "Data processing, hosting, portals and other Internet information services",
    ),
    "715": ("회사 본부 및 경영 컨설팅 서비스업", "Head offices and management consultancy"),
}
SPECIAL_CLASSIFICATION_KSIC: dict[str, tuple[str, ...]] = {
    "AUTO-ROBOT": ("29",),
    "AUTO-EQUIP": ("29", "27"),
    "AUTO-VISION": ("27", "26"),
    "CONN-CTRL": ("28", "27"),
    "CONN-SENSOR": ("26", "27", "28"),
    "CONN-NET": ("264",),
    "INFO-MES": ("582", "620"),
    "INFO-LOG": ("582", "620"),
    "INFO-ERP": ("582", "620"),
    "INTL-CLOUD": ("631", "620"),
    "INTL-TWIN": ("582", "620"),
    "INTL-AI": ("582", "620", "631"),
    "INTL-XR": ("582", "620"),
    "INTL-SEC": ("715", "620"),
}


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
# The standard process the plan shortened: 12 stages in 23 months. Designated specialist companies run the
# simplified one above (the plan's 12→8 단계); stage codes both share mean the same step.
STANDARD_PROJECT_STAGES: tuple[tuple[str, str, str], ...] = (
    ("ANNOUNCE", "사업 공고", "Call for applications"),
    ("APPLY", "사업 신청", "Application"),
    ("REVIEW", "서류 검토", "Document review"),
    ("ASSESS", "현장 평가", "On-site assessment"),
    ("EVALUATE", "선정 평가", "Selection committee"),
    ("SELECT", "선정·협약", "Selection & agreement"),
    ("DESIGN", "구축 설계", "System design"),
    ("BUILD", "구축", "Build"),
    ("INTERIM", "중간 점검", "Interim inspection"),
    ("INSPECT", "완료 점검", "Completion inspection"),
    ("SETTLE", "정산", "Settlement"),
    ("AFTER", "성과 관리·사후 관리", "Outcome & after-service"),
)


class ProjectProcess(StrEnum):
    STANDARD = "standard"
    SIMPLIFIED = "simplified"


PROCESS_STAGES = {ProjectProcess.STANDARD: STANDARD_PROJECT_STAGES, ProjectProcess.SIMPLIFIED: PROJECT_STAGES}
PROCESS_TARGET_MONTHS = {ProjectProcess.STANDARD: 23, ProjectProcess.SIMPLIFIED: TARGET_PROJECT_MONTHS}
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
