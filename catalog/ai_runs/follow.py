"""The scheduled rounds: every ``ai.follow_seconds``, each subscription whose watermark is behind the
readings' current snapshot gets a ``follow`` run, which scores the windows closed since (``predictions``'
watermark makes a round that repeats work, or dies half way, harmless).

A thread of the analytics process: the model itself runs in the limited child process of every run, so a
model that misbehaves fails its run, not the round. The signature and tenancy a round uses are those
recorded with the subscription's watermark at the time the SME applied the model.
"""

from __future__ import annotations

import logging
import threading

from catalog.ai_runs import apply
from catalog.ai_runs.predictions import predictions_table, subscriptions
from catalog.runtime import Analytics
from services.kit.objects import ObjectStore
from services.kit.slots import Slot
from services.usecases.runnable.runner import Limits
from services.usecases.runnable.signature import Signature

log = logging.getLogger(__name__)


def round_once(analytics: Analytics, models: ObjectStore, limits: Limits) -> int:
    """One round (blocking); returns the runs it made."""
    engine = analytics.engine()
    current = engine.lake.readings().current_snapshot()
    snapshot = current.snapshot_id if current is not None else None
    runs = 0
    for sub, mark in subscriptions(predictions_table(engine.lake)):
        if mark.snapshot == snapshot:
            continue
        request = apply.RunRequest(sub, Signature.model_validate(mark.signature), "platform", kind="follow")
        run_id, requested_at = apply.new_run_id(), apply.now()
        apply.start(engine, request, run_id, requested_at)
        apply.execute(engine, models, request, limits, run_id, requested_at)
        runs += 1
    return runs


class Follower:
    def __init__(self, analytics: Analytics, models: ObjectStore, limits: Limits, interval_s: float) -> None:
        self.analytics, self.models, self.limits, self.interval_s = analytics, models, limits, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ai-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(self.limits.wall_seconds + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                round_once(self.analytics, self.models, self.limits)
            except Exception:  # the lake unreachable for a while: the watermarks did not move
                log.exception("ai follow round failed; retrying in %.0fs", self.interval_s)


FOLLOWER: Slot[Follower] = Slot("ai_follower")  # started by the analytics service when it follows
