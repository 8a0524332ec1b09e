"""Claims re-measured: a case's stated metric on a dataset version, checked by running the case's model on
that version's snapshot.

A measurement is reproducible: it names the dataset's content hash and the model's SHA-256, and both are
checked on reading (``snapshot.load_snapshot``, ``services.usecases.runnable.store.load``), so the same two
hashes give the same figure. Scoring is the limited runner's (``services.usecases.runnable.runner``) over the
windows the model's signature asks for (``catalog.ai_runs.windows``), exactly as an SME's own data is scored.

How a window is judged: its truth is the label of the label window overlapping it most (same equipment);
no overlapping label window means negative.
- ``accuracy`` and ``f1`` are binary: a window is positive (an anomaly, a defect) when its label is not one
  of the negative words (``NEGATIVE``: ``normal``, ``ok``, ``0``, ``false``), and when the model's first
  ``class`` output is one of the classes that output names ``positive`` or, if it names none, is not a
  negative word: so a 0/1 classifier and a labelled-by-name dataset meet without a mapping, and an
  outlier detector's -1/1 says which of the two is the anomaly;
- ``mae`` and ``rmse`` compare the first ``value`` (or ``score``) output with labels read as numbers, over the
  windows that have a label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from fastapi import Request
from sqlalchemy.orm import Session

from catalog.ai_runs.windows import windows_of
from catalog.datasets import repository
from catalog.datasets.models import Claim
from catalog.datasets.schemas import HIGHER_IS_BETTER, ClaimIn, ClaimOut, Leaderboard
from catalog.datasets.snapshot import DATASETS, DatasetSnapshot, load_snapshot
from catalog.endpoints import run_blocking
from services.kit.app_state import app_state
from services.kit.clients import bearer_token, service_client
from services.kit.db import utcnow
from services.kit.errors import Forbidden, NotFound, ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.principal import Principal
from services.usecases.runnable import runner, store
from services.usecases.runnable.signature import Signature

NEGATIVE = frozenset({"normal", "ok", "0", "false"})

_JUDGED_SQL = """
SELECT p.equipment, p.window_start, p.label AS predicted, p.value AS predicted_value,
       coalesce(arg_max(l.label, epoch_us(least(p.window_end, l.window_end))
                                 - epoch_us(greatest(p.window_start, l.window_start))), NULL) AS truth
FROM predictions p
LEFT JOIN labels l
  ON l.equipment = p.equipment AND l.window_start < p.window_end AND l.window_end > p.window_start
GROUP BY ALL
ORDER BY p.equipment, p.window_start
"""


class MeasurementFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CaseModel:
    """What a claim runs: the case's model file and signature, and the organisation that owns the case."""

    owner_org_id: str | None
    sha256: str
    signature: Signature


def _judged(predictions: pa.Table, labels: pa.Table | None) -> list[dict[str, Any]]:
    con = duckdb.connect(":memory:", config={"threads": 1})
    try:
        con.register("predictions", predictions)
        con.register(
            "labels",
            labels
            if labels is not None
            else pa.table(
                {
                    "equipment": pa.array([], pa.string()),
                    "window_start": pa.array([], predictions.schema.field("window_start").type),
                    "window_end": pa.array([], predictions.schema.field("window_end").type),
                    "label": pa.array([], pa.string()),
                }
            ),
        )
        return con.execute(_JUDGED_SQL).to_arrow_table().to_pylist()
    finally:
        con.close()


def positive(label: str | None) -> bool:
    return label is not None and label.strip().lower() not in NEGATIVE


def figure(metric: str, judged: list[dict[str, Any]], positives: list[str] | None = None) -> float:
    """The metric over judged windows (``predicted`` or ``predicted_value`` against ``truth``); ``positives``:
    the classes of the model's output that mean positive, when it names them."""
    if metric in ("accuracy", "f1"):
        if not judged:
            raise MeasurementFailed("the model scored no window of the dataset")
        truth = [positive(r["truth"]) for r in judged]
        named = None if positives is None else {p.strip().lower() for p in positives}
        guess = [
            positive(r["predicted"])
            if named is None
            else r["predicted"] is not None and r["predicted"].strip().lower() in named
            for r in judged
        ]
        pairs = list(zip(truth, guess, strict=True))
        if metric == "accuracy":
            return sum(t == g for t, g in pairs) / len(pairs)
        tp = sum(t and g for t, g in pairs)
        wrong = sum(t != g for t, g in pairs)
        return 2 * tp / (2 * tp + wrong) if tp + wrong else 1.0
    numbers = []
    for r in judged:
        if r["truth"] is None or r["predicted_value"] is None:
            continue
        try:
            numbers.append((float(r["truth"]), float(r["predicted_value"])))
        except ValueError as exc:
            raise MeasurementFailed(f"label '{r['truth']}' is not a number") from exc
    if not numbers:
        raise MeasurementFailed("no labelled window was scored")
    errors = np.array([p - t for t, p in numbers])
    return float(np.mean(np.abs(errors))) if metric == "mae" else float(math.sqrt(np.mean(errors**2)))


def measure(
    model_bytes: bytes, signature: Signature, snapshot: DatasetSnapshot, metric: str, limits: runner.Limits
) -> float:
    """Run the model on the snapshot's windows and compute ``metric`` against its labels."""
    if (signature.model_id, signature.model_version) != (snapshot.model_id, snapshot.model_version):
        raise MeasurementFailed(
            f"the model reads {signature.model_id} {signature.model_version}; "
            f"the dataset holds {snapshot.model_id} {snapshot.model_version}"
        )
    if snapshot.labels is None:
        raise MeasurementFailed("the dataset version has no labels")
    kinds = ("class",) if metric in ("accuracy", "f1") else ("value", "score")
    output = next((o for o in signature.outputs if o.kind in kinds), None)
    if output is None:
        raise MeasurementFailed(f"the model has no {' or '.join(kinds)} output for {metric}")
    try:
        predictions = runner.score_windows(
            model_bytes, signature, windows_of(snapshot.readings, signature), limits
        )
    except runner.RunFailed as exc:
        raise MeasurementFailed(f"{exc.reason}: {exc.detail}") from exc
    chosen = predictions.filter(pa.compute.equal(predictions["output"], output.name))
    return round(figure(metric, _judged(chosen, snapshot.labels), output.positive), 6)


def record(
    session: Session,
    claim: Claim,
    model: CaseModel,
    model_bytes: bytes,
    snapshot: DatasetSnapshot,
    limits: runner.Limits,
) -> Claim:
    """Measure ``claim`` and keep the figure with the two hashes it was measured on (or why it failed)."""
    claim.model_sha256, claim.dataset_sha256 = model.sha256, snapshot.content_hash
    try:
        claim.measured = measure(model_bytes, model.signature, snapshot, claim.metric, limits)
        claim.status, claim.reason = "measured", None
    except MeasurementFailed as exc:
        claim.status, claim.reason, claim.measured = "failed", exc.reason[:500], None
    claim.measured_at = utcnow()
    session.flush()
    return claim


async def case_model(request: Request, case_id: str) -> CaseModel:
    """The case's runnable model as the use-cases service publishes it (``GET /usecases/{id}/model``), and
    the case's organisation (``GET /usecases/{id}``)."""
    client, token = service_client(request), bearer_token(request)
    try:
        case = await client.get_json("usecases", f"/{case_id}", token=token)
        found = await client.get_json("usecases", f"/{case_id}/model", token=token)
    except NotFound as exc:
        raise ValidationFailed(
            Msg("case '{case_id}' has no runnable model", case_id=case_id),
            fields=[field_error("body.case_id", Msg("no runnable model on this case"))],
        ) from exc
    return CaseModel(
        owner_org_id=case.get("owner_org_id"),
        sha256=found["sha256"],
        signature=Signature.model_validate(found["signature"]),
    )


async def claim(
    request: Request, session: Session, principal: Principal, dataset_id: str, version: int, body: ClaimIn
) -> ClaimOut:
    model = await case_model(request, body.case_id)
    if not principal.acts_for(model.owner_org_id):
        raise Forbidden(Msg("only the case's organisation states its claims"))
    state = app_state(request)
    dataset_store, models = state.get(DATASETS), store.models_of(state)

    def run() -> ClaimOut:
        dataset = repository.get(session, dataset_id)
        if not any(v.version == version for v in dataset.versions):
            raise NotFound(
                Msg("dataset '{dataset_id}' has no version {version}", dataset_id=dataset_id, version=version)
            )
        snapshot = load_snapshot(dataset_store, dataset_id, version)
        entry = Claim(
            dataset_id=dataset_id,
            version=version,
            case_id=body.case_id,
            owner_org_id=model.owner_org_id,
            metric=body.metric,
            claimed=body.value,
        )
        session.add(entry)
        return claim_out(
            record(session, entry, model, store.load(models, model.sha256), snapshot, runner.Limits())
        )

    return await run_blocking(run)


def claim_out(claim: Claim) -> ClaimOut:
    return ClaimOut.model_validate(claim, from_attributes=True)


def leaderboard(session: Session, dataset_id: str, version: int, metric: str) -> Leaderboard:
    repository.get(session, dataset_id)  # 404 for an unknown dataset
    higher = HIGHER_IS_BETTER[metric]
    measured = [
        c
        for c in repository.claims(session, dataset_id, version)
        if c.metric == metric and c.measured is not None
    ]
    measured.sort(key=lambda c: (-(c.measured or 0.0) if higher else (c.measured or 0.0), c.created_at))
    return Leaderboard(
        dataset_id=dataset_id,
        version=version,
        metric=metric,
        higher_is_better=higher,
        items=[claim_out(c) for c in measured],
    )
