"""Commands on live streams: send (stdin) and simulate."""

from __future__ import annotations

import argparse
import itertools
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest.edge import payloads, simulate
from ingest.edge.auth import is_admin
from ingest.edge.gateway import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfigError,
    Edge,
    finish,
    report,
    say,
    still_pending,
)
from ingest.edge.payloads import Body
from ingest.edge.stream import BackgroundSender, Batcher, lines_of, timed_lines
from ingest.edge.uploader import Tally


def _live_id(kind: str) -> str:
    return f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def _json_record(line: str) -> dict[str, Any] | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        say(f"skipped a line that is not JSON ({exc}): {line[:120]}")
        return None
    if not isinstance(record, dict):
        say(f"skipped a line that is not a JSON object: {line[:120]}")
        return None
    return record


Feed = Callable[[Callable[[str], Batcher[Any]], Callable[[], None]], None]


def _stream(
    edge: Edge, args: argparse.Namespace, kind: str, feed: Feed, encode: Callable[[list[Any]], Body]
) -> int:
    """Shared by send and simulate: records into one batcher per factory, batches into the outbox, and a
    background sender delivering them meanwhile."""
    tally, staged = Tally(), []
    sender = BackgroundSender(edge.outbox, edge.uploader(), tally, report).start()
    batchers: dict[str, Batcher[Any]] = {}

    def batcher_for(factory_id: str) -> Batcher[Any]:
        if factory_id not in batchers:

            def emit(records: list[Any]) -> None:
                batch_id = _live_id(kind)
                edge.stage(batch_id, factory_id, encode(records), len(records), kind)
                staged.append(batch_id)
                sender.notify()

            batchers[factory_id] = Batcher(args.batch_rows, args.batch_seconds, emit)
        return batchers[factory_id]

    def tick() -> None:
        for batcher in batchers.values():
            batcher.tick()

    interrupted = False
    try:
        feed(batcher_for, tick)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for batcher in batchers.values():
            batcher.flush()  # what was read is staged, even on Ctrl-C
        sender.close()
    code = finish(tally, still_pending(edge.outbox, staged), sender.auth_error)
    return EXIT_INTERRUPTED if interrupted else code


def cmd_send(edge: Edge, args: argparse.Namespace) -> int:
    factory = edge.factory_id()
    lines = lines_of(sys.stdin)
    first = next(lines, None)
    if first is None:
        say("nothing on stdin")
        return EXIT_OK
    fmt = args.input_format
    if fmt == "auto":
        fmt = "jsonl" if first.lstrip().startswith("{") else "csv"
    encode: Callable[[list[Any]], Body]
    parse: Callable[[str], Any]
    if fmt == "csv":
        # The first line is the CSV header of every batch; the records pass through as they are.
        encode, parse = (lambda records: payloads.encode_csv(first, records)), (lambda line: line)
    else:
        lines = itertools.chain([first], lines)
        encode, parse = payloads.encode_json, _json_record

    def feed(batcher_for: Callable[[str], Batcher[Any]], _tick: Callable[[], None]) -> None:
        timed_lines(lines, batcher_for(factory), parse)

    return _stream(edge, args, "live", feed, encode)


def _sim_factories(edge: Edge, count: int) -> list[str]:
    claims = edge.claims()
    if not is_admin(claims):
        if count > 1:
            raise ConfigError(
                "a gateway uploads only for its own factory; simulating several factories needs "
                "an admin token (--token)"
            )
        return [edge.factory_id()]
    named = [edge.settings.factory_id] if edge.settings.factory_id else []
    return (named + [f"sim-factory-{n:02d}" for n in range(1, count + 1)])[:count]


def cmd_simulate(edge: Edge, args: argparse.Namespace) -> int:
    factories = _sim_factories(edge, args.factories)
    models = simulate.fetch_models(edge.http, edge.settings.base_url, set(args.model) if args.model else None)
    if not models:
        raise ConfigError("the platform has no published equipment model to simulate")
    fleet = simulate.plan(factories, args.machines, models, args.rate, args.seed)
    say(
        f"simulating {len(fleet)} machines ({len(models)} models) in {', '.join(factories)} "
        f"at {args.rate:g} Hz for {args.duration:g} s{' (backfill)' if args.backfill else ''}"
    )

    def feed(batcher_for: Callable[[str], Batcher[Any]], tick: Callable[[], None]) -> None:
        made = simulate.run(
            fleet,
            rate=args.rate,
            duration_s=args.duration,
            backfill=args.backfill,
            sink=lambda factory_id, reading: batcher_for(factory_id).add(reading),
            on_tick=tick,
        )
        say(f"made {made} readings")

    return _stream(edge, args, "sim", feed, payloads.encode_json)
