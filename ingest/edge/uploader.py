"""Delivering outbox batches: POST /api/v1/ingest/batches with retries, then ack or fail in the outbox."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from ingest.edge.auth import AuthError, Tokens, TokenUnavailable
from ingest.edge.outbox import BatchMeta, Outbox

UPLOAD_PATH = "/api/v1/ingest/batches"
# A bogus Retry-After must not park a gateway for hours; past this the batch simply stays pending.
MAX_RETRY_AFTER_S = 600.0


def _transient(status: int) -> bool:
    return status in (408, 429) or status >= 500


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the platform asked us to wait (delta-seconds or an HTTP date), if it said so."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def describe(status: int, error: Any) -> str:
    """One line for people: the platform's error name, detail and first offending field."""
    if not isinstance(error, dict) or "detail" not in error:
        return f"HTTP {status}: {str(error)[:300]}"
    line = f"HTTP {status} {error.get('error', 'Error')}: {error['detail']}"
    fields = error.get("fields") or []
    if fields:
        more = f"; {len(fields) - 1} more" if len(fields) > 1 else ""
        line += f" [{fields[0].get('loc')}: {fields[0].get('msg')}{more}]"
    return line


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class Pacer:
    """Token buckets of readings and batches per second: a gateway back after a day offline sends its
    backlog at this pace instead of all at once (the platform's 429s are honoured on top of it). A bucket
    holds one second's worth, so a batch larger than that simply waits for its rows' time."""

    def __init__(
        self,
        readings_per_s: float | None,
        batches_per_s: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = (readings_per_s, batches_per_s)
        self.clock, self.sleep = clock, sleep
        self.levels = [readings_per_s or 0.0, batches_per_s or 0.0]
        self.at = clock()

    def wait(self, rows: int) -> None:
        now = self.clock()
        elapsed, self.at = now - self.at, now
        delay = 0.0
        for index, (rate, need) in enumerate(zip(self.rates, (rows, 1), strict=True)):
            if rate is None:
                continue
            level = min(rate, self.levels[index] + elapsed * rate) - need
            self.levels[index] = level
            delay = max(delay, -level / rate)
        if delay > 0:
            self.sleep(delay)


@dataclass(frozen=True)
class Delivery:
    meta: BatchMeta
    outcome: Literal["acked", "failed", "pending"]
    detail: str
    status: int | None = None
    receipt: dict[str, Any] | None = None
    error: Any = None  # the platform's answer to a refused batch


@dataclass
class Tally:
    """What a command delivered, for its summary line and exit code."""

    acked: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped: int = 0  # delivered by an earlier run
    failed: list[Delivery] = field(default_factory=list)
    refused_before: int = 0  # in failed/ since an earlier run

    def add(self, delivery: Delivery) -> None:
        if delivery.outcome == "acked" and delivery.receipt is not None:
            self.acked += 1
            self.accepted += int(delivery.receipt.get("accepted", 0))
            self.rejected += int(delivery.receipt.get("rejected", 0))
            self.duplicates += bool(delivery.receipt.get("duplicate"))
        elif delivery.outcome == "failed":
            self.failed.append(delivery)


class Uploader:
    def __init__(
        self,
        http: httpx.Client,
        api: str,
        tokens: Tokens,
        *,
        max_attempts: int = 5,
        backoff_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        on_retry: Callable[[BatchMeta, str, float], None] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.http, self.url, self.tokens = http, f"{api.rstrip('/')}{UPLOAD_PATH}", tokens
        self.max_attempts, self.backoff_s, self.backoff_cap_s = max(1, max_attempts), backoff_s, backoff_cap_s
        self.on_retry, self.pacer = on_retry, pacer

    def _delay(self, attempt: int, asked: float | None) -> float:
        # Exponential backoff with jitter, so gateways that lost the platform together do not come back
        # in lockstep; an explicit Retry-After is a floor.
        ceiling = min(self.backoff_cap_s, self.backoff_s * 2 ** (attempt - 1))
        jittered = random.uniform(ceiling / 2, ceiling)
        return (
            jittered if asked is None else min(asked, MAX_RETRY_AFTER_S) + random.uniform(0, self.backoff_s)
        )

    def _post(self, meta: BatchMeta, body: bytes) -> httpx.Response:
        if self.pacer is not None:
            self.pacer.wait(meta.rows)
        headers = {
            "Authorization": f"Bearer {self.tokens.bearer()}",
            "X-Batch-Id": meta.batch_id,
            "X-Factory-Id": meta.factory_id,
            "Content-Type": meta.content_type,
        }
        if meta.content_encoding:
            headers["Content-Encoding"] = meta.content_encoding
        return self.http.post(self.url, content=body, headers=headers, params={"policy": meta.policy})

    def send(self, meta: BatchMeta, body: bytes) -> Delivery:
        """Deliver one batch: acked (2xx), failed (a 4xx the same bytes will always get) or pending (the
        platform stayed unreachable or busy for every attempt). AuthError when credentials are refused."""
        attempt, renewed = 0, False
        while True:
            asked: float | None = None
            try:
                response = self._post(meta, body)
            except (httpx.TransportError, TokenUnavailable) as exc:
                reason = f"platform unreachable: {exc}"
            else:
                status = response.status_code
                if status in (200, 202):
                    receipt = response.json()
                    detail = "duplicate" if receipt.get("duplicate") else "accepted"
                    return Delivery(meta, "acked", detail, status, receipt=receipt)
                if status == 401:
                    # An expired or revoked token: fetch a new one once; a second refusal is a config error.
                    if not renewed and self.tokens.invalidate():
                        renewed = True
                        continue
                    raise AuthError(f"the platform refused the token: {describe(status, _body(response))}")
                error = _body(response)
                if not _transient(status):
                    return Delivery(meta, "failed", describe(status, error), status, error=error)
                asked = retry_after(response)
                reason = describe(status, error)
            attempt += 1
            if attempt >= self.max_attempts:
                return Delivery(meta, "pending", reason)
            delay = self._delay(attempt, asked)
            if self.on_retry is not None:
                self.on_retry(meta, reason, delay)
            time.sleep(delay)


def deliver(outbox: Outbox, uploader: Uploader, batch_id: str) -> Delivery:
    meta, body = outbox.load(batch_id)
    delivery = uploader.send(meta, body)
    if delivery.outcome == "acked" and delivery.receipt is not None:
        outbox.ack(meta, delivery.receipt)
    elif delivery.outcome == "failed" and delivery.status is not None:
        outbox.fail(meta, delivery.status, delivery.error)
    return delivery


def flush(
    outbox: Outbox, uploader: Uploader, tally: Tally, on_delivery: Callable[[Delivery], None] | None = None
) -> bool:
    """Send pending batches oldest first; stop at the first one that stays pending (the platform is down, so
    the rest would wait just as long). True when nothing is left pending."""
    for meta in outbox.pending():
        try:
            delivery = deliver(outbox, uploader, meta.batch_id)
        except FileNotFoundError:  # another process delivered it meanwhile
            continue
        tally.add(delivery)
        if on_delivery is not None:
            on_delivery(delivery)
        if delivery.outcome == "pending":
            return False
    return True
