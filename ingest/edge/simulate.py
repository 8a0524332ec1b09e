"""Realistic readings for test and demo factories, generated from the published equipment models of the
standards API: smooth signals inside each item's min/max, states and conditions from its allowed values,
counters that only go up."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from ingest.edge.standards import STANDARDS, fetch_version, model_of
from ingest.edge.standards import ModelItem as Item

# Items without bounds still need a plausible range to wander in.
DEFAULT_SPAN = 100.0
# Per second: how often a state, a label or a flag changes, and how often a counter counts.
STATE_CHANGES_PER_S = 0.05
LABEL_CHANGES_PER_S = 0.01
COUNTS_PER_S = 0.5
UNCERTAIN_SHARE = 0.002


@dataclass(frozen=True)
class EquipmentModel:
    model_id: str
    version: str
    items: tuple[Item, ...]


def fetch_models(http: httpx.Client, api: str, only: set[str] | None = None) -> list[EquipmentModel]:
    """The latest published version of every model (or of the named ones), items included."""
    ids: list[tuple[str, str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"{api}{STANDARDS}", params=params)
        page.raise_for_status()
        for model in page.json()["items"]:
            version = model.get("latest_published_version")
            if version and (only is None or model["id"] in only):
                ids.append((model["id"], version))
        cursor = page.json().get("next_cursor")
        if not cursor:
            break
    models = []
    for model_id, version in ids:
        model = model_of(fetch_version(http, api, model_id, version))
        models.append(EquipmentModel(model_id, version, tuple(model.items.values())))
    return models


def _bounds(item: Item) -> tuple[float, float]:
    lo = item.lo if item.lo is not None else (item.hi - DEFAULT_SPAN if item.hi is not None else 0.0)
    hi = item.hi if item.hi is not None else lo + DEFAULT_SPAN
    if item.data_type == "int":
        lo, hi = math.ceil(lo), math.floor(hi)
    return lo, hi


class Walk:
    """Mean-reverting random walk (Ornstein-Uhlenbeck) around a set point: smooth, noisy, never out of range.
    Scaled by the time step so a signal looks alike at any sampling rate."""

    def __init__(self, item: Item, rng: random.Random, dt: float) -> None:
        self.lo, self.hi = _bounds(item)
        self.integer = item.data_type == "int"
        span = self.hi - self.lo
        self.setpoint = self.lo + span * rng.uniform(0.35, 0.65)
        self.value = self.setpoint
        self.pull, self.noise = min(1.0, 0.2 * dt), span * 0.02 * math.sqrt(dt)

    def next(self, rng: random.Random) -> Any:
        self.value += self.pull * (self.setpoint - self.value) + rng.gauss(0.0, self.noise)
        self.value = min(self.hi, max(self.lo, self.value))
        return round(self.value) if self.integer else round(self.value, 3)


class Counter:
    """Part counts and the like: starts low, goes up by one now and then, reported when it changes."""

    def __init__(self, item: Item, rng: random.Random, dt: float) -> None:
        self.lo, self.hi = _bounds(item)
        self.value = int(self.lo + rng.randrange(100))
        self.chance = min(1.0, COUNTS_PER_S * dt)
        self.reported = False

    def next(self, rng: random.Random) -> Any:
        if self.reported and (rng.random() >= self.chance or self.value >= self.hi):
            return None
        self.reported = True
        self.value = min(int(self.hi), self.value + 1)
        return self.value


class Choice:
    """A state, condition, label or flag: holds for a while, then changes; reported when it changes. The
    first allowed value is the usual one (RUNNING, normal), the others are excursions from it."""

    def __init__(self, values: list[Any], changes_per_s: float, dt: float) -> None:
        self.values, self.chance = values, min(1.0, changes_per_s * dt)
        self.current: Any = None

    def next(self, rng: random.Random) -> Any:
        if self.current is not None and rng.random() >= self.chance:
            return None
        usual, others = self.values[0], [v for v in self.values[1:] if v != self.current]
        self.current = usual if self.current != usual or not others else rng.choice(others)
        return self.current


def _signal(item: Item, rng: random.Random, dt: float) -> Walk | Counter | Choice:
    if item.data_type == "string":
        if item.allowed:
            return Choice(list(item.allowed), STATE_CHANGES_PER_S, dt)
        return Choice([f"O{n:04d}" for n in rng.sample(range(1000, 10000), 5)], LABEL_CHANGES_PER_S, dt)
    if item.data_type == "bool":
        return Choice([False, True], STATE_CHANGES_PER_S, dt)
    if item.data_type == "int" and item.category == "EVENT":
        return Counter(item, rng, dt)
    return Walk(item, rng, dt)


class Machine:
    def __init__(
        self, factory_id: str, equipment_id: str, model: EquipmentModel, rng: random.Random, dt: float
    ) -> None:
        self.factory_id, self.equipment_id, self.model, self.rng = factory_id, equipment_id, model, rng
        self.signals = [(item, _signal(item, rng, dt)) for item in model.items]

    def readings(self, ts: str) -> list[dict[str, Any]]:
        out = []
        for item, signal in self.signals:
            value = signal.next(self.rng)
            if value is None:
                continue
            out.append(
                {
                    "equipment_id": self.equipment_id,
                    "model_id": self.model.model_id,
                    "model_version": self.model.version,
                    "item_id": item.item_id,
                    "ts": ts,
                    "value": value,
                    "unit": item.unit,
                    "quality": "uncertain" if self.rng.random() < UNCERTAIN_SHARE else "good",
                }
            )
        return out


def plan(
    factories: list[str], machines: int, models: list[EquipmentModel], rate: float, seed: int | None = None
) -> list[Machine]:
    """``machines`` per factory, the models dealt round-robin (shifted per factory, so factories differ)."""
    rng = random.Random(seed)
    fleet = []
    for f, factory_id in enumerate(factories):
        for m in range(machines):
            model = models[(f + m) % len(models)]
            machine_rng = random.Random(rng.getrandbits(64))
            fleet.append(Machine(factory_id, f"{model.model_id}-{m + 1:02d}", model, machine_rng, 1.0 / rate))
    return fleet


def run(
    fleet: list[Machine],
    *,
    rate: float,
    duration_s: float,
    backfill: bool,
    sink: Callable[[str, dict[str, Any]], None],
    on_tick: Callable[[], None],
) -> int:
    """Sample every machine ``rate`` times a second for ``duration_s``: in real time, or (backfill) for the
    last ``duration_s`` at once. Returns how many readings were made."""
    dt = 1.0 / rate
    ticks = max(1, round(duration_s * rate))
    start_wall, start_mono = time.time() - (duration_s if backfill else 0.0), time.monotonic()
    made = 0
    for tick in range(ticks):
        if not backfill:
            time.sleep(max(0.0, start_mono + tick * dt - time.monotonic()))
        ts = datetime.fromtimestamp(start_wall + tick * dt).astimezone().isoformat(timespec="milliseconds")
        for machine in fleet:
            for reading in machine.readings(ts):
                sink(machine.factory_id, reading)
                made += 1
        on_tick()
    return made
