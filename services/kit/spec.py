"""What a service hands to the gateway: its router, its migrations, its start-up hooks and its warm-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from services.kit.warmup import Step


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    router: APIRouter
    migrations: Path | None = None
    description: str = ""
    startup: list[Callable[[FastAPI], Any]] = field(default_factory=list)
    shutdown: list[Callable[[FastAPI], Any]] = field(default_factory=list)
    # after start-up, before ready, where settings.warmup.enabled (services.kit.warmup): optional work
    warmup: list[Step] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"/api/v1/{self.name}"

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"


Responses = dict[int | str, dict[str, Any]]
"""Type of the ``responses=`` documentation of a route."""
