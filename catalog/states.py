"""The standards' rules for state and alarm values as SQL, so every engine classifies as the standards do.

``state_class(value)`` answers running / idle / down for an ``execution_state`` value and ``is_alarm(value)``
whether an ``alarm`` item's value is an alarm (``services.standards.roles``, a pure module: no ORM). The
expressions below are generated from that module's own sets of names (``RUNNING_STATES``, ``DOWN_STATES``,
``NORMAL_CONDITIONS``), never a second list, and normalise a value as those functions do: ``str.strip``
(every character Python calls whitespace, ``U+3000`` included) then upper case. They use only functions
DuckDB and Trino share (``trim(value, characters)``, ``upper``, ``chr``), so both engines classify alike
without a call into Python per row; tests/catalog/test_engines_agree.py checks them against the Python rule
on both engines.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.standards.roles import DOWN_STATES, NORMAL_CONDITIONS, RUNNING_STATES

# Every whitespace character is in the Basic Multilingual Plane; spelt with chr() so no control character
# sits in the SQL text.
_WHITESPACE = " || ".join(f"chr({code})" for code in range(0x10000) if chr(code).isspace())


def _name(column: str) -> str:
    return f"upper(trim({column}, {_WHITESPACE}))"


def _listed(names: Iterable[str]) -> str:
    quoted = []
    for name in sorted(names):
        assert name.isascii() and "'" not in name  # the code's own constants, spliced as literals
        quoted.append(f"'{name}'")
    return ", ".join(quoted)


def state_class_sql(column: str) -> str:
    """``state_class`` of a text column: 'running', 'idle' or 'down'."""
    name = _name(column)
    return (
        f"CASE WHEN {name} IN ({_listed(RUNNING_STATES)}) THEN 'running' "
        f"WHEN {name} IN ({_listed(DOWN_STATES)}) THEN 'down' ELSE 'idle' END"
    )


def is_alarm_sql(column: str) -> str:
    """``is_alarm`` of a text column, a boolean."""
    return f"{_name(column)} NOT IN ({_listed(NORMAL_CONDITIONS)})"
