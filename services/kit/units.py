"""Units of measure: canonical symbols and the linear conversions between compatible units.

Every conversion is ``canonical = value * scale + offset`` so telemetry can be normalised column-wise.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnitError(ValueError):
    pass


@dataclass(frozen=True)
class Unit:
    symbol: str
    quantity: str
    scale: float = 1.0  # to the quantity's canonical unit
    offset: float = 0.0


_UNITS: tuple[Unit, ...] = (
    Unit("°C", "temperature"),
    Unit("°F", "temperature", 5 / 9, -32 * 5 / 9),
    Unit("K", "temperature", 1, -273.15),
    Unit("mm", "length"),
    Unit("m", "length", 1000),
    Unit("µm", "length", 0.001),
    Unit("in", "length", 25.4),
    Unit("mm/s", "velocity"),
    Unit("mm/min", "velocity", 1 / 60),
    Unit("m/s", "velocity", 1000),
    Unit("m/min", "velocity", 1000 / 60),
    Unit("bar", "pressure"),
    Unit("kPa", "pressure", 0.01),
    Unit("MPa", "pressure", 10),
    Unit("Pa", "pressure", 1e-5),
    Unit("psi", "pressure", 0.0689476),
    Unit("A", "current"),
    Unit("mA", "current", 0.001),
    Unit("V", "voltage"),
    Unit("mV", "voltage", 0.001),
    Unit("kV", "voltage", 1000),
    Unit("kW", "power"),
    Unit("W", "power", 0.001),
    Unit("MW", "power", 1000),
    Unit("kWh", "energy"),
    Unit("Wh", "energy", 0.001),
    Unit("MWh", "energy", 1000),
    Unit("J", "energy", 1 / 3.6e6),
    Unit("rpm", "rotational_speed"),
    Unit("rad/s", "rotational_speed", 60 / (2 * 3.141592653589793)),
    Unit("Hz", "frequency"),
    Unit("kHz", "frequency", 1000),
    Unit("mm/s²", "acceleration"),
    Unit("m/s²", "acceleration", 1000),
    Unit("g", "acceleration", 9806.65),
    Unit("N", "force"),
    Unit("kN", "force", 1000),
    Unit("N·m", "torque"),
    Unit("kg", "mass"),
    Unit("g_mass", "mass", 0.001),
    Unit("t", "mass", 1000),
    Unit("L/min", "flow"),
    Unit("m³/h", "flow", 1000 / 60),
    Unit("L/h", "flow", 1 / 60),
    Unit("%", "ratio"),
    Unit("ppm", "ratio", 1e-4),
    Unit("%RH", "humidity"),
    Unit("s", "time"),
    Unit("ms", "time", 0.001),
    Unit("min", "time", 60),
    Unit("h", "time", 3600),
    Unit("count", "count"),
    Unit("ea", "count"),
    Unit("dB", "sound_level"),
    Unit("lx", "illuminance"),
)
UNITS: dict[str, Unit] = {u.symbol: u for u in _UNITS}
# Spellings gateways commonly send for the same symbols.
ALIASES: dict[str, str] = {
    "C": "°C",
    "degC": "°C",
    "F": "°F",
    "degF": "°F",
    "RPM": "rpm",
    "r/min": "rpm",
    "Nm": "N·m",
    "m3/h": "m³/h",
    "m/s2": "m/s²",
    "mm/s2": "mm/s²",
    "um": "µm",
}


def canonical_symbol(symbol: str) -> str:
    """The registered symbol for ``symbol`` (aliases resolved), or ``UnitError``."""
    resolved = ALIASES.get(symbol, symbol)
    if resolved not in UNITS:
        raise UnitError(f"unknown unit '{symbol}'")
    return resolved


def converter(from_unit: str, to_unit: str) -> tuple[float, float]:
    """``(scale, offset)`` with ``value_in_to_unit = value_in_from_unit * scale + offset``."""
    src, dst = UNITS[canonical_symbol(from_unit)], UNITS[canonical_symbol(to_unit)]
    if src.quantity != dst.quantity:
        raise UnitError(f"cannot convert {from_unit} ({src.quantity}) to {to_unit} ({dst.quantity})")
    # src -> quantity base -> dst
    scale = src.scale / dst.scale
    offset = (src.offset - dst.offset) / dst.scale
    return scale, offset


def convert(value: float, from_unit: str, to_unit: str) -> float:
    scale, offset = converter(from_unit, to_unit)
    return value * scale + offset


# How a person reads a unit, in Korean and in English: symbols people read as they are (%, °C, kWh, mm)
# are absent and shown as written. Counts and durations are words of the language ("12개", "12 pcs";
# "29일", "29 days"); a Korean unit a record was written with is read the same way ("일" in English is
# "days"). An event count ("count", "건") has no English word: "12 incidents" is said by the metric's name.
_WORDS: dict[str, tuple[str, str]] = {
    "count": ("건", ""),
    "건": ("건", ""),
    "회": ("회", "times"),
    "ea": ("개", "pcs"),
    "개": ("개", "pcs"),
    "pcs": ("개", "pcs"),
    "ea/h": ("개/시간", "pcs/h"),
    "개/시간": ("개/시간", "pcs/h"),
    "kWh/ea": ("kWh/개", "kWh/pc"),
    "day": ("일", "days"),
    "days": ("일", "days"),
    "일": ("일", "days"),
    "h": ("시간", "h"),
    "시간": ("시간", "h"),
    "min": ("분", "min"),
    "분": ("분", "min"),
    "s": ("초", "s"),
    "초": ("초", "s"),
    "month": ("개월", "months"),
    "개월": ("개월", "months"),
    "KRW": ("원", "KRW"),
    "원": ("원", "KRW"),
    "g_mass": ("g", "g"),
}


def in_words(symbol: str | None, lang: str) -> str:
    """``symbol`` as the visitor reads it in ``lang`` ("ko" or "en"); a symbol read as written is itself."""
    if not symbol:
        return ""
    words = _WORDS.get(symbol.strip())
    if words is None:
        return symbol
    return words[0] if lang == "ko" else words[1]
