"""Demo telemetry: 30 days of one-minute readings of the demo factories' equipment: a lake never empty.

Deterministic (seeded per equipment), model-agnostic (items are generated from their KPI roles and ranges,
``services.standards.roles``) and self-consistent: every equipment runs a state machine (running, idle,
stopped, alarm); parts are made only while running at the model's ideal cycle time times a performance
factor; rejects are a share of those parts; energy is drawn by state. Factories with an odd number get a
visible improvement at their go-live (:func:`go_live`): fewer and shorter stops, fewer rejects, faster cycles.

Written as bulk Arrow straight into the readings table with the lake's append primitives
(``catalog.appends``), all files in **one** snapshot marked ``smartmfg.demo-telemetry``: either the whole
demo is in the lake or none of it, and a second run finds the mark and does nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table
from tqdm import tqdm

from catalog.appends import offsets_property, split, table_offsets, write
from catalog.lake import Lake
from platform_api.demo_data import DemoWorld, build_world
from services.kit import arrow

MARK = "smartmfg.demo-telemetry"
START = datetime(2025, 11, 1, tzinfo=UTC)
DAYS = 30
FACTORIES = 24
STATES = ("RUNNING", "IDLE", "STOPPED", "ALARM")
COUNTERS = ("part_count", "good_count", "reject_count", "energy")


def telemetry_factories(world: DemoWorld, count: int = FACTORIES) -> list[tuple[str, dict[str, Any]]]:
    """The demo factories that send telemetry: the first ``count`` (every 시·도 is among the first 17)."""
    return world.factories[:count]


def go_live(factory_id: str, start: datetime = START, days: int = DAYS) -> datetime | None:
    """When the factory's smart-factory project went live inside the window (odd-numbered demo SMEs), or
    None. KPIs measured from [start, go_live) and [go_live, end) show the improvement."""
    number = int(factory_id.split("-")[2])
    if number % 2 == 0:
        return None
    return start + timedelta(days=days // 2 - 2 + number % 5)


@dataclass(frozen=True)
class Behaviour:
    """How an equipment runs: mean minutes per state, share of stops after a run, quality and speed."""

    run_mean: float
    idle_mean: float
    down_mean: float
    stop_share: float
    reject_rate: float
    performance: float

    @classmethod
    def of(cls, rng: np.random.Generator) -> Behaviour:
        return cls(
            run_mean=rng.uniform(70, 140),
            idle_mean=rng.uniform(10, 30),
            down_mean=rng.uniform(15, 40),
            stop_share=rng.uniform(0.25, 0.4),
            reject_rate=rng.uniform(0.02, 0.06),
            performance=rng.uniform(0.78, 0.9),
        )

    def improved(self) -> Behaviour:
        """After go-live: longer runs, shorter and rarer stops, fewer rejects, faster cycles."""
        return Behaviour(
            run_mean=self.run_mean * 1.5,
            idle_mean=self.idle_mean * 0.7,
            down_mean=self.down_mean * 0.6,
            stop_share=self.stop_share * 0.5,
            reject_rate=self.reject_rate * 0.4,
            performance=min(0.98, self.performance * 1.08),
        )


def _states(rng: np.random.Generator, minutes: int, before: Behaviour, after: Behaviour, switch: int) -> Any:
    """The state of every minute (indices of STATES), from alternating runs and idle or down spells."""
    out = np.empty(minutes, dtype=np.int8)
    t, state = 0, 0
    while t < minutes:
        b = before if t < switch else after
        mean = (b.run_mean, b.idle_mean, b.down_mean, b.down_mean)[state]
        length = max(1, int(rng.exponential(mean)))
        out[t : t + length] = state
        t += length
        stops = state == 0 and rng.random() < b.stop_share  # a run ends in a stop or an idle spell
        state = (2 + int(rng.random() < 0.4)) if stops else (1 if state == 0 else 0)
    return out


def _cumulative(rng: np.random.Generator, per_minute: Any) -> Any:
    return float(rng.integers(1_000, 100_000)) + np.cumsum(per_minute)


def equipment_readings(
    factory_id: str,
    org_id: str,
    equipment: dict[str, Any],
    model: dict[str, Any],
    start: datetime = START,
    days: int = DAYS,
) -> pa.Table:
    """Every reading of one equipment over the window, in the lake's schema."""
    rng = np.random.default_rng(zlib.crc32(f"{factory_id}/{equipment['equipment_id']}".encode()))
    minutes = days * 24 * 60
    live = go_live(factory_id, start, days)
    switch = minutes if live is None else int((live - start).total_seconds() // 60)
    before = Behaviour.of(rng)
    after = before if live is None else before.improved()
    state = _states(rng, minutes, before, after, switch)
    running = state == 0
    late = np.arange(minutes) >= switch
    perf = np.where(late, after.performance, before.performance)
    rejects_rate = np.where(late, after.reject_rate, before.reject_rate)
    ict = float(model.get("ideal_cycle_time_s") or 60.0)
    parts = rng.poisson(np.where(running, 60.0 / ict * perf, 0.0))
    rejects = rng.binomial(parts, rejects_rate)
    kw = rng.uniform(5, 40)
    draw = np.choose(state, [kw, kw * 0.3, kw * 0.05, kw * 0.05]) * np.where(late, 0.92, 1.0) / 60
    series: dict[str, tuple[Any, Any, Any]] = {}  # item id -> (minute indices, numbers, texts)
    every = np.arange(minutes)
    changes = np.flatnonzero(np.diff(state, prepend=-1))
    sampled = False
    for item in model["items"]:
        role, item_id = item.get("role"), item["id"]
        if role == "execution_state":
            series[item_id] = (changes, None, np.array(STATES, dtype=object)[state[changes]])
        elif role == "alarm":
            alarm = state >= 2
            edges = np.flatnonzero(np.diff(alarm.astype(np.int8), prepend=-1))
            series[item_id] = (edges, None, np.where(alarm[edges], "fault", "normal").astype(object))
        elif role == "part_count":
            series[item_id] = (every, _cumulative(rng, parts), None)
        elif role == "reject_count":
            series[item_id] = (every, _cumulative(rng, rejects), None)
        elif role == "good_count":
            series[item_id] = (every, _cumulative(rng, parts - rejects), None)
        elif role == "energy":
            series[item_id] = (
                every,
                np.round(_cumulative(rng, draw * rng.uniform(0.95, 1.05, minutes)), 3),
                None,
            )
        elif role == "cycle_time":
            on = np.flatnonzero(running)
            series[item_id] = (on, np.round(ict / perf[on] * rng.normal(1, 0.03, len(on)), 2), None)
        elif not sampled and item["category"] == "SAMPLE" and item["data_type"] == "float" and "max" in item:
            sampled = True  # one process value per equipment keeps the demo lake small
            lo, hi = float(item["min"]), float(item["max"])
            level = np.choose(state, [0.55, 0.15, 0.0, 0.0]) * (hi - lo)
            values = np.clip(lo + level * rng.normal(1, 0.04, minutes), lo, hi)
            series[item_id] = (every, np.round(values, 2), None)
    return _table(factory_id, org_id, equipment, model, start, series)


def _table(
    factory_id: str,
    org_id: str,
    equipment: dict[str, Any],
    model: dict[str, Any],
    start: datetime,
    series: dict[str, tuple[Any, Any, Any]],
) -> pa.Table:
    units = {item["id"]: item.get("unit") for item in model["items"]}
    parts = []
    base_us = int(start.timestamp() * 1_000_000)
    for item_id, (minute, numbers, texts) in series.items():
        n = len(minute)
        ts = pa.array(base_us + minute.astype(np.int64) * 60_000_000, pa.int64()).cast(arrow.UTC_US)
        columns = {
            "factory_id": arrow.constant(factory_id, n),
            "org_id": arrow.constant(org_id, n),
            "equipment_id": arrow.constant(equipment["equipment_id"], n),
            "model_id": arrow.constant(model["id"], n),
            "model_version": arrow.constant(model["version"], n),
            "item_id": arrow.constant(item_id, n),
            "ts": ts,
            "value_num": pa.array(numbers, pa.float64())
            if numbers is not None
            else pa.nulls(n, pa.float64()),
            "value_text": arrow.as_dictionary(pa.array(texts, pa.string()))
            if texts is not None
            else arrow.constant(None, n),
            "unit": arrow.constant(units.get(item_id), n),
            "quality": arrow.constant("good", n),
            "batch_key": arrow.constant(f"demo/{factory_id}/{equipment['equipment_id']}", n),
            "ingested_at": pc.add(ts, pa.scalar(timedelta(seconds=2))),
        }
        parts.append(pa.table(columns))
    return pa.concat_tables(parts, promote_options="permissive").unify_dictionaries()


def readings_by_model(world: DemoWorld, count: int = FACTORIES) -> Iterator[tuple[str, pa.Table]]:
    """All demo readings, one model at a time (one model's rows fit in memory; all of them might not), in
    factory, equipment, item and time order, so each file's statistics prune by factory."""
    models = {m["id"]: m for m in world.models}
    fleet: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for company_id, factory in telemetry_factories(world, count):
        for equipment in factory["equipment"]:
            fleet.setdefault(equipment["model_id"], []).append((factory["id"], company_id, equipment))
    for model_id in sorted(fleet):
        tables = [equipment_readings(f, org, eq, models[model_id]) for f, org, eq in fleet[model_id]]
        yield model_id, pa.concat_tables(tables, promote_options="permissive").unify_dictionaries()


def already_loaded(table: Table) -> bool:
    return any(s.summary is not None and MARK in s.summary.additional_properties for s in table.snapshots())


def load(lake: Lake, world: DemoWorld | None = None, count: int = FACTORIES) -> int:
    """Write the demo readings in one snapshot unless they are there; returns the rows written now."""
    lake.ensure_tables()
    table = lake.readings()
    if already_loaded(table):
        return 0
    world = world or build_world()
    files, rows = [], 0
    models = sorted({eq["model_id"] for _, f in telemetry_factories(world, count) for eq in f["equipment"]})
    with tqdm(total=len(models), desc="seed telemetry", unit="model") as progress:
        for model_id, readings in readings_by_model(world, count):
            progress.set_postfix(model=model_id, rows=rows)
            for partition, part in split(table, readings):
                files.append(write(table, partition, [part]))
            rows += readings.num_rows
            progress.update()
    for _ in range(5):  # a lake writer may commit meanwhile: carry its newest offsets and try again
        try:
            with (
                table.transaction() as transaction,
                transaction.update_snapshot(snapshot_properties=_properties(table)).fast_append() as append,
            ):
                for data_file in files:
                    append.append_data_file(data_file)
            return rows
        except CommitFailedException:
            table = lake.readings()
    raise RuntimeError("could not commit the demo telemetry: the readings table kept changing")


def _properties(table: Table) -> dict[str, str]:
    """The mark, and the bus offsets of the current snapshot unchanged (the lake writers resume from them)."""
    return {MARK: f"{START.date()}+{DAYS}d"} | offsets_property(table_offsets(table))
