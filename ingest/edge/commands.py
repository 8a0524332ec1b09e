"""Commands on files and the outbox: upload, flush, outbox, status."""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from tqdm import tqdm

from ingest.edge import payloads
from ingest.edge.auth import AuthError, TokenUnavailable
from ingest.edge.gateway import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_PENDING,
    ConfigError,
    Edge,
    finish,
    report,
    say,
    still_pending,
)
from ingest.edge.outbox import BatchMeta, Outbox
from ingest.edge.uploader import Tally, deliver, describe, flush


def _file_prefix(factory: str, info: payloads.FileInfo) -> str:
    # Batch ids from factory, content and slicing: rerunning an interrupted upload makes the same batches,
    # the delivered ones are skipped and a resent one is deduplicated by the platform.
    return f"up-{hashlib.sha256(f'{factory}/{info.digest}'.encode()).hexdigest()[:12]}-"


def _check_slicing(outbox: Outbox, prefixes: dict[payloads.FileInfo, str], batch_rows: int) -> None:
    """Other slices of a file already (partly) sent would have other batch ids, so the platform could not
    tell their readings were delivered: refuse instead of duplicating them."""
    for info, prefix in prefixes.items():
        slicings = {batch_id[len(prefix) :].split("-")[0] for batch_id in outbox.known_ids(prefix)}
        other = sorted(s.removeprefix("r") for s in slicings - {f"r{batch_rows}"})
        if other:
            raise ConfigError(
                f"{info.path} was uploaded before with --batch-rows {', '.join(other)}; "
                "use the same value so its batches keep their ids"
            )


def cmd_upload(edge: Edge, args: argparse.Namespace) -> int:
    factory = edge.factory_id()
    infos = [payloads.inspect(Path(f)) for f in args.files]
    prefixes = {info: _file_prefix(factory, info) for info in infos}
    _check_slicing(edge.outbox, prefixes, args.batch_rows)
    uploader, tally, staged = edge.uploader(), Tally(), []
    reachable = True
    total = sum(i.approx_rows for i in infos)
    with tqdm(total=total, unit=" rows", unit_scale=True, desc="upload", disable=args.quiet) as bar:
        for info, prefix in prefixes.items():
            start = 0
            for index, table in enumerate(payloads.slices(info, args.batch_rows)):
                batch_id, rows = f"{prefix}r{args.batch_rows}-{index:06d}", table.num_rows
                source = f"{info.path.name} rows {start}-{start + rows - 1}"
                start += rows
                state = edge.outbox.state(batch_id)
                if state is None:
                    edge.stage(batch_id, factory, payloads.encode_table(table, args.format), rows, source)
                    state = "pending"
                if state == "acked":
                    tally.skipped += 1
                elif state == "failed":
                    tally.refused_before += 1
                    say(f"failed  {batch_id}: refused by an earlier run, see smartmfg-edge outbox")
                else:
                    staged.append(batch_id)
                    if reachable:
                        delivery = deliver(edge.outbox, uploader, batch_id)
                        tally.add(delivery)
                        report(delivery)
                        # Once the platform is gone, stage the rest without waiting on each batch.
                        reachable = delivery.outcome != "pending"
                bar.update(rows)
    return finish(tally, still_pending(edge.outbox, staged))


def cmd_flush(edge: Edge, args: argparse.Namespace) -> int:
    tally = Tally()
    flush(edge.outbox, edge.uploader(), tally, report)
    return finish(tally, edge.outbox.counts()["pending"])


def _line(meta: BatchMeta) -> str:
    return f"{meta.batch_id}  {meta.factory_id}  {meta.rows} rows  {meta.source}"


def cmd_outbox(edge: Edge, args: argparse.Namespace) -> int:
    for batch_id in args.requeue or []:
        say(f"requeued {batch_id}" if edge.outbox.requeue(batch_id) else f"no failed batch {batch_id}")
    pending, failed = edge.outbox.pending(), edge.outbox.failed()
    if args.json:
        print(
            orjson.dumps(
                {
                    "pending": [asdict(m) for m in pending],
                    "failed": [
                        {**asdict(f.meta), "status": f.status, "error": f.error, "failed_at": f.failed_at}
                        for f in failed
                    ],
                    "counts": edge.outbox.counts(),
                },
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
        return EXIT_OK
    print(f"outbox {edge.outbox.root}: {len(pending)} pending, {len(failed)} failed")
    for meta in pending:
        print(f"  pending {_line(meta)}  staged {meta.created_at}")
    for batch in failed:
        print(f"  failed  {_line(batch.meta)}\n          {describe(batch.status, batch.error)}")
    return EXIT_OK


def cmd_status(edge: Edge, args: argparse.Namespace) -> int:
    report: dict[str, Any] = {"api": edge.settings.base_url, "outbox": edge.outbox.counts()}
    code = EXIT_OK
    try:
        ready = edge.http.get(f"{edge.settings.base_url}/readyz")
        report["platform"] = (
            ready.json()
            if ready.headers.get("content-type", "").startswith("application/json")
            else {"status": f"HTTP {ready.status_code}"}
        )
        code = EXIT_OK if ready.status_code == 200 else EXIT_PENDING
    except httpx.TransportError as exc:
        report["platform"], code = {"status": f"unreachable: {exc}"}, EXIT_PENDING
    try:
        claims = edge.claims()
        report["token"] = {
            "status": "ok",
            "client": claims.get("azp"),
            "factory_id": claims.get("factory_id"),
            "roles": claims.get("realm_access", {}).get("roles", []),
            "expires_at": datetime.fromtimestamp(claims.get("exp", 0), UTC).isoformat(),
        }
    except (AuthError, ConfigError) as exc:
        report["token"], code = {"status": f"refused: {exc}"}, EXIT_AUTH
    except TokenUnavailable as exc:
        report["token"], code = {"status": f"unavailable: {exc}"}, code or EXIT_PENDING
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        counts = report["outbox"]
        print(f"platform {report['api']}: {report['platform'].get('status')}")
        print(
            f"token:   {report['token']['status']}"
            + (
                f" (client {report['token']['client']}, factory {report['token']['factory_id']}, "
                f"expires {report['token']['expires_at']})"
                if report["token"]["status"] == "ok"
                else ""
            )
        )
        print(f"outbox:  {counts['pending']} pending, {counts['failed']} failed, {counts['acked']} delivered")
    return code
