"""``python -m catalog.rollups``: refresh the rollups once, or every ``--every`` seconds (a scheduled job)."""

from __future__ import annotations

import argparse
import logging
import time

import catalog.rollups
from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.rollups.watermark import refresh, rollup_engine
from services.kit.settings import PlatformSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m catalog.rollups", description=(catalog.rollups.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = PlatformSettings()
    ensure_bucket(settings)
    lake = Lake(LakeConfig.from_settings(settings))
    lake.ensure_tables()
    trino = rollup_engine(settings)
    while True:
        refresh(lake, progress=True, trino=trino)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
