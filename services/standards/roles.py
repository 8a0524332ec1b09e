"""KPI roles of data items: which item of a model version gives the state, the counts, energy, cycle time.

Analytics (availability, performance, quality, OEE, energy per part) find their inputs through these roles,
never through item ids, so one computation serves every equipment model. The rules a role imposes on its
item (data type, unit quantity, category) live here so the schema and the catalogue share them.

Counters (``part_count``, ``good_count``, ``reject_count``, ``energy``) are cumulative: the consumer takes
differences between readings. An ``execution_state`` item is a string whose values are classified by name
with :func:`state_class`; an ``alarm`` item is a CONDITION or EVENT whose non-normal values are alarms.
"""

from __future__ import annotations

from typing import Literal, get_args

from services.kit.messages import Msg
from services.kit.units import UNITS

ItemRole = Literal[
    "execution_state", "part_count", "good_count", "reject_count", "energy", "cycle_time", "alarm"
]
ITEM_ROLES: tuple[str, ...] = get_args(ItemRole)
REPEATABLE_ROLES = frozenset({"alarm"})
"""Roles several items of one version may hold; every other role is held by at most one item."""

StateClass = Literal["running", "idle", "down"]

# PackML's EXECUTE is running; its ABORTED and HELD (stopped by a fault or an internal condition) are down.
RUNNING_STATES = frozenset({"ACTIVE", "RUNNING", "EXECUTING", "EXECUTE", "PRODUCING"})
DOWN_STATES = frozenset(
    {"ALARM", "FAULT", "STOPPED", "INTERRUPTED", "FEED_HOLD", "PROGRAM_STOPPED", "ABORTED", "HELD"}
)
NORMAL_CONDITIONS = frozenset({"NORMAL", "UNAVAILABLE", "OK", "ARMED", "NONE", "CLEAR"})
"""Values of an ``alarm`` item that are not alarms: MTConnect's Normal and Unavailable conditions, an
emergency stop ARMED (ready, not triggered)."""


def state_class(value: str) -> StateClass:
    """Running, idle or down (unplanned stop) for a value of an ``execution_state`` item.

    Names follow MTConnect's Execution (ACTIVE, INTERRUPTED, FEED_HOLD, PROGRAM_STOPPED...) and PackML
    (EXECUTE, HELD, ABORTED, STOPPED); case and surrounding spaces do not matter. Anything not named
    (READY, IDLE, WAIT, SETUP, SUSPENDED...) is idle: the machine is available but not producing.
    """
    name = value.strip().upper()
    if name in RUNNING_STATES:
        return "running"
    if name in DOWN_STATES:
        return "down"
    return "idle"


def is_alarm(value: str) -> bool:
    """True when a value of an ``alarm`` item reports an alarm (anything but normal/unavailable)."""
    return value.strip().upper() not in NORMAL_CONDITIONS


_COUNTERS = frozenset({"part_count", "good_count", "reject_count"})


def role_problem(role: str, *, category: str, data_type: str, unit: str | None) -> Msg | None:
    """Why an item with these properties cannot hold ``role``, or None when it can."""
    numeric = data_type in ("float", "int")
    if role == "execution_state" and data_type != "string":
        return Msg("an execution_state item is a string (its allowed values name the states)")
    if role in _COUNTERS and (not numeric or unit not in (None, "count", "ea")):
        return Msg("a {role} item is a numeric counter in count", role=role)
    if role == "energy" and (not numeric or unit is None or UNITS[unit].quantity != "energy"):
        return Msg("an energy item is a numeric cumulative counter with an energy unit (kWh)")
    if role == "cycle_time" and (not numeric or unit is None or UNITS[unit].quantity != "time"):
        return Msg("a cycle_time item is numeric with a time unit (s)")
    if role == "alarm" and category not in ("CONDITION", "EVENT"):
        return Msg("an alarm item is a CONDITION or an EVENT")
    return None
