"""The standards' rules for state and alarm values, as DuckDB functions, so SQL classifies with the same code.

``state_class(value)`` answers running / idle / down for an ``execution_state`` value and ``is_alarm(value)``
whether an ``alarm`` item's value is an alarm (``services.standards.roles``, a pure module: no ORM). A Python
scalar function is slow per row, but these items change state, they are not sampled: few rows reach them.
"""

from __future__ import annotations

import duckdb
from duckdb.sqltypes import BOOLEAN, VARCHAR

from services.standards.roles import is_alarm, state_class


def register_role_functions(db: duckdb.DuckDBPyConnection) -> None:
    """Functions live in the database's catalog: registered once, every cursor of ``db`` sees them."""
    db.create_function("state_class", state_class, [VARCHAR], VARCHAR, side_effects=False)
    db.create_function("is_alarm", is_alarm, [VARCHAR], BOOLEAN, side_effects=False)
