"""What every rollup table shares: the key columns, the watermark properties on its snapshots, its ``day``
partitioning, and the hours and days (UTC) a refresh recomputes whole."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pyiceberg.exceptions import CommitFailedException, NamespaceAlreadyExistsError, NoSuchTableError
from pyiceberg.expressions import And, BooleanExpression, GreaterThanOrEqual, In, LessThan, Or
from pyiceberg.table import Table
from pyiceberg.transforms import IdentityTransform

from catalog.lake import PRUNING_PROPERTIES, READINGS_SCHEMA, Lake, snapshot_property

if TYPE_CHECKING:
    from catalog.engines import TrinoEngine
    from catalog.query import QueryEngine

WATERMARK_KEY = "smartmfg.rollup-watermark"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLOSED_KEY = "smartmfg.rollup-closed-before"  # item_daily holds every day before this one (ISO date)

KEY_NAMES = ("factory_id", "org_id", "equipment_id", "model_id", "model_version", "item_id")
KEYS = [READINGS_SCHEMA.field(name) for name in KEY_NAMES]  # the readings' own fields: one definition
KEY_COLUMNS = ", ".join(KEY_NAMES)


Span = tuple[datetime, datetime]  # [start, end) of readings' time
Statement = tuple[str, list[Any]]  # SQL text with ``?`` parameters, and the parameters


@dataclass(frozen=True)
class Source:
    """What a rollup's rows are computed from: the readings (``item_pieces``) or the pieces (the others), at
    one snapshot chosen at the start of a round."""

    table: Table
    snapshot_id: int


@dataclass(frozen=True)
class Rollup:
    name: str
    schema: pa.Schema
    unit: timedelta  # what a refresh recomputes whole: an hour, or a closed day
    compute: Callable[[QueryEngine, Source, Span], pa.Table]  # the rows of a run of hours or days
    derived: bool  # from ``item_pieces`` (True) or from the readings
    # on the Trino path (``catalog.rollups.watermark``): the statements inserting the rows of a run of whole
    # days into the table, the same SQL as ``compute``'s
    insert: Callable[[QueryEngine, TrinoEngine, Source, Span], list[Statement]]


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def days_of(span: Span) -> list[date]:
    """The UTC days [start, end) reaches into (a run of hours may cross midnight)."""
    first, last = span[0].date(), (span[1] - timedelta(microseconds=1)).date()
    return [first + DAY * n for n in range((last - first).days + 1)]


def units_of(spans: Sequence[Span], unit: timedelta) -> set[datetime]:
    """The starts of the UTC hours or days (``unit``) the spans touch."""
    step = int(unit.total_seconds() * 1_000_000)
    out: set[datetime] = set()
    for first, last in spans:
        low, high = (int((t - EPOCH) / timedelta(microseconds=1)) // step for t in (first, last))
        out.update(EPOCH + timedelta(microseconds=n * step) for n in range(low, high + 1))
    return out


def replaced(runs: Sequence[Span], unit: timedelta) -> BooleanExpression:
    """The rollup rows the recomputed runs replace."""
    days: BooleanExpression = In(term="day", literals={d.isoformat() for run in runs for d in days_of(run)})
    if unit == DAY:
        return days
    hours: list[BooleanExpression] = [
        And(
            GreaterThanOrEqual(term="hour", value=first.isoformat()),
            LessThan(term="hour", value=end.isoformat()),
        )
        for first, end in runs
    ]
    return And(days, reduce(Or, hours))


def ensure_day_table(lake: Lake, name: str, schema: pa.Schema) -> Table:
    """A derived table of the lake's namespace partitioned by its ``day`` column, made on first use."""
    identifier = f"{lake.config.namespace}.{name}"
    with contextlib.suppress(NamespaceAlreadyExistsError):
        lake.catalog.create_namespace(lake.config.namespace)
    try:
        return lake.catalog.load_table(identifier)
    except NoSuchTableError:
        pass
    table = lake.catalog.create_table_if_not_exists(
        identifier,
        schema=schema,
        properties={
            "write.parquet.compression-codec": "zstd",
            "commit.retry.num-retries": "0",
            **PRUNING_PROPERTIES,
        },
    )
    if not table.spec().fields:
        with contextlib.suppress(CommitFailedException), table.update_spec() as spec:
            spec.add_field("day", IdentityTransform(), "day")
    return lake.catalog.load_table(identifier)


def last_watermark(table: Table) -> tuple[str | None, str | None]:
    """The watermark and closed-before properties of the newest snapshot in the table's current ancestry
    that carries a watermark: the head's, unless a round on the Trino path committed rows and stopped before
    its watermark (``catalog.rollups.in_trino``)."""
    snapshot = table.current_snapshot()
    while snapshot is not None:
        properties = snapshot.summary.additional_properties if snapshot.summary is not None else {}
        if WATERMARK_KEY in properties:
            return properties[WATERMARK_KEY], properties.get(CLOSED_KEY)
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None
    return None, None


def current_rollup(lake: Lake, rollup: Rollup) -> Table | None:
    """The rollup table if it reflects the readings' current snapshot (a reader may use it instead), else
    None (not made yet, or behind the readings)."""
    try:
        table = lake.catalog.load_table(f"{lake.config.namespace}.{rollup.name}")
    except NoSuchTableError:
        return None
    current = lake.readings().current_snapshot()
    watermark = snapshot_property(table, WATERMARK_KEY)
    return table if current is not None and watermark == str(current.snapshot_id) else None
