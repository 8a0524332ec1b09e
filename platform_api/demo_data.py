"""The deterministic demo world: companies, factories, equipment models, deployments and AI use cases.

Pure data (no I/O): ``demo_seed`` sends it through the public API so every service validates it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from services.companies.brn import check_digit
from services.deployments.records.service import planned_stages, process_for
from services.kit import reference as ref
from services.kit.particles import with_particle
from services.standards.library import CATALOGUE

SEED = 20241002  # the plan's announcement date

_SME_STEMS = (
    ("대성", "Daesung"),
    ("한빛", "Hanbit"),
    ("동양", "Dongyang"),
    ("세진", "Sejin"),
    ("우진", "Woojin"),
    ("태광", "Taekwang"),
    ("삼원", "Samwon"),
    ("신성", "Shinsung"),
    ("금강", "Geumgang"),
    ("대한", "Daehan"),
    ("서광", "Seogwang"),
    ("동아", "Donga"),
    ("영진", "Youngjin"),
    ("한길", "Hangil"),
    ("미래", "Mirae"),
    ("성우", "Sungwoo"),
    ("효성", "Hyosung"),
    ("진흥", "Jinheung"),
    ("명성", "Myungsung"),
    ("정우", "Jungwoo"),
)
_SME_TAILS = (
    ("정밀", "Precision"),
    ("금속", "Metal"),
    ("산업", "Industrial"),
    ("테크", "Tech"),
    ("기계", "Machinery"),
    ("화학", "Chemical"),
    ("식품", "Foods"),
    ("전자", "Electronics"),
    ("플라스틱", "Plastics"),
    ("오토텍", "Autotech"),
)
_VENDOR_NAMES = (
    ("스마트팩토리솔루션즈", "Smart Factory Solutions"),
    ("코리아머신비전", "Korea Machine Vision"),
    ("한국MES", "Hankook MES"),
    ("디지털트윈랩", "Digital Twin Lab"),
    ("제조AI연구소", "Manufacturing AI Lab"),
    ("넥스트로보틱스", "Next Robotics"),
    ("인더스트리얼넷", "Industrial Net"),
    ("센서웍스", "Sensor Works"),
    ("로지스틱스원", "Logistics One"),
    ("클라우드팩토리", "Cloud Factory"),
    ("비전인사이트", "Vision Insight"),
    ("컨트롤텍", "Control Tech"),
    ("데이터브릿지", "Data Bridge"),
    ("에이아이매뉴팩처", "AI Manufacture"),
    ("씨피에스코리아", "CPS Korea"),
    ("엑스알웍스", "XR Works"),
    ("시큐어팩토리", "Secure Factory"),
    ("오토메이션플러스", "Automation Plus"),
    ("스마트로지텍", "Smart Logitech"),
    ("피드백시스템즈", "Feedback Systems"),
)
_PEOPLE = ("김민준", "이서연", "박지훈", "최수아", "정도윤", "강하은", "조현우", "윤지민", "장서준", "임유진")


def brn_with_checksum(first9: str) -> str:
    """Complete 9 digits into a 사업자등록번호 whose check digit is right."""
    return first9 + str(check_digit(first9))


# Companies-service reference world: regional AI centres with their main industries, one support centre per
# function with a programme, and the plan's technology-level figure (74.9 against leading countries' 100).
_CENTRE_ROWS = (
    ("aic-gyeongnam", "경남 제조AI센터", "Gyeongnam", ["48"], ["C29", "C30", "C31"]),
    ("aic-daegyeong", "대구·경북 제조AI센터", "Daegu-Gyeongbuk", ["27", "47"], ["C24", "C26", "C30"]),
    ("aic-ulsan", "울산 제조AI센터", "Ulsan", ["31"], ["C20", "C30", "C31"]),
    ("aic-gyeonggi", "경기 제조AI센터", "Gyeonggi", ["41"], ["C26", "C29", "C30"]),
    ("aic-honam", "광주·전남 제조AI센터", "Gwangju-Jeonnam", ["29", "46"], ["C20", "C24", "C30"]),
)
REGIONAL_CENTRES: tuple[dict[str, Any], ...] = tuple(
    {
        "id": cid,
        "name": {"ko": ko, "en": f"{en} Manufacturing AI Centre"},
        "regions": regions,
        "industries": industries,
    }
    for cid, ko, en, regions, industries in _CENTRE_ROWS
)
SUPPORT_CENTRES: tuple[tuple[dict[str, Any], dict[str, Any]], ...] = tuple(
    (
        {
            "id": f"sc-{key}",
            "function": function,
            "name": {"ko": f"스마트제조 {function} 지원센터", "en": en},
        },
        {
            "id": f"prog-{key}-2026",
            "name": {"ko": f"2026 {function} 지원사업", "en": f"2026 {en} programme"},
            "stages": stages,
            "opens_on": "2026-01-02",
            "closes_on": "2026-12-31",
            "budget_krw": budget,
        },
    )
    for key, function, en, stages, budget in (
        ("rnd", "기술개발", "R&D support", ["창업", "성장", "글로벌"], 5_000_000_000),
        ("startup", "창업기업 육성", "Start-up incubation", ["창업"], 1_500_000_000),
        ("talent", "인력양성", "Workforce training", ["창업", "성장"], 800_000_000),
        ("export", "해외진출", "Overseas expansion", ["성장", "글로벌"], 2_000_000_000),
    )
)
TECH_LEVEL_SURVEYS: tuple[tuple[int, dict[str, Any]], ...] = (
    (2024, {"level": 74.9, "source": "중소기업연구원·네모아이씨지 (스마트제조산업 육성전략, 2024.10)"}),
)


@dataclass
class DemoWorld:
    companies: list[dict[str, Any]] = field(default_factory=list)
    factories: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    usecases: list[dict[str, Any]] = field(default_factory=list)
    regional_centres: list[dict[str, Any]] = field(default_factory=lambda: list(REGIONAL_CENTRES))
    support_centres: list[tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=lambda: list(SUPPORT_CENTRES)
    )
    tech_level_surveys: list[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: list(TECH_LEVEL_SURVEYS)
    )


def _item(
    item_id: str,
    ko: str,
    en: str,
    category: str,
    data_type: str,
    unit: str | None = None,
    lo: float | None = None,
    hi: float | None = None,
    allowed: list[str] | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "name": {"ko": ko, "en": en},
        "category": category,
        "data_type": data_type,
    }
    if unit:
        item["unit"] = unit
    if lo is not None:
        item["min"], item["max"] = lo, hi
    if allowed:
        item["allowed_values"] = allowed
    if role:
        item["role"] = role
    return item


_STATE = ["RUNNING", "IDLE", "STOPPED", "ALARM"]
_COND = ["normal", "warning", "fault"]


def _output_counters(
    part_item: tuple[str, str, str] | None = None, rejects: bool = True
) -> list[dict[str, Any]]:
    """Counters of a producing machine: with its execution state they give OEE, quality and energy per good
    part (catalog.kpis); ``part_item`` adds the part count (id, ko, en) when the model has none yet."""
    items = []
    if part_item:
        items.append(_item(*part_item, "EVENT", "int", "count", 0, 10_000_000, role="part_count"))
    if rejects:
        items.append(
            _item(
                "reject_count",
                "불량 수량",
                "Reject count",
                "EVENT",
                "int",
                "count",
                0,
                10_000_000,
                role="reject_count",
            )
        )
    items.append(_item("energy", "누적 전력량", "Energy", "SAMPLE", "float", "kWh", 0, 1e9, role="energy"))
    return items


MODELS: tuple[tuple[str, str, str, str, list[dict[str, Any]]], ...] = (
    (
        "cnc-lathe",
        "CNC_LATHE",
        "CNC 선반",
        "CNC lathe",
        [
            _item("spindle_speed", "주축 회전수", "Spindle speed", "SAMPLE", "float", "rpm", 0, 6000),
            _item("spindle_load", "주축 부하", "Spindle load", "SAMPLE", "float", "%", 0, 150),
            _item("feed_rate", "이송 속도", "Feed rate", "SAMPLE", "float", "mm/s", 0, 500),
            _item("coolant_temp", "절삭유 온도", "Coolant temperature", "SAMPLE", "float", "°C", -10, 80),
            _item(
                "execution",
                "가동 상태",
                "Execution state",
                "EVENT",
                "string",
                allowed=_STATE,
                role="execution_state",
            ),
            _item(
                "part_count",
                "생산 수량",
                "Part count",
                "EVENT",
                "int",
                "count",
                0,
                1_000_000,
                role="part_count",
            ),
            *_output_counters(),
        ],
    ),
    (
        "injection-molding",
        "INJECTION_MOLDING",
        "사출 성형기",
        "Injection molding machine",
        [
            _item("barrel_temp", "실린더 온도", "Barrel temperature", "SAMPLE", "float", "°C", 0, 400),
            _item("mold_temp", "금형 온도", "Mold temperature", "SAMPLE", "float", "°C", 0, 200),
            _item("injection_pressure", "사출 압력", "Injection pressure", "SAMPLE", "float", "bar", 0, 2500),
            _item(
                "cycle_time", "사이클 타임", "Cycle time", "SAMPLE", "float", "s", 0, 300, role="cycle_time"
            ),
            _item(
                "execution",
                "가동 상태",
                "Execution state",
                "EVENT",
                "string",
                allowed=_STATE,
                role="execution_state",
            ),
            *_output_counters(("shot_count", "사출 횟수", "Shot count")),
        ],
    ),
    (
        "spot-welder",
        "SPOT_WELDER",
        "스폿 용접기",
        "Spot welder",
        [
            _item("weld_current", "용접 전류", "Weld current", "SAMPLE", "float", "A", 0, 20000),
            _item("electrode_force", "가압력", "Electrode force", "SAMPLE", "float", "kN", 0, 10),
            _item("weld_time", "통전 시간", "Weld time", "SAMPLE", "float", "ms", 0, 1000),
            _item(
                "tip_condition",
                "팁 상태",
                "Tip condition",
                "CONDITION",
                "string",
                allowed=_COND,
                role="alarm",
            ),
        ],
    ),
    (
        "press",
        "PRESS",
        "프레스",
        "Press",
        [
            _item("tonnage", "가압 톤수", "Tonnage", "SAMPLE", "float", "kN", 0, 8000),
            _item("stroke_rate", "분당 타수", "Strokes per minute", "SAMPLE", "float", "Hz", 0, 20),
            _item("die_temp", "금형 온도", "Die temperature", "SAMPLE", "float", "°C", 0, 300),
            _item(
                "execution",
                "가동 상태",
                "Execution state",
                "EVENT",
                "string",
                allowed=_STATE,
                role="execution_state",
            ),
            *_output_counters(("stroke_count", "타수", "Stroke count"), rejects=False),
        ],
    ),
    (
        "air-compressor",
        "AIR_COMPRESSOR",
        "공기 압축기",
        "Air compressor",
        [
            _item("discharge_pressure", "토출 압력", "Discharge pressure", "SAMPLE", "float", "bar", 0, 16),
            _item("motor_power", "모터 전력", "Motor power", "SAMPLE", "float", "kW", 0, 250),
            _item("oil_temp", "오일 온도", "Oil temperature", "SAMPLE", "float", "°C", 0, 120),
            _item("energy", "누적 전력량", "Energy", "SAMPLE", "float", "kWh", 0, 1e9, role="energy"),
        ],
    ),
    (
        "reflow-oven",
        "REFLOW_OVEN",
        "리플로우 오븐",
        "Reflow oven",
        [
            _item("zone1_temp", "1존 온도", "Zone 1 temperature", "SAMPLE", "float", "°C", 0, 350),
            _item("peak_temp", "피크 온도", "Peak temperature", "SAMPLE", "float", "°C", 0, 350),
            _item("conveyor_speed", "컨베이어 속도", "Conveyor speed", "SAMPLE", "float", "mm/s", 0, 50),
            _item("oxygen", "산소 농도", "Oxygen level", "SAMPLE", "float", "ppm", 0, 5000),
        ],
    ),
    (
        "conveyor",
        "CONVEYOR",
        "컨베이어",
        "Conveyor",
        [
            _item("belt_speed", "벨트 속도", "Belt speed", "SAMPLE", "float", "mm/s", 0, 3000),
            _item("motor_current", "모터 전류", "Motor current", "SAMPLE", "float", "A", 0, 100),
            _item("vibration", "진동", "Vibration", "SAMPLE", "float", "mm/s", 0, 50),
            _item("jam", "걸림 상태", "Jam condition", "CONDITION", "string", allowed=_COND, role="alarm"),
        ],
    ),
    (
        "robot-arm",
        "INDUSTRIAL_ROBOT",
        "산업용 로봇",
        "Industrial robot arm",
        [
            _item("joint1_torque", "1축 토크", "Joint 1 torque", "SAMPLE", "float", "N·m", -2000, 2000),
            _item("tcp_speed", "TCP 속도", "TCP speed", "SAMPLE", "float", "mm/s", 0, 5000),
            _item("program", "실행 프로그램", "Program", "EVENT", "string"),
            _item(
                "servo", "서보 상태", "Servo condition", "CONDITION", "string", allowed=_COND, role="alarm"
            ),
        ],
    ),
    (
        "vision-inspector",
        "VISION_INSPECTION",
        "비전 검사기",
        "Vision inspection station",
        [
            _item(
                "inspected",
                "검사 수량",
                "Inspected count",
                "EVENT",
                "int",
                "count",
                0,
                10_000_000,
                role="part_count",
            ),
            _item(
                "defects",
                "불량 수량",
                "Defect count",
                "EVENT",
                "int",
                "count",
                0,
                10_000_000,
                role="reject_count",
            ),
            _item("confidence", "판정 신뢰도", "Confidence", "SAMPLE", "float", "%", 0, 100),
            _item("lighting", "조명 조도", "Lighting", "SAMPLE", "float", "lx", 0, 100000),
        ],
    ),
    (
        "heat-treatment-furnace",
        "HEAT_TREATMENT_FURNACE",
        "열처리로",
        "Heat-treatment furnace",
        [
            _item("chamber_temp", "로내 온도", "Chamber temperature", "SAMPLE", "float", "°C", 0, 1300),
            _item("carbon_potential", "탄소 포텐셜", "Carbon potential", "SAMPLE", "float", "%", 0, 2),
            _item("gas_flow", "가스 유량", "Gas flow", "SAMPLE", "float", "m³/h", 0, 200),
            _item("door", "도어 상태", "Door state", "EVENT", "string", allowed=["OPEN", "CLOSED"]),
        ],
    ),
)

# Design cycle times (s per part) of the models that count parts, for OEE performance.
IDEAL_CYCLE_TIMES = {"cnc-lathe": 90.0, "injection-molding": 30.0, "press": 4.0, "vision-inspector": 1.5}

# Technology sub-fields and KSIC divisions of the demo models (the catalogue's models carry their own).
DEMO_TAXONOMY: dict[str, tuple[list[str], list[str]]] = {
    "cnc-lathe": (["AUTO-EQUIP", "CONN-CTRL"], ["C25", "C29", "C30"]),
    "injection-molding": (["AUTO-EQUIP", "INFO-MES"], ["C22", "C26", "C30"]),
    "spot-welder": (["AUTO-EQUIP"], ["C30", "C25"]),
    "press": (["AUTO-EQUIP"], ["C25", "C30"]),
    "air-compressor": (["AUTO-EQUIP", "CONN-SENSOR"], ["C29", "C25", "C22", "C10"]),
    "reflow-oven": (["AUTO-EQUIP"], ["C26", "C28"]),
    "conveyor": (["INFO-LOG"], ["C10", "C22", "C30"]),
    "robot-arm": (["AUTO-ROBOT"], ["C30", "C26", "C29"]),
    "vision-inspector": (["AUTO-VISION", "INTL-AI"], ["C26", "C27", "C30"]),
    "heat-treatment-furnace": (["AUTO-EQUIP"], ["C24", "C25"]),
}

_PROBLEMS = (
    (
        "quality_inspection",
        "computer_vision_cnn",
        "불량 검출",
        "defect detection",
        "vision-inspector",
        "불량률",
        "Defect rate",
        "%",
    ),
    (
        "predictive_maintenance",
        "anomaly_detection",
        "고장 예지",
        "failure prediction",
        "air-compressor",
        "비계획 정지",
        "Unplanned downtime",
        "h",
    ),
    (
        "process_optimization",
        "gradient_boosting",
        "공정 조건 최적화",
        "process parameter optimisation",
        "injection-molding",
        "사이클 타임",
        "Cycle time",
        "s",
    ),
    (
        "energy_optimization",
        "time_series_forecasting",
        "전력 수요 예측",
        "power demand forecasting",
        "air-compressor",
        "에너지 사용량",
        "Energy use",
        "kWh",
    ),
    (
        "quality_inspection",
        "anomaly_detection",
        "용접 불량 예측",
        "weld defect prediction",
        "spot-welder",
        "용접 불량률",
        "Weld defect rate",
        "%",
    ),
    (
        "production_scheduling",
        "optimization_solver",
        "생산 일정 최적화",
        "production scheduling",
        "cnc-lathe",
        "납기 준수율",
        "On-time delivery",
        "%",
    ),
    (
        "demand_forecasting",
        "time_series_forecasting",
        "수요 예측",
        "demand forecasting",
        "conveyor",
        "재고 일수",
        "Inventory days",
        "day",
    ),
    (
        "safety_monitoring",
        "computer_vision_cnn",
        "작업자 안전 감시",
        "worker safety monitoring",
        "robot-arm",
        "안전 사고",
        "Safety incidents",
        "count",
    ),
)


# Where each demo record ends up (n % 25): a few in every state before publication, one sent back with a
# comment, one revised after publication, the rest published; the recent ones have after-care tickets.
DEMO_STATES = {0: "draft", 1: "submitted", 2: "confirmed", 3: "verified", 4: "returned", 5: "revised"}
# Vendors designated specialist companies since 2022 (demo_seed): their later projects run the 8 stages.
DESIGNATED_VENDORS = ("org-vendor-1", "org-vendor-2", "org-vendor-3")
DESIGNATED_SINCE = date(2022, 1, 1)
# Published records of SMEs whose demo telemetry improves at a go-live (odd factories, demo_telemetry):
# their KPIs are measured from the lake after it is loaded (demo_deployments.measure_demo_kpis).
MEASURED = range(8, 24, 2)
TELEMETRY_GO_LIVE = {f"org-sme-{k}": date(2025, 11, 1) + timedelta(days=13 + k % 5) for k in range(1, 25, 2)}


def _programme(support_krw: int, subfield: str) -> str:
    basic = {
        "AUTO-VISION",
        "CONN-SENSOR",
        "CONN-NET",
        "INFO-MES",
        "INFO-LOG",
        "INFO-ERP",
        "INTL-CLOUD",
        "INTL-SEC",
    }
    if support_krw > 200_000_000:
        return "ADVANCED2"
    return "ADVANCED1" if support_krw > 100_000_000 or subfield not in basic else "BASIC"


def _deployment(
    n: int,
    rng: random.Random,
    smes: list[dict[str, Any]],
    vendors: list[dict[str, Any]],
    subfields: list[str],
) -> dict[str, Any]:
    """One demo record: the create body, the state to bring it to, stage delays and after-care tickets."""
    levels = list(ref.SystemLevel)
    sme = smes[n % len(smes)] if n < len(smes) else rng.choice(smes)
    vendor = vendors[n % 7] if n % 25 == 7 else rng.choice(vendors)
    # Gone live about three months ago (inside the after-care period): signed so long before that the
    # completion inspection, the 10th of 12 stages (about 583 days in) or the 6th of 8 (about 319), is then.
    recent = n % 25 in (6, 7)
    historic = date(2019 + n % 6, 1 + rng.randrange(12), 1 + rng.randrange(28))
    into_inspection = 319 if vendor["id"] in DESIGNATED_VENDORS else 583
    signed = date.today() - timedelta(days=90 + into_inspection) if recent else historic
    before = rng.randrange(3)
    after = min(3, before + rng.randint(1, 2))
    sub = ref.SUBFIELD_BY_CODE[rng.sample(sorted(set(vendor["expertise"]) | {rng.choice(subfields)}), 1)[0]]
    support = rng.randrange(20, 400) * 1_000_000
    kpis = [
        {
            "kind": "productivity",
            "baseline": 100.0,
            "after": round(100 + rng.uniform(5, 45), 1),
            "unit": "ea/h",
        },
        {
            "kind": "defect_rate",
            "baseline": round(rng.uniform(2, 8), 2),
            "after": round(rng.uniform(0.5, 2), 2),
            "unit": "%",
        },
    ]
    if n % 3 == 0:
        kpis.append(
            {
                "kind": "energy",
                "baseline": 1000.0,
                "after": round(1000 - rng.uniform(30, 200), 1),
                "unit": "kWh",
            }
        )
    body = {
        "owner_org_id": sme["id"] if n % 2 == 0 else vendor["id"],
        "title": {
            "ko": f"{sme['name']['ko']} {sub.ko} 구축",
            "en": f"{sme['name']['en']} {sub.en} deployment",
        },
        "sme_company_id": sme["id"],
        "sme_name": sme["name"]["ko"],
        "factory": {
            "factory_id": f"factory-{sme['id'].removeprefix('org-')}-a",
            "name": f"{sme['name']['ko']} 제1공장",
            "region_code": sme["region_code"],
            "address": sme["address"],
            "industry_code": sme["industry_code"],
        },
        "supplier_company_ids": [vendor["id"]],
        "solutions": [
            {
                "subfield_code": sub.code,
                "name": {"ko": f"{sub.ko} 솔루션", "en": f"{sub.en} solution"},
                "supplier_company_id": vendor["id"],
            }
        ],
        "level_before": levels[before].value,
        "level_after": levels[after].value,
        "programme_code": _programme(support, sub.code),
        "contract": {"number": f"{signed.year}-SF-{n + 1:04d}", "signed_on": signed.isoformat()},
        "support_amount_krw": support,
        "company_share_krw": support + rng.randrange(0, 50) * 1_000_000,
        "kpis": kpis,
    }
    tickets = []
    if recent:
        for severity, answered, resolved in (
            ("critical", True, True),
            ("major", True, False),
            ("minor", False, False),
        ):
            tickets.append(
                {
                    "ticket": {
                        "title": {"critical": "라인 정지", "major": "리포트 오류", "minor": "화면 개선 요청"}[
                            severity
                        ],
                        "description": f"{sub.ko} 사후관리 요청 ({severity})",
                        "severity": severity,
                    },
                    "answer": "원인 확인 후 조치했습니다" if answered else None,
                    "resolve": resolved,
                }
            )
    # The process the service will apply: designated vendors run the simplified one (since DESIGNATED_SINCE).
    designated = vendor["id"] in DESIGNATED_VENDORS and signed >= DESIGNATED_SINCE
    delays = [rng.randint(-5, 20) for _ in range(12)]
    live = TELEMETRY_GO_LIVE.get(sme["id"]) if n in MEASURED else None
    if live is not None:
        # Its completion inspection ends when the factory's telemetry improves: the KPIs are measured there.
        process = process_for(vendor["id"] in DESIGNATED_VENDORS)
        inspect = next(s for s in planned_stages(process, signed) if s.code == "INSPECT")
        signed = live - (inspect.planned_end - signed)
        body["contract"]["signed_on"] = signed.isoformat()
        designated = process is process_for(True)
        delays[[c for c, _, _ in ref.PROCESS_STAGES[process]].index("INSPECT")] = 0
    body["stages"] = _done_stages(planned_stages(process_for(designated), signed), delays, 1 if recent else 0)
    state = DEMO_STATES.get(n % 25, "published")
    return {
        "body": body,
        "state": state,
        "tickets": tickets,
        "measure_from": live.isoformat() if live else None,
    }


def _done_stages(planned: list[Any], delays: list[int], open_stages: int) -> list[dict[str, Any]]:
    """Each stage started as planned and ended ``delay`` days after its plan; the last ``open_stages`` run."""
    stages = []
    done = len(planned) - open_stages
    for i, (stage, delay) in enumerate(zip(planned, delays, strict=False)):
        row = stage.model_dump(mode="json")
        if i < done:
            end = max(stage.planned_start, stage.planned_end + timedelta(days=delay))
            row |= {"actual_start": row["planned_start"], "actual_end": end.isoformat()}
        elif i == done:
            row["actual_start"] = row["planned_start"]
        stages.append(row)
    return stages


def build_world(
    sme_count: int = 40, vendor_count: int = 20, deployment_count: int = 260, usecase_count: int = 40
) -> DemoWorld:
    rng = random.Random(SEED)
    world = DemoWorld()
    regions = [r.code for r in ref.REGIONS]
    manufacturing = [i.code for i in ref.INDUSTRIES if i.code not in ("C12", "C19", "C34")]
    subfields = [s.code for s in ref.SUBFIELDS]

    for i in range(1, vendor_count + 1):
        ko, en = _VENDOR_NAMES[(i - 1) % len(_VENDOR_NAMES)]
        world.companies.append(
            {
                "id": f"org-vendor-{i}",
                "kind": "vendor",
                "name": {"ko": f"(주){ko}", "en": f"{en} Co., Ltd."},
                "business_registration_number": brn_with_checksum(
                    f"{200 + i:03d}81{rng.randrange(10000):04d}"
                ),
                "representative": rng.choice(_PEOPLE),
                "region_code": regions[(i * 5) % 17],
                "address": None,
                "founded_year": rng.randint(1995, 2021),
                "employees": rng.randint(8, 400),
                "growth_stage": rng.choice([s.value for s in ref.GrowthStage]),
                "expertise": sorted(rng.sample(subfields, rng.randint(1, 3))),
                "capability_level": rng.randint(2, 5),
            }
        )
    for i in range(1, sme_count + 1):
        # each round of stems moves the tails on by one, so no two SMEs share a name (up to stems x tails)
        (stem, stem_en), (tail, tail_en) = (
            _SME_STEMS[(i - 1) % len(_SME_STEMS)],
            _SME_TAILS[(i * 3 + (i - 1) // len(_SME_STEMS)) % len(_SME_TAILS)],
        )
        region = regions[(i - 1) % 17]
        industry = rng.choice(manufacturing)
        company_id = f"org-sme-{i}"
        world.companies.append(
            {
                "id": company_id,
                "kind": "sme",
                "name": {"ko": f"{stem}{tail}(주)", "en": f"{stem_en} {tail_en} Co."},
                "business_registration_number": brn_with_checksum(
                    f"{100 + i:03d}86{rng.randrange(10000):04d}"
                ),
                "representative": rng.choice(_PEOPLE),
                "region_code": region,
                "industry_code": industry,
                "address": f"{ref.REGION_BY_CODE[region].ko} 산업단지로 {rng.randint(1, 300)}",
                "founded_year": rng.randint(1975, 2018),
                "employees": rng.randint(10, 299),
                "growth_stage": ref.GrowthStage.GROWTH.value,
                "expertise": [],
            }
        )
        models = rng.sample([m[0] for m in MODELS], 3)
        world.factories.append(
            (
                company_id,
                {
                    "id": f"factory-sme-{i}-a",
                    "name": f"{stem}{tail} 제1공장",
                    "region_code": region,
                    "industry_code": industry,
                    "address": f"{ref.REGION_BY_CODE[region].ko} 공단로 {rng.randint(1, 99)}",
                    "equipment": [
                        {
                            "equipment_id": f"eq-{i}-{n + 1:02d}",
                            "name": f"{model} #{n + 1}",
                            "model_id": model,
                            "model_version": "1.0.0",
                        }
                        for n, model in enumerate(models)
                    ],
                },
            )
        )

    for model_id, eq_type, ko, en, items in MODELS:
        world.models.append(
            {
                "id": model_id,
                "equipment_type": eq_type,
                "name": {"ko": ko, "en": en},
                "version": "1.0.0",
                "items": items,
                "ideal_cycle_time_s": IDEAL_CYCLE_TIMES.get(model_id),
                "subfields": DEMO_TAXONOMY[model_id][0],
                "industries": DEMO_TAXONOMY[model_id][1],
            }
        )
    # The catalogue of published equipment models written from the public specifications.
    world.models.extend(dict(model) for model in CATALOGUE)

    smes = [c for c in world.companies if c["kind"] == "sme"]
    vendors = [c for c in world.companies if c["kind"] == "vendor"]
    for n in range(deployment_count):
        world.deployments.append(_deployment(n, rng, smes, vendors, subfields))

    model_names = {model["id"]: model["name"] for model in world.models}
    for n in range(usecase_count):
        problem, technique, ko, en, model_id, metric_ko, metric_en, unit = _PROBLEMS[n % len(_PROBLEMS)]
        equipment = model_names[model_id]
        sme = smes[n % len(smes)]
        vendor = vendors[n % len(vendors)]
        effect_before = round(rng.uniform(5, 100), 1)
        # On-time delivery rises; every other effect here is a cost, a loss or a rate that falls.
        rises = metric_en == "On-time delivery"
        factor = rng.uniform(1.05, 1.3) if rises else rng.uniform(0.4, 0.9)
        effect_after = round(min(100.0, effect_before * factor) if unit == "%" else effect_before * factor, 1)
        world.usecases.append(
            {
                "owner_org_id": vendor["id"],
                "title": {"ko": f"{sme['name']['ko']} {ko} AI", "en": f"AI {en} at {sme['name']['en']}"},
                "summary": {
                    "ko": f"{ref.REGION_BY_CODE[sme['region_code']].ko} {sme['name']['ko']}의 {ko} 사례: "
                    f"설비 데이터를 수집해 {with_particle(metric_ko, '을/를')} 개선했습니다.",
                    "en": f"{en.capitalize()} at {sme['name']['en']}: data improved {metric_en.lower()}.",
                },
                "problem_type": problem,
                "technique": technique,
                "equipment_model_refs": [{"model_id": model_id, "version": "1.0.0"}],
                "data_used": [
                    {"ko": f"{equipment['ko']} 설비 데이터", "en": f"{equipment['en']} data"},
                    {"ko": "MES 작업 실적", "en": "MES production records"},
                ],
                "effects": [
                    {
                        "metric": {"ko": metric_ko, "en": metric_en},
                        "unit": unit,
                        "before": effect_before,
                        "after": effect_after,
                        "higher_is_better": rises,
                    }
                ],
                "region_code": sme["region_code"],
                "industry_code": sme["industry_code"],
                "supplier_company_id": vendor["id"],
            }
        )
    return world
