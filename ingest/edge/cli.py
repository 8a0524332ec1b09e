"""`smartmfg-edge`: 스마트제조 엣지 게이트웨이 — run a gateway of OPC UA, MTConnect, MQTT and Modbus
connectors (their file written from a model's mappings by ``config``), upload, stream and simulate
equipment readings.

Exit codes: 0 delivered, 1 bad input or configuration, 2 bad usage, 3 batches left pending (platform
unreachable; they stay in the outbox), 4 batches refused for good (in the outbox's failed/), 5 credentials
refused, 130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from ingest.edge import gwconfig, payloads
from ingest.edge.auth import AuthError, TokenUnavailable
from ingest.edge.commands import cmd_flush, cmd_outbox, cmd_status, cmd_upload
from ingest.edge.config import EdgeSettings
from ingest.edge.gateway import (
    EXIT_AUTH,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_PENDING,
    ConfigError,
    Edge,
    say,
)
from ingest.edge.live import cmd_send, cmd_simulate
from ingest.edge.modelconfig import PROTOCOLS, cmd_config
from ingest.edge.payloads import InputError
from ingest.edge.runner import cmd_check, cmd_run, setup_logging


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


POSITIVE_INT, POSITIVE_FLOAT = _positive(int), _positive(float)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    conn = common.add_argument_group("platform and credentials (flags override SMARTMFG_EDGE_* variables)")
    conn.add_argument("--api", help="platform URL (SMARTMFG_EDGE_API, default http://127.0.0.1:8000)")
    conn.add_argument(
        "--token-url", help="OIDC token endpoint (SMARTMFG_EDGE_TOKEN_URL, default <api>/dev-oidc/token)"
    )
    conn.add_argument("--client-id", help="gateway client id (SMARTMFG_EDGE_CLIENT_ID)")
    conn.add_argument("--client-secret", help="gateway client secret (SMARTMFG_EDGE_CLIENT_SECRET)")
    conn.add_argument("--token", help="use this bearer token as is, e.g. an admin's (SMARTMFG_EDGE_TOKEN)")
    conn.add_argument(
        "--factory-id", help="factory to upload for (SMARTMFG_EDGE_FACTORY_ID, default: the token's)"
    )
    conn.add_argument(
        "--outbox", help="outbox directory (SMARTMFG_EDGE_OUTBOX, default ~/.smartmfg-edge/outbox)"
    )
    conn.add_argument(
        "--max-attempts", type=POSITIVE_INT, default=5, help="tries per batch before it stays pending (5)"
    )
    conn.add_argument(
        "--backoff", type=POSITIVE_FLOAT, default=0.5, help="first retry delay in seconds, doubling (0.5)"
    )

    sending = argparse.ArgumentParser(add_help=False)
    sending.add_argument(
        "--policy",
        choices=["reject", "partial"],
        default="reject",
        help="invalid readings refuse the whole batch (reject) or only themselves (partial)",
    )

    live = argparse.ArgumentParser(add_help=False)
    live.add_argument(
        "--batch-rows", type=POSITIVE_INT, default=5000, help="readings per batch at most (5000)"
    )
    live.add_argument(
        "--batch-seconds", type=POSITIVE_FLOAT, default=1.0, help="send a partial batch after this (1 s)"
    )

    parser = argparse.ArgumentParser(
        prog="smartmfg-edge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str,
        summary: str,
        run: Callable[[Edge, argparse.Namespace], int],
        *parents: argparse.ArgumentParser,
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, parents=[common, *parents], help=summary, description=summary)
        cmd.set_defaults(run=run)
        return cmd

    upload = command(
        "upload", "파일 일괄 업로드 / backfill CSV or Parquet files, resumable", cmd_upload, sending
    )
    upload.add_argument("files", nargs="+", metavar="FILE", help=".csv or .parquet files of readings")
    upload.add_argument("--batch-rows", type=POSITIVE_INT, default=50_000, help="readings per batch (50000)")
    upload.add_argument(
        "--format",
        choices=sorted(payloads.FORMATS),
        default="parquet",
        help="wire format of the batches (parquet)",
    )
    upload.add_argument("--quiet", action="store_true", help="no progress bar")

    send = command("send", "실시간 전송 / stream JSON lines or CSV from stdin", cmd_send, sending, live)
    send.add_argument(
        "--input-format",
        choices=["auto", "jsonl", "csv"],
        default="auto",
        help="auto: JSON lines when the first line starts with '{', else CSV with a header line",
    )

    sim = command(
        "simulate",
        "가상 설비 데이터 생성 / simulate machines from the published equipment models",
        cmd_simulate,
        sending,
        live,
    )
    sim.add_argument(
        "--factories", type=POSITIVE_INT, default=1, help="factories (more than one needs an admin token)"
    )
    sim.add_argument("--machines", type=POSITIVE_INT, default=5, help="machines per factory (5)")
    sim.add_argument("--rate", type=POSITIVE_FLOAT, default=1.0, help="samples per second per machine (1)")
    sim.add_argument("--duration", type=POSITIVE_FLOAT, default=60.0, help="seconds to run (60)")
    sim.add_argument("--backfill", action="store_true", help="make the last DURATION seconds at once")
    sim.add_argument("--model", action="append", help="only this model id (repeatable)")
    sim.add_argument("--seed", type=int, help="random seed, for repeatable runs")

    command("flush", "대기 배치 재전송 / send pending batches now", cmd_flush)

    box = command("outbox", "아웃박스 조회 / list pending and failed batches", cmd_outbox)
    box.add_argument(
        "--requeue", action="append", metavar="BATCH_ID", help="move a failed batch back to pending"
    )
    box.add_argument("--json", action="store_true")

    gateway_file = argparse.ArgumentParser(add_help=False)
    gateway_file.add_argument(
        "--config", required=True, help="gateway file: TOML, or YAML when it ends in .yaml/.yml"
    )
    gateway_file.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    command(
        "run",
        "게이트웨이 실행 / run the connectors of a gateway file until stopped (SIGTERM, Ctrl-C)",
        cmd_run,
        gateway_file,
    )
    command(
        "check",
        "설정 검사 / check a gateway file against the platform's equipment models",
        cmd_check,
        gateway_file,
    )
    config = command(
        "config",
        "설정 생성 / write a gateway file binding every item of a published model by its source id",
        cmd_config,
    )
    config.add_argument(
        "--from-model",
        required=True,
        metavar="ID[@VERSION]",
        help="equipment model (default: latest published)",
    )
    config.add_argument("--protocol", required=True, choices=PROTOCOLS)
    config.add_argument(
        "--url", required=True, help="agent URL (http://...) or OPC UA server (opc.tcp://...)"
    )
    config.add_argument("--equipment-id", required=True, help="the machine's equipment id in the readings")
    config.add_argument("--name", help="connector name (default: from the model id)")
    config.add_argument(
        "--device", help="MTConnect device name (default: the one the model was imported from)"
    )
    config.add_argument(
        "--root",
        help="OPC UA: the machine on the server (node id, or browse path below Objects); binds the items "
        "of a model imported from a type NodeSet by their browse paths below it",
    )
    config.add_argument("--output", help="write the file here (default: standard output)")
    browse = sub.add_parser(
        "browse",
        help="OPC UA 탐색 / print a mapping draft of an OPC UA server's variables",
        description="Browse an OPC UA server and print [[connectors.points]] for its variables.",
    )
    browse.add_argument("url", help="opc.tcp://host:port")
    browse.add_argument("--root", default="i=85", help="node to browse from (default: Objects)")
    browse.add_argument("--depth", type=POSITIVE_INT, default=6, help="levels to descend (6)")
    browse.add_argument("--model", help="equipment model id: match browse names to its items")
    browse.add_argument("--api", help="platform URL for --model (SMARTMFG_EDGE_API)")
    browse.set_defaults(run=None)

    status = command("status", "상태 확인 / platform readiness, token and outbox counts", cmd_status)
    status.add_argument("--json", action="store_true")
    return parser


def _settings(args: argparse.Namespace) -> EdgeSettings:
    flags = {
        name: getattr(args, name)
        for name in ("api", "token_url", "client_id", "client_secret", "token", "factory_id", "outbox")
    }
    settings = EdgeSettings(**{name: value for name, value in flags.items() if value is not None})
    if getattr(args, "config", None) is None:
        return settings
    # The gateway file's [platform] and outbox are defaults: the environment and flags win.
    file = gwconfig.load(Path(args.config))
    args.gateway_file = file
    defaults: dict[str, Any] = {k: v for k, v in file.platform.model_dump().items() if v is not None}
    if file.gateway.outbox is not None:
        defaults["outbox"] = file.gateway.outbox
    return settings.model_copy(
        update={k: v for k, v in defaults.items() if k not in settings.model_fields_set}
    )


def _stop_gracefully(signum: int, frame: Any) -> None:
    # A service manager stops the gateway with SIGTERM: end like Ctrl-C, so buffered readings are staged.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_gracefully)
    edge: Edge | None = None
    if hasattr(args, "log_level"):
        setup_logging(args.log_level)
    try:
        if args.command == "browse":
            from ingest.edge.connectors.opcua import cmd_browse

            return cmd_browse(args, EdgeSettings(**({"api": args.api} if args.api else {})))
        edge = Edge(_settings(args), args)
        return int(args.run(edge, args))
    except (ConfigError, InputError, ValidationError) as exc:
        say(f"error: {exc}")
        return EXIT_ERROR
    except AuthError as exc:
        say(f"error: {exc}")
        return EXIT_AUTH
    except TokenUnavailable as exc:
        say(f"error: {exc}")
        return EXIT_PENDING
    except httpx.HTTPError as exc:
        say(f"error: the platform did not answer as expected: {exc}")
        return EXIT_PENDING
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        if edge is not None:
            edge.close()


if __name__ == "__main__":
    sys.exit(main())
