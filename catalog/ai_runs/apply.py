"""One run of a subscription (``predictions.Subscription``): read its readings since the watermark, build the
windows, score them in the limited runner, commit predictions and watermark together, log the run.

Blocking (DuckDB, pyiceberg, a child process): callers run it in a worker thread.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from catalog.ai_runs.predictions import (
    PREDICTIONS_TABLE,
    Moved,
    Subscription,
    Watermark,
    commit_predictions,
    log_run,
    predictions_table,
    watermark_of,
)
from catalog.ai_runs.windows import micros, read_readings, windows_of
from catalog.query import Grant, QueryEngine
from services.kit.objects import ObjectStore
from services.usecases.runnable import store
from services.usecases.runnable.runner import Limits, RunFailed, score_windows
from services.usecases.runnable.signature import Signature

log = logging.getLogger(__name__)
ATTEMPTS = 3  # a run that finds its watermark moved by another run of the subscription starts again


@dataclass(frozen=True)
class RunRequest:
    """What a run needs besides the lake: the subscription, the model's signature, who asked."""

    sub: Subscription
    signature: Signature
    requested_by: str
    kind: str = "apply"  # or "follow"


@dataclass(frozen=True)
class Outcome:
    state: str  # succeeded, failed
    windows: int = 0
    skipped: int = 0
    readings_snapshot: int | None = None
    until: int | None = None
    reason: str | None = None
    detail: str | None = None


def new_run_id() -> str:
    return uuid.uuid4().hex


def start(engine: QueryEngine, request: RunRequest, run_id: str, requested_at: datetime) -> None:
    """Log the run as ``running`` (before it is handed to a worker: a reader sees it at once)."""
    log_run(engine.lake, {**_identity(request, run_id, requested_at), "state": "running"})


def execute(
    engine: QueryEngine,
    models: ObjectStore,
    request: RunRequest,
    limits: Limits,
    run_id: str,
    requested_at: datetime,
) -> Outcome:
    """Run and log the outcome; never raises for a failure of the model or the lake (the run fails)."""
    try:
        outcome = _attempts(engine, models, request, limits, run_id)
    except RunFailed as failed:
        outcome = Outcome("failed", reason=failed.reason, detail=failed.detail)
    except store.ModelMissing:
        outcome = Outcome("failed", reason="model_missing", detail="the model file is not in the store")
    except Exception as exc:  # the lake or the catalog: the watermark did not move, a later run redoes it
        log.exception("run %s failed", run_id)
        outcome = Outcome("failed", reason="platform_error", detail=type(exc).__name__)
    log_run(
        engine.lake,
        {
            **_identity(request, run_id, requested_at),
            "state": outcome.state,
            "windows": outcome.windows,
            "skipped": outcome.skipped,
            "readings_snapshot": outcome.readings_snapshot,
            "until": _moment(outcome.until),
            "reason": outcome.reason,
            "detail": outcome.detail,
        },
    )
    return outcome


def _identity(request: RunRequest, run_id: str, requested_at: datetime) -> dict[str, object]:
    sub = request.sub
    return {
        "run_id": run_id,
        "kind": request.kind,
        "case_id": sub.case_id,
        "model_sha256": sub.model_sha256,
        "org_id": sub.org_id,
        "factory_id": sub.factory_id,
        "equipment_id": sub.equipment_id,
        "requested_by": request.requested_by,
        "requested_at": requested_at,
    }


def _moment(value: int | None) -> datetime | None:
    return None if value is None else pa.scalar(value, pa.int64()).cast(pa.timestamp("us", tz="UTC")).as_py()


def _attempts(
    engine: QueryEngine, models: ObjectStore, request: RunRequest, limits: Limits, run_id: str
) -> Outcome:
    model: bytes | None = None
    for _ in range(ATTEMPTS):
        lake = engine.lake
        since = watermark_of(predictions_table(lake), request.sub)
        current = lake.readings().current_snapshot()
        snapshot = current.snapshot_id if current is not None else None
        if since is not None and since.snapshot == snapshot:
            return Outcome("succeeded", readings_snapshot=snapshot, until=since.until)  # nothing new
        model = model or store.load(models, request.sub.model_sha256)
        rows, until, windows, skipped = _score(engine, model, request, limits, since, snapshot, run_id)
        moved_to = Watermark(snapshot, until, request.signature.model_dump(mode="json"))
        try:
            commit_predictions(lake, request.sub, since, moved_to, rows)
        except Moved:
            continue
        return Outcome("succeeded", windows, skipped, snapshot, until)
    raise RunFailed("conflict", f"the subscription's watermark kept moving ({ATTEMPTS} attempts)")


def _score(
    engine: QueryEngine,
    model: bytes,
    request: RunRequest,
    limits: Limits,
    since: Watermark | None,
    snapshot: int | None,
    run_id: str,
) -> tuple[pa.Table, int | None, int, int]:
    """The predictions of the windows between the watermark and the window holding the newest reading; the new
    ``until``, the windows scored and those skipped as incomplete."""
    sub, signature = request.sub, request.signature
    start = _moment(since.until) if since is not None else None
    readings = read_readings(
        engine,
        [Grant(sub.factory_id, sub.org_id)],  # the subscriber's own rows, whoever runs the round
        factory_id=sub.factory_id,
        equipment_id=sub.equipment_id,
        model_id=signature.model_id,
        items=signature.items,
        start=start,
        end=None,
        snapshot_id=snapshot,
    )
    until = since.until if since is not None else None
    if readings.num_rows == 0:
        return PREDICTIONS_TABLE.empty_table(), until, 0, 0
    width = signature.window_seconds * 1_000_000
    newest = micros(pc.max(readings["ts"]).as_py())
    until = newest // width * width  # the newest reading's window may still grow: it waits
    first = micros(pc.min(readings["ts"]).as_py()) // width * width
    windows = windows_of(readings, signature)
    windows = windows.filter(
        pc.less_equal(windows["window_end"], pa.scalar(until, pa.int64()).cast(windows["window_end"].type))
    )
    considered = max(0, (until - first) // width)
    scored = score_windows(model, signature, windows, limits)
    n = scored.num_rows
    rows = pa.table(
        {
            "day": pc.cast(scored["window_start"], pa.date32()),
            "case_id": pa.repeat(pa.scalar(sub.case_id), n),
            "model_sha256": pa.repeat(pa.scalar(sub.model_sha256), n),
            "org_id": pa.repeat(pa.scalar(sub.org_id), n),
            "factory_id": pa.repeat(pa.scalar(sub.factory_id), n),
            "equipment_id": pa.repeat(pa.scalar(sub.equipment_id), n),
            "window_start": scored["window_start"],
            "window_end": scored["window_end"],
            "output": scored["output"],
            "value": scored["value"],
            "label": scored["label"],
            "run_id": pa.repeat(pa.scalar(run_id), n),
        },
        schema=PREDICTIONS_TABLE,
    )
    return rows, until, windows.num_rows, considered - windows.num_rows


def now() -> datetime:
    return datetime.now(UTC)
