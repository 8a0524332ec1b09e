"""ISO 22400-2 KPIs of equipment and factories, computed from the readings of the items' KPI roles.

No model-specific code: an equipment model's version says which item plays which role (``execution_state``,
``part_count``, ``good_count``, ``reject_count``, ``energy``, ``alarm``; ``services.standards.roles``) and its
ideal cycle time; one SQL query turns the readings of those items into the ISO 22400-2 time and quantity
elements of each equipment (work unit) per bucket, and :class:`Inputs` turns summed elements into KPIs.

Invariants (docs/analytics.md, "KPIs", writes the formulas out):
- a state (or alarm condition) holds from its reading until the next reading of the same item, or the end of
  the queried range; a reading up to ``LOOKBACK`` before a bucket carries its state into the bucket;
- counters are cumulative: a bucket gets the increments of the readings in it over the previous reading of
  the item (a drop is a counter reset: the new value is the increment); energy is converted to kWh;
- the answer depends only on the files of one snapshot: the same snapshot gives the same figures;
- the SQL is written once for both engines (``catalog.engines``): the role table and the buckets arrive as
  parallel arrays (``SqlEngine.unnest``), states are classified by expressions generated from the standards'
  rule (``catalog.states``), and the table is read at the plan's snapshot (``SqlEngine.source``), raw
  readings or the daily rollup alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pyiceberg.expressions import And, BooleanExpression, GreaterThanOrEqual, LessThan

from catalog.engines import ColumnType, SqlEngine
from catalog.query import QueryEngine, ReadingFilter, ScanPlan, Scope
from catalog.states import is_alarm_sql, state_class_sql
from services.kit.kpi_vocabulary import KPIS, TelemetryKpi
from services.kit.units import UNITS
from services.standards.roles import is_alarm, state_class

# The KPIs by their shared names (services.kit.kpi_vocabulary owns them, with labels, units, directions).
Kpi = TelemetryKpi
BucketWidth = Literal["hour", "day", "week", "month"]
LOOKBACK = timedelta(days=1)
COUNTER_ROLES = ("part_count", "good_count", "reject_count", "energy")


@dataclass(frozen=True)
class ModelRoles:
    """The KPI roles of one published model version: (item id, role, scale to the canonical unit)."""

    model_id: str
    version: str
    items: tuple[tuple[str, str, float], ...]
    ideal_cycle_time_s: float | None = None

    @classmethod
    def from_version(cls, doc: dict[str, Any]) -> ModelRoles:
        """From a version document of the standards API (``GET /api/v1/standards/{id}/versions/{v}``)."""
        items = []
        for item in doc.get("items", []):
            role = item.get("role")
            if role is None:
                continue
            unit = item.get("unit")
            scale = UNITS[unit].scale if role == "energy" and unit in UNITS else 1.0
            items.append((item["id"], role, scale))
        ict = doc.get("ideal_cycle_time_s")
        return cls(doc["model_id"], doc["version"], tuple(items), float(ict) if ict else None)


@dataclass
class Inputs:
    """ISO 22400-2 elements of one work unit or summed over several, in one period.

    Sums only: adding the inputs of equipment (or of days) and then computing a KPI is how lines, factories
    and longer periods are measured. ``*_rated`` fields hold the element restricted to the units where the
    KPI is defined (e.g. the APT of units that count parts and have an ideal cycle time).
    """

    pbt_s: float = 0.0  # planned busy time: every second with a known execution state
    apt_s: float = 0.0  # actual production time: running
    adet_s: float = 0.0  # actual unit delay time: idle
    adot_s: float = 0.0  # actual unit down time: down (unplanned stop, alarm state)
    failures: int = 0  # FE: onsets of down (or of an alarm, on units without an execution state)
    tbf_s: float = 0.0  # operating time between failures: running, or out of alarm
    ttr_s: float = 0.0  # time to repair: down, or in alarm
    tbf_intervals: int = 0  # sum over units of FE + 1
    pq: float = 0.0  # produced quantity
    pq_rated_performance: float = 0.0  # PQ of units with an ideal cycle time and a state
    planned_runtime_s: float = 0.0  # sum of PRI x PQ (PRI: planned run time per item = ideal cycle time)
    apt_rated_s: float = 0.0  # APT of the same units
    pq_rated_quality: float = 0.0  # PQ of units whose good or scrap quantity is known
    gq: float = 0.0  # good quantity
    sq: float = 0.0  # scrap (reject) quantity
    energy_kwh: float = 0.0
    counting_units: int = 0
    state_units: int = 0
    energy_units: int = 0
    readings: int = 0

    def add(self, other: Inputs) -> Inputs:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def kpi(self, kpi: str, hours: float) -> float | None:
        """The KPI of these inputs over a period of ``hours``; None where the data cannot define it."""
        availability = self.apt_s / self.pbt_s if self.pbt_s > 0 else None
        performance = self.planned_runtime_s / self.apt_rated_s if self.apt_rated_s > 0 else None
        quality = self.gq / self.pq_rated_quality if self.pq_rated_quality > 0 else None
        value: float | None
        if kpi == "availability":
            value = _pct(availability)
        elif kpi == "performance":
            value = _pct(performance)
        elif kpi == "quality":
            value = _pct(quality)
        elif kpi == "oee":
            known = availability is not None and performance is not None and quality is not None
            value = _pct(availability * performance * quality) if known else None  # type: ignore[operator]
        elif kpi == "defect_rate":
            value = _pct(self.sq / self.pq_rated_quality) if self.pq_rated_quality > 0 else None
        elif kpi == "throughput":
            value = self.pq / hours if self.counting_units and hours > 0 else None
        elif kpi == "energy_per_good_unit":
            value = self.energy_kwh / self.gq if self.energy_units and self.gq > 0 else None
        elif kpi == "mtbf":
            value = self.tbf_s / self.tbf_intervals / 3600 if self.tbf_intervals else None
        elif kpi == "mttr":
            value = self.ttr_s / self.failures / 3600 if self.failures else None
        else:
            raise ValueError(f"unknown KPI {kpi}")
        return None if value is None else round(value, 6)

    def kpis(self, hours: float) -> dict[str, float | None]:
        return {k: self.kpi(k, hours) for k in KPIS}

    def as_dict(self) -> dict[str, float | int]:
        return {
            f.name: round(v, 6) if isinstance(v := getattr(self, f.name), float) else v for f in fields(self)
        }


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else 100.0 * ratio


@dataclass
class UnitElements:
    """What the query measured of one equipment in one bucket, before the model's rules are applied."""

    model_id: str
    model_version: str
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)  # (source, class) -> s
    onsets: dict[str, int] = field(default_factory=dict)  # source -> onsets of down
    amounts: dict[str, float] = field(default_factory=dict)  # counter role -> increments
    readings: int = 0

    def absorb(self, other: UnitElements) -> UnitElements:
        """These elements and ``other``'s of the next part of the same period: each is a sum over time."""
        for element, seconds in other.seconds.items():
            self.seconds[element] = self.seconds.get(element, 0.0) + seconds
        for source, onsets in other.onsets.items():
            self.onsets[source] = self.onsets.get(source, 0) + onsets
        for role, amount in other.amounts.items():
            self.amounts[role] = self.amounts.get(role, 0.0) + amount
        self.readings += other.readings
        return self

    def inputs(self, ict_s: float | None) -> Inputs:
        out = Inputs(readings=self.readings)
        state = {cls: s for (source, cls), s in self.seconds.items() if source == "state"}
        if state:
            out.state_units = 1
            out.apt_s = state.get("running", 0.0)
            out.adet_s = state.get("idle", 0.0)
            out.adot_s = state.get("down", 0.0)
            out.pbt_s = out.apt_s + out.adet_s + out.adot_s
            out.failures = self.onsets.get("state", 0)
            out.tbf_s, out.ttr_s = out.apt_s, out.adot_s
            out.tbf_intervals = out.failures + 1
        elif any(source == "alarm" for source, _ in self.seconds):
            out.failures = self.onsets.get("alarm", 0)
            out.ttr_s = self.seconds.get(("alarm", "down"), 0.0)
            out.tbf_s = self.seconds.get(("alarm", "running"), 0.0)
            out.tbf_intervals = out.failures + 1
        pq = self.amounts.get("part_count")
        good, scrap = self.amounts.get("good_count"), self.amounts.get("reject_count")
        if pq is None and good is not None and scrap is not None:
            pq = good + scrap  # a unit counting good and scrap parts separately produced both
        if pq is not None:
            out.counting_units, out.pq = 1, pq
            if ict_s and state:
                out.pq_rated_performance = pq
                out.planned_runtime_s = ict_s * pq
                out.apt_rated_s = out.apt_s
            if good is not None or scrap is not None:
                out.pq_rated_quality = pq
                out.gq = good if good is not None else pq - (scrap or 0.0)
                out.sq = scrap if scrap is not None else pq - (good or 0.0)
        if "energy" in self.amounts:
            out.energy_units, out.energy_kwh = 1, self.amounts["energy"]
        return out


def buckets(
    start: datetime, end: datetime, width: BucketWidth | None, tz: str = "UTC"
) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at hour, day, week (Monday) or month boundaries of ``tz``; None: one bucket."""
    if width is None:
        return [(start, end)]
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    if width == "hour":
        edge = local.replace(minute=0, second=0, microsecond=0)
    elif width == "month":
        edge = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        edge = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if width == "week":
            edge -= timedelta(days=edge.weekday())
    out = []
    while edge.astimezone(UTC) < end:
        if width == "hour":
            nxt = (edge.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
        elif width == "month":
            nxt = (edge.replace(tzinfo=None) + relativedelta(months=1)).replace(tzinfo=zone)
        else:
            step = timedelta(days=7 if width == "week" else 1)
            nxt = (edge.replace(tzinfo=None) + step).replace(tzinfo=zone)  # wall-clock days across DST
        out.append(
            (max(edge.astimezone(UTC), start.astimezone(UTC)), min(nxt.astimezone(UTC), end.astimezone(UTC)))
        )
        edge = nxt
    return out


# The role table and the buckets arrive as parallel arrays: every caller value is a bound parameter.
ROLE_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("model_id", "varchar"),
    ("model_version", "varchar"),
    ("item_id", "varchar"),
    ("role", "varchar"),
    ("scale", "double"),
)


def _with_roles(sql: SqlEngine) -> str:
    cuts = sql.unnest([("b0", "timestamptz"), ("b1", "timestamptz")])
    return f"WITH roles AS ({sql.unnest(ROLE_COLUMNS)}),\nbuckets AS ({cuts})"


def _elements_sql(sql: SqlEngine, source: str, where: str) -> str:
    """One row per (bucket, equipment, element): time in a state class and onsets of down, or a counter's
    increments."""
    return f"""{_with_roles(sql)},
r AS (
    SELECT f.factory_id, f.equipment_id, f.model_id, f.model_version, f.item_id, roles.role, roles.scale,
           f.ts, f.value_num, f.value_text
    FROM {source} f
    JOIN roles ON f.model_id = roles.model_id AND f.model_version = roles.model_version
              AND f.item_id = roles.item_id
    WHERE {where}
),
classed AS (
    SELECT factory_id, equipment_id, model_id, model_version, item_id, ts,
           CASE WHEN role = 'execution_state' THEN 'state' ELSE 'alarm' END AS source,
           CASE WHEN role = 'execution_state' THEN {state_class_sql("value_text")}
                WHEN {is_alarm_sql("value_text")} THEN 'down' ELSE 'running' END AS class
    FROM r WHERE role IN ('execution_state', 'alarm') AND value_text IS NOT NULL
),
timeline AS (
    SELECT classed.*, coalesce(lead(ts) OVER w, {sql.cast("?", "timestamptz")}) AS t1,
           class = 'down' AND lag(class) OVER w IS DISTINCT FROM 'down' AS onset
    FROM classed WINDOW w AS (PARTITION BY factory_id, equipment_id, item_id ORDER BY ts)
),
counters AS (
    SELECT factory_id, equipment_id, model_id, model_version, role, ts,
           scale * CASE WHEN prev IS NULL THEN 0 WHEN value_num >= prev THEN value_num - prev
                        ELSE value_num END AS inc
    FROM (SELECT r.*, lag(value_num) OVER (PARTITION BY factory_id, equipment_id, item_id ORDER BY ts) AS prev
          FROM r WHERE role IN ('part_count', 'good_count', 'reject_count', 'energy')
                   AND value_num IS NOT NULL) numbered
)
SELECT b.b0, t.factory_id, t.equipment_id, t.model_id, t.model_version, t.source AS kind, t.class AS key,
       CAST(sum({sql.epoch("least(t.t1, b.b1)")} - {sql.epoch("greatest(t.ts, b.b0)")}) AS DOUBLE) AS amount,
       count(*) FILTER (WHERE t.onset AND t.ts >= b.b0) AS onsets,
       count(*) FILTER (WHERE t.ts >= b.b0) AS readings
FROM timeline t JOIN buckets b ON t.ts < b.b1 AND t.t1 > b.b0
GROUP BY b.b0, t.factory_id, t.equipment_id, t.model_id, t.model_version, t.source, t.class
UNION ALL
SELECT b.b0, c.factory_id, c.equipment_id, c.model_id, c.model_version, 'counter', c.role,
       CAST(sum(c.inc) AS DOUBLE), 0, count(*)
FROM counters c JOIN buckets b ON c.ts >= b.b0 AND c.ts < b.b1
GROUP BY b.b0, c.factory_id, c.equipment_id, c.model_id, c.model_version, c.role
"""


@dataclass(frozen=True)
class Measured:
    """Inputs per (bucket start, equipment id), the plan read and how many readings entered them."""

    units: dict[tuple[datetime, str, str], UnitElements]
    plan: ScanPlan
    readings_used: int


def role_filter(
    factory_ids: Sequence[str], start: datetime, end: datetime, equipment_id: str | None
) -> ReadingFilter:
    """The readings a KPI over [start, end) reads: the range and its look-back for carried states."""
    return ReadingFilter(
        factory_ids=tuple(factory_ids), equipment_id=equipment_id, start=start - LOOKBACK, end=end
    )


def _source(sql: SqlEngine, plan: ScanPlan) -> tuple[str, list[Any]]:
    assert plan.snapshot_id is not None  # a plan with files has a snapshot
    return sql.source(plan.table, plan.snapshot_id, plan.files)


def model_versions(
    engine: QueryEngine, plan: ScanPlan, flt: ReadingFilter, scope: Scope
) -> list[tuple[str, str]]:
    """The (model, version) pairs the rows ``plan`` reads use: whose roles the KPI query needs."""
    if not plan.files:
        return []
    sql = engine.engine
    source, source_params = _source(sql, plan)
    where, params = flt.sql(scope)
    text = f"SELECT DISTINCT model_id, model_version FROM {source} WHERE {where} ORDER BY 1, 2"
    return [(r["model_id"], r["model_version"]) for r in sql.rows(text, [*source_params, *params])]


def _element_rows(
    engine: QueryEngine,
    template: Callable[[SqlEngine, str, str], str],
    plan: ScanPlan,
    flt: ReadingFilter,
    scope: Scope,
    models: Iterable[ModelRoles],
    cuts: Sequence[tuple[datetime, datetime]],
    *tail: Any,
) -> list[dict[str, Any]]:
    """Rows of an element query on the chosen engine: the role table and the buckets, then the table at the
    plan's snapshot, the filter and ``tail``."""
    role_rows = [(m.model_id, m.version, item, role, scale) for m in models for item, role, scale in m.items]
    if not plan.files or not role_rows or not cuts:
        return []
    sql = engine.engine
    source, source_params = _source(sql, plan)
    where, params = flt.sql(scope)
    columns = [list(c) for c in zip(*role_rows, strict=True)]
    return sql.rows(
        template(sql, source, where),
        [*columns, [b0 for b0, _ in cuts], [b1 for _, b1 in cuts], *source_params, *params, *tail],
    )


def measure(
    engine: QueryEngine,
    plan: ScanPlan,
    flt: ReadingFilter,
    scope: Scope,
    models: Iterable[ModelRoles],
    cuts: Sequence[tuple[datetime, datetime]],
) -> Measured:
    """The elements of every equipment in every bucket of ``cuts`` from the files of ``plan``."""
    end = max((b1 for _, b1 in cuts), default=None)
    return _assemble(_element_rows(engine, _elements_sql, plan, flt, scope, models, cuts, end), plan)


def _assemble(rows: Iterable[dict[str, Any]], plan: ScanPlan) -> Measured:
    units: dict[tuple[datetime, str, str], UnitElements] = {}
    used = 0
    for row in rows:
        key = (row["b0"].astimezone(UTC), row["factory_id"], row["equipment_id"])
        unit = units.setdefault(key, UnitElements(row["model_id"], row["model_version"]))
        unit.readings += row["readings"]
        used += row["readings"]
        if row["kind"] == "counter":
            unit.amounts[row["key"]] = unit.amounts.get(row["key"], 0.0) + row["amount"]
        else:
            element = (row["kind"], row["key"])
            unit.seconds[element] = unit.seconds.get(element, 0.0) + row["amount"]
            unit.onsets[row["kind"]] = unit.onsets.get(row["kind"], 0) + row["onsets"]
    return Measured(units, plan, used)


def _daily_sql(sql: SqlEngine, source: str, where: str) -> str:
    """The same elements from the daily rollup (catalog.rollups.item_daily): time per value and readings per
    (previous value, value) of text items, increases of numeric ones; classified in Python
    (:func:`measure_daily`)."""
    return f"""{_with_roles(sql)}
SELECT b.b0, d.factory_id, d.equipment_id, d.model_id, d.model_version, roles.role, d.value_text,
       d.prev_text,
       sum(d.seconds) AS seconds, sum(d.increase * roles.scale) AS increase,
       CAST(sum(d.readings) AS BIGINT) AS readings
FROM {source} d
JOIN roles ON d.model_id = roles.model_id AND d.model_version = roles.model_version
          AND d.item_id = roles.item_id
JOIN buckets b ON d.day >= CAST(b.b0 AS DATE) AND d.day < CAST(b.b1 AS DATE)
WHERE {where}
GROUP BY b.b0, d.factory_id, d.equipment_id, d.model_id, d.model_version, roles.role, d.value_text,
         d.prev_text
"""


def _classes(role: str) -> Callable[[str], str] | None:
    if role == "execution_state":
        return state_class
    if role == "alarm":
        return lambda value: "down" if is_alarm(value) else "running"
    return None


def daily_aligned(cuts: Sequence[tuple[datetime, datetime]]) -> bool:
    """Whether every bucket is whole UTC days: what the daily rollup can answer (if it holds them)."""
    return all(t.tzinfo is not None and t.astimezone(UTC).time() == time(0) for cut in cuts for t in cut)


def whole_days_within(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The first and last UTC midnights of [start, end) when a whole UTC day at least lies between them (a
    period of days in Korea, 15:00 to 15:00 UTC, holds all but its first 9 and last 15 hours); else None."""
    first = start.astimezone(UTC)
    if first.time() != time(0):
        first = datetime.combine(first.date() + timedelta(days=1), time(0), UTC)
    last = datetime.combine(end.astimezone(UTC).date(), time(0), UTC)
    return (first, last) if first < last else None


def joined(parts: Sequence[Measured], start: datetime) -> Measured:
    """Measurements of adjacent parts of one period as one bucket from ``start`` (the plan: the first
    part's): seconds in a class, onsets, counter increments and readings are sums over time, so the parts'
    sums are the period's. What :meth:`UnitElements.inputs` derives from them is not (one failure interval
    more per unit and part, which units are rated), so it is applied to the joined elements, as to one pass
    over the period."""
    units: dict[tuple[datetime, str, str], UnitElements] = {}
    for part in parts:
        for (_, factory_id, equipment_id), unit in part.units.items():
            fresh = UnitElements(unit.model_id, unit.model_version)
            units.setdefault((start, factory_id, equipment_id), fresh).absorb(unit)
    return Measured(units, parts[0].plan, sum(part.readings_used for part in parts))


def day_condition(condition: BooleanExpression, start: datetime, end: datetime) -> BooleanExpression:
    """``condition`` on the daily rollup, restricted to the UTC days of [start, end) (partition pruning)."""
    return And(
        condition,
        GreaterThanOrEqual(term="day", value=start.astimezone(UTC).date().isoformat()),
        LessThan(term="day", value=end.astimezone(UTC).date().isoformat()),
    )


def measure_daily(
    engine: QueryEngine,
    plan: ScanPlan,
    flt: ReadingFilter,
    scope: Scope,
    models: Iterable[ModelRoles],
    cuts: Sequence[tuple[datetime, datetime]],
) -> Measured:
    """:func:`measure` over the daily rollup's files in ``plan`` (buckets of whole UTC days)."""
    rows = _element_rows(engine, _daily_sql, plan, flt, scope, models, cuts)
    elements = []
    for row in rows:
        role = row["role"]
        classify = _classes(role)
        if classify is not None and row["value_text"] is not None:
            key = classify(row["value_text"])
            previous = classify(row["prev_text"]) if row["prev_text"] is not None else None
            onsets = row["readings"] if key == "down" and previous != "down" else 0
            kind, amount = ("state" if role == "execution_state" else "alarm"), row["seconds"]
        elif role in COUNTER_ROLES and row["increase"] is not None:
            kind, key, amount, onsets = "counter", role, row["increase"], 0
        else:
            continue
        elements.append({**row, "kind": kind, "key": key, "amount": amount, "onsets": onsets})
    return _assemble(elements, plan)


def _peers_sql(sql: SqlEngine, source: str, where: str) -> str:
    """The elements from the peer table (catalog.rollups.peer_daily), classified when it was made: one row
    per (bucket, equipment, role), with the organisation the rows carry."""
    return f"""{_with_roles(sql)}
SELECT b.b0, p.factory_id, p.org_id, p.equipment_id, p.model_id, p.model_version, roles.role,
       sum(p.increase * roles.scale) AS increase, sum(p.running_s) AS running, sum(p.idle_s) AS idle,
       sum(p.down_s) AS down, CAST(sum(p.down_onsets) AS BIGINT) AS down_onsets, sum(p.alarm_s) AS alarm,
       sum(p.clear_s) AS clear, CAST(sum(p.alarm_onsets) AS BIGINT) AS alarm_onsets,
       CAST(sum(p.readings) AS BIGINT) AS readings
FROM {source} p
JOIN roles ON p.model_id = roles.model_id AND p.model_version = roles.model_version
          AND p.item_id = roles.item_id
JOIN buckets b ON p.day >= CAST(b.b0 AS DATE) AND p.day < CAST(b.b1 AS DATE)
WHERE {where}
GROUP BY b.b0, p.factory_id, p.org_id, p.equipment_id, p.model_id, p.model_version, roles.role
"""


def measure_peers(
    engine: QueryEngine,
    plan: ScanPlan,
    flt: ReadingFilter,
    scope: Scope,
    models: Iterable[ModelRoles],
    cuts: Sequence[tuple[datetime, datetime]],
) -> tuple[Measured, dict[str, frozenset[str]]]:
    """:func:`measure_daily` over the peer table's files in ``plan`` (buckets of whole UTC days), and the
    organisations each factory's rows carry (what ``QueryEngine.owners`` would read from the readings)."""
    elements: list[dict[str, Any]] = []
    owners: dict[str, set[str]] = {}
    for row in _element_rows(engine, _peers_sql, plan, flt, scope, models, cuts):
        owners.setdefault(row["factory_id"], set()).add(row["org_id"])
        role, base = row["role"], {**row, "onsets": 0}
        classes: tuple[tuple[str, float], ...]
        if role == "execution_state" and row["running"] is not None:
            onsets = {"down": row["down_onsets"]}
            classes = (("running", row["running"]), ("idle", row["idle"]), ("down", row["down"]))
            kind = "state"
        elif role == "alarm" and row["alarm"] is not None:
            onsets = {"down": row["alarm_onsets"]}
            classes, kind = (("down", row["alarm"]), ("running", row["clear"])), "alarm"
        elif role in COUNTER_ROLES and row["increase"] is not None:
            elements.append(base | {"kind": "counter", "key": role, "amount": row["increase"]})
            continue
        else:
            continue
        # the readings once per equipment and role, as the rows of every class of :func:`measure_daily` sum
        for n, (key, seconds) in enumerate(classes):
            counted = {"onsets": onsets.get(key, 0), "readings": row["readings"] if n == 0 else 0}
            elements.append(base | {"kind": kind, "key": key, "amount": seconds} | counted)
    return _assemble(elements, plan), {f: frozenset(orgs) for f, orgs in owners.items()}


def by_factory(factory_id: str, equipment_id: str, unit: UnitElements) -> Hashable:
    return factory_id


def by_equipment(factory_id: str, equipment_id: str, unit: UnitElements) -> Hashable:
    return equipment_id


def by_factory_model(factory_id: str, equipment_id: str, unit: UnitElements) -> Hashable:
    return (factory_id, unit.model_id)


def everything(factory_id: str, equipment_id: str, unit: UnitElements) -> Hashable:
    return None


def inputs_by(
    measured: Measured,
    models: Iterable[ModelRoles],
    ideal_cycle_times: dict[str, float] | None = None,
    group: Callable[[str, str, UnitElements], Hashable] = everything,
) -> dict[tuple[datetime, Any], Inputs]:
    """Inputs summed per bucket and ``group`` of units (everything, by_factory, by_equipment...), with the
    ideal cycle time of each equipment's model version unless ``ideal_cycle_times`` overrides it for that
    equipment."""
    ict = {(m.model_id, m.version): m.ideal_cycle_time_s for m in models}
    overrides = ideal_cycle_times or {}
    out: dict[tuple[datetime, Any], Inputs] = {}
    for (b0, factory_id, equipment_id), unit in sorted(measured.units.items()):
        own = overrides.get(equipment_id, ict.get((unit.model_id, unit.model_version)))
        out.setdefault((b0, group(factory_id, equipment_id, unit)), Inputs()).add(unit.inputs(own))
    return out
