"""What every command shares: settings, credentials, outbox, uploader, and the summary and exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

import httpx
from tqdm import tqdm

from ingest.edge.auth import (
    AuthError,
    ClientCredentials,
    StaticToken,
    Tokens,
    TokenUnavailable,
    claims_of,
    is_admin,
)
from ingest.edge.config import EdgeSettings
from ingest.edge.outbox import BatchMeta, Outbox
from ingest.edge.payloads import Body
from ingest.edge.uploader import Delivery, Tally, Uploader

EXIT_OK, EXIT_ERROR, EXIT_PENDING, EXIT_FAILED, EXIT_AUTH, EXIT_INTERRUPTED = 0, 1, 3, 4, 5, 130


class ConfigError(Exception):
    """A setting or argument the command cannot work with."""


def say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


class Edge:
    """One command's gateway: settings, HTTP client, credentials, outbox and uploader."""

    def __init__(self, settings: EdgeSettings, args: argparse.Namespace) -> None:
        self.settings = settings
        self.http = httpx.Client(timeout=settings.timeout_s)
        self.outbox = Outbox(settings.outbox_dir)
        self.policy: str = getattr(args, "policy", "reject")
        self._args = args
        self._tokens: Tokens | None = None

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            s = self.settings
            if s.token is not None:
                self._tokens = StaticToken(s.token.get_secret_value())
            elif s.client_id and s.client_secret is not None:
                self._tokens = ClientCredentials(
                    self.http, s.token_endpoint, s.client_id, s.client_secret.get_secret_value()
                )
            else:
                raise ConfigError(
                    "no credentials: set SMARTMFG_EDGE_CLIENT_ID and SMARTMFG_EDGE_CLIENT_SECRET "
                    "(or --client-id/--client-secret), or pass --token"
                )
        return self._tokens

    def uploader(self) -> Uploader:
        return Uploader(
            self.http,
            self.settings.base_url,
            self.tokens,
            max_attempts=self._args.max_attempts,
            backoff_s=self._args.backoff,
            on_retry=lambda meta, reason, delay: say(f"retry   {meta.batch_id} in {delay:.1f} s: {reason}"),
        )

    def claims(self) -> dict[str, Any]:
        return claims_of(self.tokens.bearer())

    def factory_id(self) -> str:
        """The configured factory, checked against the token's; else the token's own."""
        configured = self.settings.factory_id
        try:
            claims = self.claims()
        except TokenUnavailable:
            if configured:
                return configured  # offline: stage now, the platform checks the factory on delivery
            raise ConfigError(
                "the token endpoint is unreachable and no factory is configured: "
                "set SMARTMFG_EDGE_FACTORY_ID (or --factory-id)"
            ) from None
        claimed = claims.get("factory_id")
        if configured and claimed and configured != claimed and not is_admin(claims):
            raise ConfigError(f"this gateway's token uploads for factory '{claimed}', not '{configured}'")
        factory = configured or claimed
        if not factory:
            raise ConfigError("the token names no factory (factory_id claim): pass --factory-id")
        return str(factory)

    def stage(self, batch_id: str, factory_id: str, body: Body, rows: int, source: str) -> None:
        meta = BatchMeta(
            batch_id=batch_id,
            factory_id=factory_id,
            content_type=body.content_type,
            rows=rows,
            policy=self.policy,
            content_encoding=body.content_encoding,
            source=source,
        )
        self.outbox.put(meta, body.data)

    def close(self) -> None:
        self.http.close()


def report(delivery: Delivery) -> None:
    if delivery.outcome == "failed":
        say(f"failed  {delivery.meta.batch_id}: {delivery.detail}")
    elif delivery.outcome == "pending":
        say(f"pending {delivery.meta.batch_id}: {delivery.detail}")


def finish(tally: Tally, pending: int, auth_error: AuthError | None = None) -> int:
    failed = len(tally.failed) + tally.refused_before
    print(
        f"delivered {tally.acked} batches ({tally.accepted} readings accepted, {tally.rejected} rejected, "
        f"{tally.duplicates} duplicates); {tally.skipped} delivered before; {failed} failed; "
        f"{pending} pending"
    )
    if auth_error is not None:
        say(f"error: {auth_error}")
        return EXIT_AUTH
    if failed:
        say("failed batches are in the outbox's failed/ with the platform's answer: smartmfg-edge outbox")
        return EXIT_FAILED
    if pending:
        say("the platform was unreachable; the outbox keeps the pending batches: smartmfg-edge flush")
        return EXIT_PENDING
    return EXIT_OK


def still_pending(outbox: Outbox, batch_ids: Iterable[str]) -> int:
    return sum(outbox.state(b) == "pending" for b in batch_ids)
