"""What a platform process holds besides its routes: one typed container per app, made by the app factory.

Invariants:

- ``app.state`` carries one attribute, ``platform`` (an :class:`AppState`); code reaches it through
  :func:`state_of` (given the app) or the ``AppStateDep`` dependency, never by a string of its own.
- What every process has from its creation is an attribute: the settings, the caches, the readiness checks,
  the metrics registry.
- What the lifespan or a service opens (the database, the token verifier, a store, a background task) is
  kept under a :class:`~services.kit.slots.Slot`, a key declared next to the type it holds: the reader gets
  the type the writer put, as mypy sees it. A slot nobody filled is an error naming it (``get``); code that
  works with or without it asks ``find`` and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from services.kit.cache import CACHES, Caches
from services.kit.settings import PlatformSettings
from services.kit.slots import Slots

ReadinessCheck = Callable[[], object]


class AppState(Slots):
    def __init__(self, settings: PlatformSettings, caches: Caches) -> None:
        super().__init__()
        self.settings = settings
        self.readiness: dict[str, ReadinessCheck] = {}  # what /readyz runs, by name
        self.metrics = CollectorRegistry()  # what /metrics shows
        self.put(CACHES, caches)

    @property
    def caches(self) -> Caches:
        """Every cache of the process (services.kit.cache)."""
        return self.get(CACHES)


def install(app: Starlette, state: AppState) -> AppState:
    """Give ``app`` its container (the app factory does, once)."""
    app.state.platform = state
    return state


def state_of(app: Starlette) -> AppState:
    """The container of ``app`` (a FastAPI or Starlette app, or ``request.app``)."""
    found: AppState = app.state.platform
    return found


def app_state(request: Request) -> AppState:
    return state_of(request.app)


AppStateDep = Annotated[AppState, Depends(app_state)]
