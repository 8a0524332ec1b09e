"""Typed keys for what a platform process holds, and the holder they index (``services.kit.app_state``).

Apart so that the kit's lowest modules (the database session, the token check, the caches) can declare and
read their slot without importing the app state, which imports them.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from starlette.applications import Starlette

T = TypeVar("T")


class Slot(Generic[T]):
    """A typed key: ``DATABASE: Slot[Database] = Slot("database")``, declared next to the type it holds."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class Slots:
    def __init__(self) -> None:
        self._slots: dict[Slot[Any], Any] = {}

    def put(self, slot: Slot[T], value: T) -> T:
        self._slots[slot] = value
        return value

    def get(self, slot: Slot[T]) -> T:
        """The value put under ``slot``; an error naming it when the process did not make one."""
        if slot not in self._slots:
            raise LookupError(f"{slot.name} is not made by this process (not started, or not its service)")
        return cast(T, self._slots[slot])

    def find(self, slot: Slot[T]) -> T | None:
        """The value put under ``slot``, or None: for code that runs with or without it."""
        return cast(T | None, self._slots.get(slot))

    def pop(self, slot: Slot[T]) -> T | None:
        return cast(T | None, self._slots.pop(slot, None))


def slots_of(app: Starlette) -> Slots:
    """The slots of ``app`` (its ``AppState``), for the modules ``services.kit.app_state`` imports."""
    found: Slots = app.state.platform
    return found
