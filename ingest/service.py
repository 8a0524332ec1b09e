"""Accepting a batch: parse, validate against the equipment models, publish durably, record it once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.appends import stamped
from ingest import messages
from ingest.bus import BusUnavailable, Outgoing
from ingest.models import Batch
from ingest.runtime import IngestRuntime
from ingest.schemas import BatchReceipt, BatchStatus
from services.kit.errors import PlatformError, ServiceUnavailable, field_error
from services.kit.messages import Msg, Verbatim
from services.kit.principal import Principal
from services.standards.validation import Models, Outcome, Rejection, validate

MAX_LISTED_VIOLATIONS = 1000


class BatchRejected(PlatformError):
    """policy=reject and some readings are invalid: the whole batch is refused, every violation listed."""

    status_code, error = 400, "ValidationFailed"


def receipt(batch: Batch, duplicate: bool) -> BatchReceipt:
    return BatchReceipt(
        batch_id=batch.batch_id,
        factory_id=batch.factory_id,
        accepted=batch.accepted,
        rejected=batch.rejected,
        duplicate=duplicate,
    )


def batches_of(factory_id: str, principal: Principal) -> Select[Batch]:
    """A factory's batches the caller may see: its gateway's and its organisation's (admins: all)."""
    stmt = select(Batch).where(Batch.factory_id == factory_id)
    if principal.is_admin or principal.factory_id == factory_id:
        return stmt
    return stmt.where(Batch.org_id == (principal.org_id or ""))


def status(batch: Batch) -> BatchStatus:
    return BatchStatus(
        **receipt(batch, duplicate=False).model_dump(),
        policy=batch.policy,
        chunks=batch.chunks,
        received_at=batch.received_at,
    )


def previous(session: Session, factory_id: str, batch_id: str) -> Batch | None:
    return session.get(Batch, (factory_id, batch_id))


def check(table: pa.Table, models: Models, policy: str, future_tolerance_s: int) -> Outcome:
    outcome = validate(table, models, datetime.now(UTC), timedelta(seconds=future_tolerance_s))
    if outcome.rejections and policy == "reject":
        shown = outcome.rejections[:MAX_LISTED_VIOLATIONS]
        listed = (
            Msg(", first {count} listed", count=len(shown)) if len(shown) < len(outcome.rejections) else ""
        )
        raise BatchRejected(
            Msg(
                "{rejected} of {rows} readings are invalid ({violations} violations{listed}); "
                "nothing was accepted. Fix them or send with policy=partial",
                rejected=outcome.rejected_rows,
                rows=table.num_rows,
                violations=len(outcome.rejections),
                listed=listed,
            ),
            # The validator's reasons are also stored with the dead letters: English, as written there.
            fields=[field_error(f"rows[{r.row}].{r.field}", Verbatim(r.reason)) for r in shown],
        )
    return outcome


def _dead_letters(table: pa.Table, rejections: list[Rejection], batch_id: str) -> pa.Table:
    raw = table.select(["equipment_id", "item_id", "value_num", "value_text", "unit"]).to_pylist()
    return pa.table(
        {
            "batch_id": pa.array([batch_id] * len(rejections), pa.string()),
            "row": pa.array([r.row for r in rejections], pa.int64()),
            "field": pa.array([r.field for r in rejections], pa.string()),
            "reason": pa.array([r.reason for r in rejections], pa.string()),
            "raw": pa.array([repr(raw[r.row])[:1000] for r in rejections], pa.string()),
        }
    )


def publish(
    runtime: IngestRuntime, outcome: Outcome, table: pa.Table, *, factory_id: str, org_id: str, batch_id: str
) -> int:
    """Every slice durable on the bus before returning; the batch key makes a republish harmless."""
    topics = runtime.topics
    sends: list[tuple[str, pa.Table, str]] = []
    for index, chunk in enumerate(messages.chunks(outcome.valid)):
        key = f"{factory_id}/{batch_id}/{index}"
        sends.append(
            (
                topics.telemetry,
                stamped(chunk, factory_id=factory_id, org_id=org_id, batch_key=key, column="ingested_at"),
                key,
            )
        )
    if outcome.rejections:
        key = f"{factory_id}/{batch_id}/dead"
        letters = stamped(
            _dead_letters(table, outcome.rejections, batch_id),
            factory_id=factory_id,
            org_id=org_id,
            batch_key=key,
            column="rejected_at",
        )
        sends.append((topics.dead_letters, letters, key))
    try:
        runtime.bus.publish(
            [
                Outgoing(
                    topic,
                    factory_id.encode(),
                    messages.encode(data),
                    {"batch_key": key, "factory_id": factory_id, "org_id": org_id},
                )
                for topic, data, key in sends
            ]
        )
    except BusUnavailable as exc:
        raise ServiceUnavailable(
            Msg("the event bus is unavailable, nothing was accepted: {exc}", exc=exc),
            headers={"Retry-After": "5"},
        ) from exc
    return len(sends)


def record(
    session: Session,
    *,
    factory_id: str,
    batch_id: str,
    org_id: str,
    policy: str,
    outcome: Outcome,
    chunks: int,
) -> tuple[Batch, bool]:
    batch = Batch(
        factory_id=factory_id,
        batch_id=batch_id,
        org_id=org_id,
        policy=policy,
        accepted=outcome.valid.num_rows,
        rejected=outcome.rejected_rows,
        chunks=chunks,
        received_at=datetime.now(UTC),
    )
    try:
        with session.begin_nested():
            session.add(batch)
    except IntegrityError:
        # The same batch raced in on another request; the lake writer dedupes the second publish.
        existing = previous(session, factory_id, batch_id)
        assert existing is not None
        return existing, True
    return batch, False
