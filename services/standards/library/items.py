"""Builders of catalogue data items, each carrying the public specification it comes from.

An item names its MTConnect data item type (MTConnect Standard Part 2, Devices Information Model), the
OPC UA companion specification node that holds the same value, and the ISO 22400-2 variable it feeds, when
there is one. ``source`` is composed from those names, so a mapping and its citation never disagree.

semantic_id stays empty unless an identifier was verified against the dictionary that owns it: ECLASS is
licensed, and an invented IRDI is worse than none (search by semantic id would find wrong things).
"""

from __future__ import annotations

from typing import Any

# OPC UA companion specifications cited by the catalogue (OPC Foundation numbering).
UA_SPECS = {
    "MACHINERY": "OPC 40001-1 Machinery",
    "MT": "OPC 40501-1 Machine Tools",
    "E77": "OPC 40077 EUROMAP 77 (Plastics & Rubber, injection moulding)",
    "E83": "OPC 40083 EUROMAP 83 (Plastics & Rubber, general types)",
    "E84": "OPC 40084 EUROMAP 84 (Plastics & Rubber, extrusion)",
    "ROBOTICS": "OPC 40010-1 Robotics",
    "PACKML": "OPC 30050 PackML (ISA-TR88.00.02)",
    "ECM": "OPC 34100 Energy Consumption Management",
    "MV": "OPC 40100 Machine Vision",
}
# ISO 22400-2 KPI variables an item feeds.
ISO_22400 = {
    "PQ": "ISO 22400-2 PQ produced quantity",
    "GQ": "ISO 22400-2 GQ good quantity",
    "SQ": "ISO 22400-2 SQ scrap quantity",
    "PRI": "ISO 22400-2 PRI planned run time per item",
    "ADOT": "ISO 22400-2 ADOT actual unit down time",
    "EC": "ISO 22400-2 energy consumption (EC)",
}


def item(
    item_id: str,
    ko: str,
    en: str,
    category: str,
    data_type: str,
    unit: str | None = None,
    lo: float | None = None,
    hi: float | None = None,
    *,
    mt: str | None = None,
    mt_sub: str | None = None,
    ua: tuple[str, str] | None = None,
    iso: str | None = None,
    allowed: list[str] | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """One data item; ``ua`` is ``(spec key of UA_SPECS, browse path)``, ``iso`` a key of ISO_22400."""
    body: dict[str, Any] = {
        "id": item_id,
        "name": {"ko": ko, "en": en},
        "category": category,
        "data_type": data_type,
    }
    if unit is not None:
        body["unit"] = unit
    if lo is not None:
        body["min"] = lo
    if hi is not None:
        body["max"] = hi
    if allowed:
        body["allowed_values"] = allowed
    if role:
        body["role"] = role
    mappings: dict[str, str] = {}
    sources: list[str] = []
    if mt:
        mappings["mtconnect_type"] = mt
        if mt_sub:
            mappings["mtconnect_sub_type"] = mt_sub
        sources.append(f"MTConnect {category} {mt}{'/' + mt_sub if mt_sub else ''}")
    if ua:
        spec, path = ua
        mappings["opcua_browse_name"] = path
        sources.append(f"{UA_SPECS[spec]} {path.rsplit('/', 1)[-1]}")
    if iso:
        sources.append(ISO_22400[iso])
    if mappings:
        body["mappings"] = mappings
    if sources:
        body["source"] = "; ".join(sources)[:200]
    return body


# Execution states in MTConnect's EXECUTION vocabulary; the first is the usual one (simulators start there).
MTC_EXECUTION = ["ACTIVE", "READY", "INTERRUPTED", "FEED_HOLD", "STOPPED", "PROGRAM_STOPPED", "WAIT"]
# The demo world's original four states, kept so its telemetry stays valid.
DEMO_STATES = ["RUNNING", "IDLE", "STOPPED", "ALARM"]
# PackML states (ISA-TR88.00.02), upper-cased.
PACKML_STATES = [
    "EXECUTE",
    "IDLE",
    "STARTING",
    "COMPLETE",
    "SUSPENDED",
    "HELD",
    "STOPPED",
    "ABORTED",
    "RESETTING",
]
# MTConnect's Normal / Warning / Fault condition levels, spelled as the demo world always sent them.
CONDITION = ["normal", "warning", "fault"]


def execution(
    values: list[str] | None = None,
    *,
    item_id: str = "execution",
    mt: str = "EXECUTION",
    ua: tuple[str, str] = ("MACHINERY", "Monitoring/MachineryItemState/CurrentState"),
) -> dict[str, Any]:
    return item(
        item_id,
        "가동 상태",
        "Execution state",
        "EVENT",
        "string",
        mt=mt,
        ua=ua,
        allowed=values or MTC_EXECUTION,
        role="execution_state",
    )


def packml_state() -> dict[str, Any]:
    return execution(PACKML_STATES, item_id="state", mt="EXECUTION", ua=("PACKML", "Status/StateCurrent"))


def operation_mode(values: list[str] | None = None) -> dict[str, Any]:
    return item(
        "operation_mode",
        "운전 모드",
        "Operation mode",
        "EVENT",
        "string",
        mt="CONTROLLER_MODE",
        ua=("MACHINERY", "Monitoring/MachineryOperationMode/CurrentState"),
        allowed=values or ["AUTOMATIC", "SEMI_AUTOMATIC", "MANUAL", "SETUP", "MAINTENANCE"],
    )


def part_count(
    *,
    item_id: str = "part_count",
    ko: str = "생산 수량",
    en: str = "Part count",
    ua: tuple[str, str] | None = None,
) -> dict[str, Any]:
    return item(
        item_id, ko, en, "EVENT", "int", "count", 0, 1e9, mt="PART_COUNT", mt_sub="ALL", ua=ua, iso="PQ",
        role="part_count",
    )  # fmt: skip


def good_count(ua: tuple[str, str] | None = None) -> dict[str, Any]:
    return item(
        "good_count", "양품 수량", "Good part count", "EVENT", "int", "count", 0, 1e9, mt="PART_COUNT",
        mt_sub="GOOD", ua=ua, iso="GQ", role="good_count",
    )  # fmt: skip


def reject_count(ua: tuple[str, str] | None = None) -> dict[str, Any]:
    return item(
        "reject_count", "불량 수량", "Rejected part count", "EVENT", "int", "count", 0, 1e9, mt="PART_COUNT",
        mt_sub="BAD", ua=ua, iso="SQ", role="reject_count",
    )  # fmt: skip


def cycle_time(hi: float = 3600, *, ua: tuple[str, str] | None = None) -> dict[str, Any]:
    return item(
        "cycle_time", "사이클 타임", "Cycle time", "SAMPLE", "float", "s", 0, hi, mt="PROCESS_TIMER",
        mt_sub="PROCESS", ua=ua, iso="PRI", role="cycle_time",
    )  # fmt: skip


def energy(*, item_id: str = "energy") -> dict[str, Any]:
    return item(
        item_id, "누적 전력량", "Energy (cumulative)", "SAMPLE", "float", "kWh", 0, 1e9,
        mt="ELECTRICAL_ENERGY", ua=("ECM", "AcActiveEnergyTotalImportLp"), iso="EC", role="energy",
    )  # fmt: skip


def power(hi: float, *, item_id: str = "power") -> dict[str, Any]:
    return item(
        item_id, "유효 전력", "Active power", "SAMPLE", "float", "kW", 0, hi, mt="WATTAGE",
        ua=("ECM", "AcActivePowerTotal"),
    )  # fmt: skip


def alarm(
    item_id: str = "system_alarm",
    ko: str = "설비 경보",
    en: str = "System condition",
    *,
    mt: str = "SYSTEM",
    values: list[str] | None = None,
    ua: tuple[str, str] | None = ("MACHINERY", "Notification/Messages"),
) -> dict[str, Any]:
    return item(
        item_id, ko, en, "CONDITION", "string", mt=mt, ua=ua, allowed=values or CONDITION, role="alarm"
    )


def emergency_stop(ua: tuple[str, str] | None = None) -> dict[str, Any]:
    return item(
        "emergency_stop", "비상 정지", "Emergency stop", "EVENT", "string", mt="EMERGENCY_STOP", ua=ua,
        allowed=["ARMED", "TRIGGERED"], role="alarm",
    )  # fmt: skip


def temperature(
    item_id: str, ko: str, en: str, lo: float, hi: float, *, ua: tuple[str, str] | None = None
) -> dict[str, Any]:
    return item(item_id, ko, en, "SAMPLE", "float", "°C", lo, hi, mt="TEMPERATURE", ua=ua)


def pressure(
    item_id: str, ko: str, en: str, hi: float, *, lo: float = 0, ua: tuple[str, str] | None = None
) -> dict[str, Any]:
    return item(item_id, ko, en, "SAMPLE", "float", "bar", lo, hi, mt="PRESSURE", ua=ua)


def current(
    item_id: str, ko: str, en: str, hi: float, *, ua: tuple[str, str] | None = None
) -> dict[str, Any]:
    return item(item_id, ko, en, "SAMPLE", "float", "A", 0, hi, mt="AMPERAGE", mt_sub="ACTUAL", ua=ua)


def vibration(
    item_id: str = "vibration", ko: str = "진동 속도", en: str = "Vibration velocity"
) -> dict[str, Any]:
    return item(
        item_id, ko, en, "SAMPLE", "float", "mm/s", 0, 50, mt="VELOCITY"
    )  # fmt: skip


def program() -> dict[str, Any]:
    return item(
        "program", "실행 프로그램", "Active program", "EVENT", "string", mt="PROGRAM",
        ua=("MT", "Production/ActiveProgram/Name"),
    )  # fmt: skip
