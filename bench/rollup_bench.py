"""Rollup and raw-scan benchmark: one day of 1 Hz readings rolled up from scratch, a late file, and the hourly
series with median and p95 from the raw readings, exact and approximate.

Generates ``--equipment`` machines (one per factory) sending four items every second for one UTC day: two
gauges (``spindle_speed``, ``spindle_load``), a counter (``part_count``, one part about every 40 s, reset to
0 at 06:00) and a state (``execution``, ACTIVE / READY / STOPPED in runs of minutes, sent every second as
PLCs poll it) — 345,600 readings per machine, so 580 machines are ~200 M readings. They are written straight
into Iceberg data files (``--per-file`` machines per file, rows in factory, item and time order as
compaction writes them) and committed in one snapshot; then, each in a child process whose peak RSS is read
from the kernel (``ru_maxrss`` of the children):

  rollup_scratch     the rollups from scratch (``item_pieces``, then ``item_hours`` and ``item_daily``
                     from the pieces) with the day closed;
  rollup_late_file   one late reading per machine at noon of the closed day (a gateway's outbox drained
                     late): the pieces of that hour from its readings, that hour of ``item_hours``, and that
                     day and the next of ``item_daily`` from the pieces;
  series_exact       ``/analytics/series`` for one item across every factory, hourly, with the exact median
                     and p95 from the raw readings (``QueryEngine.series``);
  series_approx      the same with ``quantiles=approx``.

  python bench/rollup_bench.py --equipment 60                 # ~21 M readings, local lake (~3 min)
  python bench/rollup_bench.py --equipment 580 --minio        # ~200 M readings on MinIO
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from analytics_bench import remove_prefix
from benchkit import Result, exit_on_sigterm, scratch_database

from catalog import rollups
from catalog.appends import commit, split, write
from catalog.lake import READINGS_SCHEMA, Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine, ReadingFilter
from services.kit.settings import PlatformSettings

DAY = datetime(2025, 11, 24, tzinfo=UTC)
SECONDS = 86_400
MODEL = "bench-mill"
ITEMS = ("execution", "part_count", "spindle_load", "spindle_speed")  # the order rows are written in
STATES = np.array(["ACTIVE", "READY", "STOPPED"])
TARGETS = {
    "rollup_scratch_s": "<= 60 s",
    "rollup_scratch_rss_mib": "<= 1024 MiB",
    "series_approx_s": "<= 3 s",
}


def machine_rows(n: int) -> pa.Table:
    """One machine's day in item, time order."""
    rng = np.random.default_rng(n)
    ts = int(DAY.timestamp()) * 1_000_000 + np.arange(SECONDS, dtype=np.int64) * 1_000_000
    # states in runs of 1-20 minutes
    runs = rng.integers(60, 1200, SECONDS // 60)
    state = np.repeat(rng.integers(0, 3, runs.size), runs)[:SECONDS]
    parts = np.cumsum(rng.random(SECONDS) < 1 / 40).astype(np.float64)
    parts[6 * 3600 :] -= parts[6 * 3600]  # the shift's reset
    values: dict[str, tuple[np.ndarray | None, np.ndarray | None]] = {
        "execution": (None, STATES[state]),
        "part_count": (parts, None),
        "spindle_load": (rng.normal(60, 12, SECONDS), None),
        "spindle_speed": (rng.normal(3000, 400, SECONDS), None),
    }
    total = SECONDS * len(ITEMS)
    num = np.concatenate([v if v is not None else np.full(SECONDS, np.nan) for v, _ in values.values()])
    texts = next(t for _, t in values.values() if t is not None)

    def constant(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(total, np.int32)), pa.array([value]))

    return pa.table(
        {
            "factory_id": constant(f"factory-rb-{n:04d}"),
            "org_id": constant(f"org-rb-{n:04d}"),
            "equipment_id": constant(f"mill-{n:04d}"),
            "model_id": constant(MODEL),
            "model_version": constant("1.0.0"),
            "item_id": pa.DictionaryArray.from_arrays(
                pa.array(np.repeat(np.arange(len(ITEMS), dtype=np.int32), SECONDS)), pa.array(ITEMS)
            ),
            "ts": pa.array(np.tile(ts, len(ITEMS)), pa.timestamp("us", tz="UTC")),
            "value_num": pa.array(num, pa.float64(), mask=np.isnan(num)),
            "value_text": pa.array(
                np.concatenate([texts, np.full(total - SECONDS, None, object)]), pa.string()
            ).dictionary_encode(),
            "unit": constant(""),
            "quality": constant("good"),
            "batch_key": constant(f"rb-{n}"),
            "ingested_at": pa.array(np.tile(ts, len(ITEMS)), pa.timestamp("us", tz="UTC")),
        }
    )


def generate(lake: Lake, equipment: int, per_file: int, slice_hours: int) -> int:
    """The day in one snapshot: per ``per_file`` machines, one file per ``slice_hours`` hours (the lake
    writer's files each hold a stretch of time; 24: a compacted day, files spanning it)."""
    table = lake.readings()
    files, rows, started = [], 0, time.perf_counter()
    for lo in range(1, equipment + 1, per_file):
        parts = [machine_rows(n) for n in range(lo, min(lo + per_file, equipment + 1))]
        ((partition, _),) = split(table, parts[0])  # one day, one model: one partition
        slices = (
            pc.floor(pc.divide(pc.cast(p["ts"], pa.int64()), 3_600_000_000 * slice_hours)) for p in parts
        )
        hour_of = [s.to_numpy() for s in slices]
        for first in sorted(set(np.unique(np.concatenate(hour_of)).tolist())):
            files.append(
                write(table, partition, [p.filter(h == first) for p, h in zip(parts, hour_of, strict=True)])
            )
        rows += sum(p.num_rows for p in parts)
        print(f"  {rows:,} readings written, {time.perf_counter() - started:.0f}s", flush=True)
    commit(table, files, {})
    return rows


def late_file(lake: Lake, equipment: int) -> None:
    noon = DAY + timedelta(hours=12, milliseconds=500)
    lake.readings().append(
        pa.Table.from_pylist(
            [
                {
                    "factory_id": f"factory-rb-{n:04d}",
                    "org_id": f"org-rb-{n:04d}",
                    "equipment_id": f"mill-{n:04d}",
                    "model_id": MODEL,
                    "model_version": "1.0.0",
                    "item_id": "spindle_speed",
                    "ts": noon,
                    "value_num": 3000.0,
                    "quality": "good",
                    "batch_key": f"rb-late-{n}",
                    "ingested_at": noon,
                }
                for n in range(1, equipment + 1)
            ],
            schema=READINGS_SCHEMA,
        )
    )


def _refresh(config: LakeConfig) -> None:
    rollups.refresh(Lake(config), progress=True, today=(DAY + timedelta(days=2)).date())


def _series(config: LakeConfig, quantiles: str) -> None:
    engine = QueryEngine(Lake(config))
    flt = ReadingFilter(item_ids=("spindle_speed",), start=DAY, end=DAY + timedelta(days=1))
    try:
        rows, plan = engine.series(flt, None, "1h", "UTC", quantiles=quantiles)
        print(f"  {len(rows)} buckets, {plan.bytes_scanned / 2**20:.0f} MiB in {len(plan.files)} files")
    finally:
        engine.close()


def _measured(fn: Callable[..., None], args: tuple[Any, ...], seconds: Any, peak: Any) -> None:
    started = time.perf_counter()
    fn(*args)
    seconds.value = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark into ru_maxrss across exec
    with open("/proc/self/status") as status:
        peak.value = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def in_child(fn: Callable[..., None], *args: Any) -> tuple[float, float]:
    """Seconds of ``fn(*args)`` (without the process's start) and the peak RSS (MiB, the kernel's
    high-water mark) of a fresh process running only it: what a refresher or an API worker doing only that
    would need."""
    context = multiprocessing.get_context("spawn")
    seconds, peak = context.Value("d", 0.0), context.Value("d", 0.0)
    process = context.Process(target=_measured, args=(fn, args, seconds, peak))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"{fn.__name__} exited with {process.exitcode}")
    return float(seconds.value), float(peak.value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--equipment", type=int, default=60, help="machines (580: ~200 M readings)")
    parser.add_argument("--per-file", type=int, default=20, help="machines per data file")
    parser.add_argument(
        "--slice-hours", type=int, default=1, help="hours per data file (24: a compacted day)"
    )
    parser.add_argument("--minio", action="store_true", help="lake on MinIO (default: a local directory)")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bench_rollup") as url:
        lake_settings = {"catalog_url": url}
        if args.minio:
            lake_settings["warehouse"] = f"s3://smartmfg-lake/bench-rollup-{int(time.time())}"
        settings = PlatformSettings(data_dir=Path(tmp), lake=lake_settings)
        ensure_bucket(settings)
        config = LakeConfig.from_settings(settings)
        lake = Lake(config)
        lake.ensure_tables()
        try:
            started = time.perf_counter()
            readings = generate(lake, args.equipment, args.per_file, args.slice_hours)
            generated = time.perf_counter() - started
            figures: dict[str, tuple[float, str]] = {}
            for name, fn, fn_args in (
                ("series_approx", _series, (config, "approx")),
                ("series_exact", _series, (config, "exact")),
                ("rollup_scratch", _refresh, (config,)),
            ):
                seconds, rss = in_child(fn, *fn_args)
                figures[f"{name}_s"], figures[f"{name}_rss_mib"] = (seconds, "s"), (rss, "MiB")
                print(f"{name}: {seconds:.1f}s, peak RSS {rss:.0f} MiB", flush=True)
            late_file(lake, args.equipment)
            seconds, _ = in_child(_refresh, config)
            figures["rollup_late_file_s"] = (seconds, "s")
            print(f"rollup_late_file: {seconds:.1f}s", flush=True)
        finally:
            if args.minio:
                remove_prefix(settings)
    sizes = {"equipment": args.equipment, "readings": readings, "per_file": args.per_file}
    result = Result("rollup", sizes | {"slice_hours": args.slice_hours})
    for name, (value, unit) in figures.items():
        result.add(name, [value], unit, higher=False, target=TARGETS.get(name, "-"))
    result.details = {"readings": readings, "generate_s": round(generated, 1), "minio": args.minio}
    result.conditions = (
        f"{'MinIO' if args.minio else 'local'} lake, {readings:,} readings of one day, "
        f"load average {os.getloadavg()[0]:.1f} at the end (other work shares the 2 cores)"
    )
    print(f"saved {result.save()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
