"""`smartmfg`: migrate, seed and serve the platform (one process, or every service its own process)."""

from __future__ import annotations

import argparse
import os
import signal
import sys

import uvicorn
from pydantic import ValidationError

from platform_api import api_docs
from platform_api.app import create_app, migrate
from platform_api.registry import load_services
from services.kit import heap
from services.kit.db import Database
from services.kit.settings import PlatformSettings


def _migrate(settings: PlatformSettings, services: list[str] | None) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.sqlalchemy_url)
    try:
        specs = load_services(services)
        migrate(db, specs)
        print(f"migrated {len(specs)} services on {db.engine.url.render_as_string(hide_password=True)}")
    finally:
        db.dispose()


def _seed(settings: PlatformSettings) -> None:
    from platform_api.demo_seed import seed_embedded

    seed_embedded(settings)


def _serve(settings: PlatformSettings, host: str, port: int, services: list[str] | None) -> None:
    base = f"http://{host}:{port}"
    if services:  # a service process behind a gateway: people open the gateway, not this
        print(f"  service {', '.join(services)} at {base} ({settings.topology})", flush=True)
    else:
        title = "스마트제조혁신 통합 플랫폼 / Smart Manufacturing Innovation Platform"
        print(f"\n  {title} ({settings.topology})")
        print(f"  Portal:   {base}/")
        print(f"  API docs: {base}/docs")
        print(f"  OpenAPI:  {base}/openapi.json\n", flush=True)
    app = create_app(settings, services=services)
    heap.settle()  # after the app is built: what it holds lives as long as the process
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


def _run_distributed(settings: PlatformSettings, args: argparse.Namespace) -> int:
    from platform_api.supervisor import Supervisor, plan

    try:
        settings = settings.replaced(topology="distributed")
    except ValidationError as exc:
        print(f"run-distributed: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    try:
        children = plan(settings, host=args.host, port=args.port, writers=args.writers, services=args.service)
    except ValueError as exc:
        print(f"run-distributed: {exc}", file=sys.stderr)
        return 2
    _migrate(settings, args.service)
    supervisor = Supervisor(children, restart_delay=args.restart_delay)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: supervisor.stop())
    try:
        supervisor.start()
        not_ready = supervisor.wait_ready()
        if supervisor.stopping.is_set():
            return 0
        base = f"http://{args.host}:{args.port}"
        engine = settings.analytics.engine + (
            f" at {settings.trino.url}" if settings.analytics.engine == "trino" else ""
        )
        lines = [f"    {name:<12} pid {pid:<7} {url}" for name, pid, url in supervisor.table()]
        print(
            f"\n  스마트제조혁신 통합 플랫폼 / Smart Manufacturing Innovation Platform (distributed)\n"
            f"  Portal:   {base}/\n  API docs: {base}/docs\n  Analytics engine: {engine}\n"
            "  Processes:\n" + "\n".join(lines),
            flush=True,
        )
        if not_ready:
            print(f"  not ready yet: {', '.join(not_ready)} (see their lines above)", flush=True)
        print("  Ctrl-C stops them all.\n", flush=True)
        supervisor.run()
    finally:
        supervisor.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartmfg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("migrate", "run every service's Alembic migrations"),
        ("seed", "load the deterministic demo data (idempotent)"),
        ("serve", "serve the gateway (or one service with --service)"),
        ("run", "migrate, seed and serve: what `make run` does"),
        ("run-distributed", "migrate, then every service, the gateway and the lake writers as processes"),
        ("api-docs", "add the API document's new texts to the Korean catalogue, drop the unused ones"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--service", action="append", help="limit to this service (repeatable)")
        if name in ("serve", "run", "run-distributed"):
            cmd.add_argument("--host", default="127.0.0.1")
            cmd.add_argument("--port", type=int, default=8000, help="the gateway's; services take the next")
        if name == "run-distributed":
            cmd.add_argument("--writers", type=int, default=2, help="lake writer processes (<= partitions)")
            cmd.add_argument(
                "--restart-delay", type=float, default=2.0, help="seconds before a dead process is restarted"
            )
    args = parser.parse_args(argv)
    settings = PlatformSettings()
    if args.command == "run-distributed":
        return _run_distributed(settings, args)
    if args.command == "api-docs":
        for change in api_docs.update(create_app(settings).openapi()):
            print(change)
        return 0
    if args.command in ("serve", "run") and settings.embedded and "SMARTMFG_PUBLIC_URL" not in os.environ:
        # The dev issuer names itself after the URL clients reach it at.
        settings = settings.replaced(public_url=f"http://{args.host}:{args.port}")
    if args.command in ("serve", "run") and "SMARTMFG_WARMUP_ENABLED" not in os.environ:
        # A served process warms up before it reports ready (services.kit.warmup); apps built in-process
        # (tests, benchmarks) keep the setting's default, off.
        settings = settings.replaced(warmup={"enabled": True})
    if args.command in ("migrate", "run"):
        _migrate(settings, args.service)
    if args.command in ("seed", "run"):
        _seed(settings)
    if args.command in ("serve", "run"):
        _serve(settings, args.host, args.port, args.service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
