"""`smartmfg`: migrate, seed and serve the platform."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from platform_api.app import create_app, migrate
from platform_api.registry import load_services
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
    print(f"\n  스마트제조혁신 통합 플랫폼 / Smart Manufacturing Innovation Platform ({settings.topology})")
    print(f"  Portal:   {base}/")
    print(f"  API docs: {base}/docs")
    print(f"  OpenAPI:  {base}/openapi.json\n", flush=True)
    app = create_app(settings, services=services)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartmfg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("migrate", "run every service's Alembic migrations"),
        ("seed", "load the deterministic demo data (idempotent)"),
        ("serve", "serve the gateway (or one service with --service)"),
        ("run", "migrate, seed and serve: what `make run` does"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--service", action="append", help="limit to this service (repeatable)")
        if name in ("serve", "run"):
            cmd.add_argument("--host", default="127.0.0.1")
            cmd.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    settings = PlatformSettings()
    if args.command in ("serve", "run") and settings.embedded and "SMARTMFG_PUBLIC_URL" not in os.environ:
        # The dev issuer names itself after the URL clients reach it at.
        settings = settings.replaced(public_url=f"http://{args.host}:{args.port}")
    if args.command in ("migrate", "run"):
        _migrate(settings, args.service)
    if args.command in ("seed", "run"):
        _seed(settings)
    if args.command in ("serve", "run"):
        _serve(settings, args.host, args.port, args.service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
