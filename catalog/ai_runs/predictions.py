"""The lake tables of runs: ``<ns>.ai_predictions`` (what models answered) and ``<ns>.ai_runs`` (a log of each
run's states), both partitioned by ``day``.

A **subscription** is one SME equipment following one case's model: (case, model SHA-256, organisation,
factory, equipment). Its predictions are keyed by (subscription, window, output) and written exactly once,
the lake writer's way:

1. every ``ai_predictions`` snapshot carries ``smartmfg.ai-watermarks``: per subscription, the readings
   snapshot its predictions reflect and ``until``, the end of the last window it considered (every window
   before it was scored or skipped as incomplete), committed **in the same snapshot** as the rows;
2. a run reads the readings at their current snapshot from ``until`` on, scores the complete windows that
   end before the window holding the newest reading (that one may still grow) and appends them with the
   moved watermark, under the table's commit lock, only if the subscription's watermark is still the one it
   started from (else it starts again from the new one);
3. a run that fails (the model past its limits, the lake unreachable) commits nothing: the watermark stays,
   the next run redoes the same windows. A crash after the commit leaves the moved watermark: nothing is
   scored twice. A window once scored is final; readings arriving later for it are not scored again.

The watermark map also holds each subscription's signature and tenancy, which is all a scheduled round
(``follow``) needs: it reads only rows of the subscription's organisation and factory.

``ai_runs`` is a log: a run appends ``running`` then ``succeeded``/``failed`` (with the reason); its state is
its latest row. It is written apart from the predictions, so a process dying between the two leaves a run
``running`` whose predictions are in; the guarantee above is the predictions'.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table

from catalog.commit_lock import exclusive_commits
from catalog.lake import Lake, snapshot_property
from catalog.rollups import ensure_day_table
from services.kit.arrow import UTC_US

WATERMARKS_KEY = "smartmfg.ai-watermarks"
PREDICTIONS, RUNS = "ai_predictions", "ai_runs"
COMMIT_RETRIES = 5

PREDICTIONS_TABLE = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        pa.field("case_id", pa.string(), nullable=False),
        pa.field("model_sha256", pa.string(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("factory_id", pa.string(), nullable=False),
        pa.field("equipment_id", pa.string(), nullable=False),
        pa.field("window_start", UTC_US, nullable=False),
        pa.field("window_end", UTC_US, nullable=False),
        pa.field("output", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("label", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
RUNS_TABLE = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),  # running, succeeded, failed
        pa.field("kind", pa.string(), nullable=False),  # apply (a person asked), follow (a scheduled round)
        pa.field("case_id", pa.string(), nullable=False),
        pa.field("model_sha256", pa.string(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("factory_id", pa.string(), nullable=False),
        pa.field("equipment_id", pa.string(), nullable=False),
        pa.field("requested_by", pa.string(), nullable=False),
        pa.field("requested_at", UTC_US, nullable=False),
        pa.field("at", UTC_US, nullable=False),
        pa.field("windows", pa.int64()),
        pa.field("skipped", pa.int64()),
        pa.field("readings_snapshot", pa.int64()),
        pa.field("until", UTC_US),
        pa.field("reason", pa.string()),
        pa.field("detail", pa.string()),
    ]
)


@dataclass(frozen=True)
class Subscription:
    case_id: str
    model_sha256: str
    org_id: str
    factory_id: str
    equipment_id: str

    @property
    def key(self) -> str:
        return "|".join((self.case_id, self.model_sha256, self.org_id, self.factory_id, self.equipment_id))


@dataclass(frozen=True)
class Watermark:
    snapshot: int | None  # the readings snapshot the subscription's predictions reflect
    until: int | None  # epoch microseconds: every window ending by then was considered
    signature: dict[str, Any]


def predictions_table(lake: Lake) -> Table:
    return ensure_day_table(lake, PREDICTIONS, PREDICTIONS_TABLE)


def runs_table(lake: Lake) -> Table:
    return ensure_day_table(lake, RUNS, RUNS_TABLE)


def watermarks(table: Table) -> dict[str, dict[str, Any]]:
    raw = snapshot_property(table, WATERMARKS_KEY)
    return json.loads(raw) if raw else {}


def subscriptions(table: Table) -> list[tuple[Subscription, Watermark]]:
    """Every subscription the predictions table follows, with its watermark."""
    out = []
    for entry in watermarks(table).values():
        sub = Subscription(**{k: entry[k] for k in Subscription.__dataclass_fields__})
        out.append((sub, Watermark(entry["snapshot"], entry["until"], entry["signature"])))
    return out


def watermark_of(table: Table, sub: Subscription) -> Watermark | None:
    entry = watermarks(table).get(sub.key)
    return Watermark(entry["snapshot"], entry["until"], entry["signature"]) if entry else None


class Moved(Exception):
    """Another run of the same subscription committed first: start again from its watermark."""


def commit_predictions(
    lake: Lake, sub: Subscription, started_from: Watermark | None, moved_to: Watermark, rows: pa.Table
) -> None:
    """Append ``rows`` (PREDICTIONS_TABLE) and the subscription's new watermark in one snapshot, if its
    watermark is still ``started_from``; raises Moved otherwise."""
    for _ in range(COMMIT_RETRIES):
        table = predictions_table(lake)
        try:
            with exclusive_commits(table):
                table = table.refresh()
                current = watermarks(table)
                if _entry(current.get(sub.key)) != _entry_of(started_from):
                    raise Moved(sub.key)
                current[sub.key] = {**asdict(sub), **asdict(moved_to)}
                properties = {WATERMARKS_KEY: json.dumps(current, sort_keys=True)}
                with table.transaction() as transaction:
                    transaction.append(rows.cast(PREDICTIONS_TABLE), snapshot_properties=properties)
            return
        except CommitFailedException:
            time.sleep(0.05)  # another subscription's run committed: its watermarks are kept on the retry
    raise RuntimeError(f"{PREDICTIONS}: gave up after {COMMIT_RETRIES} conflicting commits")


def _entry(raw: Mapping[str, Any] | None) -> tuple[Any, Any] | None:
    return None if raw is None else (raw["snapshot"], raw["until"])


def _entry_of(mark: Watermark | None) -> tuple[Any, Any] | None:
    return None if mark is None else (mark.snapshot, mark.until)


def log_run(lake: Lake, row: Mapping[str, Any]) -> None:
    """Append one state of a run (RUNS_TABLE's columns but ``day`` and ``at``, which are stamped here)."""
    now = datetime.now(UTC)
    full = {name: None for name in RUNS_TABLE.names} | dict(row) | {"day": now.date(), "at": now}
    data = pa.Table.from_pylist([full], schema=RUNS_TABLE)
    for _ in range(COMMIT_RETRIES):
        table = runs_table(lake)
        try:
            with exclusive_commits(table), table.transaction() as transaction:
                transaction.append(data)
            return
        except CommitFailedException:
            time.sleep(0.05)
    raise RuntimeError(f"{RUNS}: gave up after {COMMIT_RETRIES} conflicting commits")
