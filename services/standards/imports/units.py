"""Unit spellings of the source standards mapped to the platform's unit symbols (services.kit.units).

MTConnect writes units as words (``MILLIMETER/SECOND``, Part 2 "units" and "nativeUnits"); OPC UA writes an
EUInformation with a display name and a UNECE Recommendation 20 code packed into ``UnitId`` (the code's
ASCII bytes read as a big-endian integer: ``CEL`` -> 4408652).
"""

from __future__ import annotations

from services.kit.units import UnitError, canonical_symbol

MTCONNECT_UNITS = {
    "CELSIUS": "°C",
    "KELVIN": "K",
    "MILLIMETER": "mm",
    "MICROMETER": "µm",
    "METER": "m",
    "MILLIMETER/SECOND": "mm/s",
    "METER/SECOND": "m/s",
    "MILLIMETER/SECOND^2": "mm/s²",
    "METER/SECOND^2": "m/s²",
    "GRAVITATIONAL_ACCELERATION": "g",
    "PASCAL": "Pa",
    "AMPERE": "A",
    "VOLT": "V",
    "WATT": "W",
    "KILOWATT": "kW",
    "WATT_SECOND": "J",
    "KILOWATT_HOUR": "kWh",
    "JOULE": "J",
    "REVOLUTION/MINUTE": "rpm",
    "HERTZ": "Hz",
    "NEWTON": "N",
    "NEWTON_METER": "N·m",
    "KILOGRAM": "kg",
    "GRAM": "g_mass",
    "LITER/MINUTE": "L/min",
    "PERCENT": "%",
    "PART_PER_MILLION": "ppm",
    "SECOND": "s",
    "MINUTE": "min",
    "HOUR": "h",
    "COUNT": "count",
    "DECIBEL": "dB",
    "LUX": "lx",
    "FAHRENHEIT": "°F",
    "INCH": "in",
    "POUND/INCH^2": "psi",
    "BAR": "bar",
}

_UNECE = {
    "CEL": "°C",
    "FAH": "°F",
    "KEL": "K",
    "MMT": "mm",
    "MTR": "m",
    "4H": "µm",
    "INH": "in",
    "C16": "mm/s",
    "MTS": "m/s",
    "2X": "m/min",
    "BAR": "bar",
    "KPA": "kPa",
    "MPA": "MPa",
    "PAL": "Pa",
    "PS": "psi",
    "AMP": "A",
    "4K": "mA",
    "VLT": "V",
    "2Z": "mV",
    "KVT": "kV",
    "WTT": "W",
    "KWT": "kW",
    "MAW": "MW",
    "WHR": "Wh",
    "KWH": "kWh",
    "MWH": "MWh",
    "JOU": "J",
    "RPM": "rpm",
    "HTZ": "Hz",
    "KHZ": "kHz",
    "NEW": "N",
    "B47": "kN",
    "NU": "N·m",
    "KGM": "kg",
    "GRM": "g_mass",
    "TNE": "t",
    "L2": "L/min",
    "MQH": "m³/h",
    "P1": "%",
    "59": "ppm",
    "SEC": "s",
    "C26": "ms",
    "MIN": "min",
    "HUR": "h",
    "C62": "count",
    "2N": "dB",
    "LUX": "lx",
}
UNECE_BY_ID = {int.from_bytes(code.encode(), "big"): symbol for code, symbol in _UNECE.items()}


def unit_of(text: str) -> str | None:
    """The platform symbol for a unit a person types at an import: a UNECE code (``RPM``, ``CEL``) or a
    unit symbol or alias (``rpm``, ``°C``)."""
    return _UNECE.get(text.strip()) or platform_unit(text)


def platform_unit(text: str | None) -> str | None:
    """The registered symbol for a unit spelled ``text`` (its own symbol, an alias or an MTConnect word)."""
    if not text:
        return None
    word = MTCONNECT_UNITS.get(text.strip().upper())
    if word:
        return word
    try:
        return canonical_symbol(text.strip())
    except UnitError:
        return None
