"""DuckDB and Trino side by side over one lake of ~200 M readings on MinIO (issue 28).

The lake is ``bench/rollup_bench.py``'s day (``--equipment`` machines, four items at 1 Hz), written once into
the PostgreSQL database and catalog that Trino's ``lake`` catalog reads (infra/trino), in a namespace of its
own, and kept between runs: building it takes ~15 minutes on this shared machine, measuring it a few.

  python bench/engines_bench.py build --equipment 580   # once: ~200 M readings, namespace bench_engines
  python bench/engines_bench.py run --rounds 3          # the figures, both engines, medians of the rounds
  python bench/engines_bench.py explain                 # the raw approx series' plan and profile (DuckDB)
  python bench/engines_bench.py drop                    # the tables and their files

Each figure is one call of the platform's own query code (what the API endpoint runs after its checks) in a
fresh process, on DuckDB and on Trino (``TrinoEngine``, the same snapshot): its seconds, the client's peak
RSS (Trino's own memory is the server's) and the load average when it started:

  series_raw_exact     ``/series`` hourly, one item, every factory, exact median and p95, from the readings;
  series_raw_approx    the same with ``quantiles=approx``;
  oee_month            the OEE elements of one factory over a month of daily buckets, from the readings;
  benchmark            one region × industry: hourly cross-factory aggregates (median, p95) of the
                       ``GROUP_FACTORIES`` factories the endpoint would pass;
  rollup_scratch       the rollups from scratch (``catalog.rollups.refresh``; with ``--scratch`` every round
                       and engine, Trino computing the pieces and hours by ``INSERT``, else once by DuckDB
                       if they are missing);
  rollup_late_file     (``--late``) one late reading per machine at noon, then the refresh round it makes;
  series_rollup        ``/series`` hourly with ``stats=basic`` from ``item_hours``;
  oee_month_rollup     the month of OEE from ``item_daily``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from analytics_bench import remove_prefix
from benchkit import PG, Result, exit_on_sigterm
from rollup_bench import DAY, MODEL, SECONDS, generate, in_child, late_file

from catalog import kpis, rollups
from catalog.engines import DuckDbEngine, TrinoEngine
from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine, ReadingFilter
from services.kit.settings import PlatformSettings

NAMESPACE = "bench_engines"
TRINO = ("http://127.0.0.1:58090", "lake")  # infra/trino
GROUP_FACTORIES = 60  # a region × industry of the bench lake: its first 60 factories
ROLES = kpis.ModelRoles(
    MODEL, "1.0.0", (("execution", "execution_state", 1.0), ("part_count", "part_count", 1.0)), 40.0
)
MONTH = [
    (DAY.replace(day=1) + timedelta(days=n), DAY.replace(day=1) + timedelta(days=n + 1)) for n in range(30)
]
TARGETS = {"series_raw_approx_duckdb_s": "<= 3 s", "rollup_scratch_duckdb_s": "<= 60 s"}


def settings_for(namespace: str, data_dir: Path) -> PlatformSettings:
    """The bench lake's settings: Trino's catalog database, the lake bucket under a prefix of its own."""
    return PlatformSettings(
        data_dir=data_dir,
        lake={
            "catalog_url": PG,
            "warehouse": f"s3://smartmfg-lake/{namespace.replace('_', '-')}",
            "namespace": namespace,
        },
    )


def build(namespace: str, equipment: int, per_file: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(namespace, Path(tmp))
        ensure_bucket(settings)
        lake = Lake(LakeConfig.from_settings(settings))
        lake.ensure_tables()
        if lake.readings().current_snapshot() is not None:
            raise SystemExit(f"{namespace} already holds readings: `drop` it first")
        started = time.perf_counter()
        rows = generate(lake, equipment, per_file, 1)
        print(f"built {namespace}: {rows:,} readings in {time.perf_counter() - started:.0f}s", flush=True)


def _engine(config: LakeConfig, engine: str) -> QueryEngine:
    return QueryEngine(Lake(config), sql=TrinoEngine(*TRINO) if engine == "trino" else None)


def _series(config: LakeConfig, engine: str, quantiles: str) -> None:
    query = _engine(config, engine)
    try:
        flt = ReadingFilter(item_ids=("spindle_speed",), start=DAY, end=DAY + timedelta(days=1))
        rows, _ = query.series(flt, None, "1h", "UTC", quantiles=quantiles)
        assert len(rows) == 24 * len({r["factory_id"] for r in rows}), "not every factory's hours"
    finally:
        query.close()


def _series_rollup(config: LakeConfig, engine: str) -> None:
    query = _engine(config, engine)
    try:
        flt = ReadingFilter(item_ids=("spindle_speed",), start=DAY, end=DAY + timedelta(days=1))
        found = rollups.series(query, flt, None, "1h", "UTC", ("factory_id",))
        assert found is not None and found[0], "the hourly rollup is behind the readings"
    finally:
        query.close()


def _oee_month(config: LakeConfig, engine: str, daily: bool) -> None:
    query = _engine(config, engine)
    try:
        flt = kpis.role_filter(["factory-rb-0001"], MONTH[0][0], MONTH[-1][1], None)
        if daily:
            table = rollups.closed_rollup(query.lake, MONTH[-1][1].date())
            assert table is not None, "the daily rollup does not hold the month"
            mine = ReadingFilter(factory_ids=("factory-rb-0001",))
            plan = query.plan(table, kpis.day_condition(mine.iceberg(None), MONTH[0][0], MONTH[-1][1]))
            units = kpis.measure_daily(query, plan, mine, None, [ROLES], MONTH).units
        else:
            plan = query.plan(query.lake.readings(), flt.iceberg(None))
            units = kpis.measure(query, plan, flt, None, [ROLES], MONTH).units
        assert units, "no OEE elements"
    finally:
        query.close()


def _benchmark(config: LakeConfig, engine: str) -> None:
    query = _engine(config, engine)
    try:
        factories = tuple(f"factory-rb-{n:04d}" for n in range(1, GROUP_FACTORIES + 1))
        flt = ReadingFilter(
            factory_ids=factories, item_ids=("spindle_speed",), start=DAY, end=DAY + timedelta(days=1)
        )
        shown, _, _ = query.benchmarks(flt, "1h", "UTC", 5)
        assert len(shown) == 24
    finally:
        query.close()


def _rollup_scratch(config: LakeConfig, engine: str) -> None:
    """The rollups from scratch, computed by ``engine`` (Trino: ``item_pieces`` and ``item_hours`` by
    ``INSERT``, the day tables by DuckDB from the pieces: ``analytics.rollup_engine``)."""
    lake = Lake(config)
    for rollup in rollups.ROLLUPS:
        if lake.catalog.table_exists(f"{config.namespace}.{rollup.name}"):
            lake.catalog.drop_table(f"{config.namespace}.{rollup.name}")
    trino = TrinoEngine(*TRINO) if engine == "trino" else None
    rollups.refresh(lake, progress=True, today=MONTH[-1][1].date(), trino=trino)  # the month closed


def _rollup_late_file(config: LakeConfig, equipment: int, engine: str) -> None:
    """One late reading per machine at noon of the closed day, then a refresh round: the pieces of that hour
    (DuckDB) or that day (Trino) from the readings, the same hours copied, the day and the next summed from
    the pieces."""
    lake = Lake(config)
    late_file(lake, equipment)
    trino = TrinoEngine(*TRINO) if engine == "trino" else None
    done = {d.table: d for d in rollups.refresh(lake, progress=True, today=MONTH[-1][1].date(), trino=trino)}
    assert done["item_pieces"].hours == (24 if trino else 1), "the late file's hour (or day) alone"


def _rollups_exist(config: LakeConfig) -> bool:
    lake = Lake(config)
    return all(lake.catalog.table_exists(f"{config.namespace}.{r.name}") for r in rollups.ROLLUPS)


def run(namespace: str, rounds: int, engines: list[str], scratch: bool, late: bool, only: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = LakeConfig.from_settings(settings_for(namespace, Path(tmp)))
        readings = Lake(config).readings()
        summary = readings.current_snapshot()
        total = int(summary.summary["total-records"]) if summary and summary.summary else 0
        measured: dict[str, list[tuple[float, float, float]]] = {}

        def measure(name: str, fn: Callable[..., None], *args: Any) -> None:
            if not any(name.startswith(prefix) for prefix in only.split(",")):
                return
            load = os.getloadavg()[0]
            seconds, rss = in_child(fn, config, *args)
            measured.setdefault(name, []).append((seconds, rss, load))
            print(f"{name}: {seconds:.2f}s, client peak RSS {rss:.0f} MiB, load {load:.1f}", flush=True)

        for _ in range(rounds):
            for engine in engines:  # alternating engines within a round: both see the same load
                measure(f"series_raw_exact_{engine}", _series, engine, "exact")
                measure(f"series_raw_approx_{engine}", _series, engine, "approx")
                measure(f"oee_month_{engine}", _oee_month, engine, False)
                measure(f"benchmark_{engine}", _benchmark, engine)
        for _ in range(rounds if scratch else 1):
            for engine in engines:  # each engine's late round right after its own rollups from scratch
                if scratch or not _rollups_exist(config):
                    measure(f"rollup_scratch_{engine}", _rollup_scratch, engine)
                if late:  # the lake keeps the late readings: later runs read 1 reading per machine more
                    measure(f"rollup_late_file_{engine}", _rollup_late_file, total // (SECONDS * 4), engine)
        for _ in range(rounds):
            for engine in engines:
                measure(f"series_rollup_{engine}", _series_rollup, engine)
                measure(f"oee_month_rollup_{engine}", _oee_month, engine, True)
    result = Result("engines", {"readings": total, "rounds": rounds})
    for name, runs in measured.items():
        seconds = [s for s, _, _ in runs]
        result.add(name + "_s", seconds, "s", higher=False, target=TARGETS.get(name + "_s", "-"))
        result.add(name + "_rss_mib", [max(r for _, r, _ in runs)], "MiB", higher=False)
    result.details = {
        "runs": {name: [list(run) for run in runs] for name, runs in measured.items()},
        "ratios_trino_over_duckdb": {
            name.removesuffix("_duckdb"): round(
                statistics.median(s for s, _, _ in measured[name.replace("_duckdb", "_trino")])
                / statistics.median(s for s, _, _ in runs),
                2,
            )
            for name, runs in measured.items()
            if name.endswith("_duckdb") and name.replace("_duckdb", "_trino") in measured
        },
    }
    result.conditions = (
        f"MinIO lake, {total:,} readings of one day; medians of {rounds} round(s), engines alternating; "
        f"load average {os.getloadavg()[0]:.1f} at the end (2 cores shared with other work)"
    )
    print(f"saved {result.save()}", flush=True)


class _Explaining(DuckDbEngine):
    """DuckDB answering with EXPLAIN ANALYZE of the exact SQL the platform's query code sends (printed)."""

    def rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = self._cursor()
        try:
            ((_, profile),) = cursor.execute("EXPLAIN ANALYZE " + sql, list(params)).fetchall()
        finally:
            cursor.close()
        print(profile, flush=True)
        return []


def explain(namespace: str) -> None:
    """Where a raw ``quantiles=approx`` series' time goes: pyiceberg's plan, then DuckDB's profile (HTTP
    bytes and requests, operators' times summed over threads) and the process's CPU seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        query = QueryEngine(Lake(LakeConfig.from_settings(settings_for(namespace, Path(tmp)))))
        flt = ReadingFilter(item_ids=("spindle_speed",), start=DAY, end=DAY + timedelta(days=1), numeric=True)
        started = time.perf_counter()
        plan = query.plan(query.lake.readings(), flt.iceberg(None))
        print(f"plan: {time.perf_counter() - started:.2f}s {plan.stats()}", flush=True)
        query.sql = _Explaining(query.cursor)
        started, cpu = time.perf_counter(), time.process_time()
        try:
            query.series(flt, None, "1h", "UTC", quantiles="approx")
        finally:
            query.close()
        print(
            f"plan + query: {time.perf_counter() - started:.2f}s, {time.process_time() - cpu:.2f} CPU s, "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def drop(namespace: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(namespace, Path(tmp))
        lake = Lake(LakeConfig.from_settings(settings))
        for table in lake.catalog.list_tables(namespace):
            lake.catalog.drop_table(table)
        lake.catalog.drop_namespace(namespace)
        remove_prefix(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--namespace", default=NAMESPACE, help="the lake's Iceberg namespace")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("build", help="write the lake (one snapshot)")
    made.add_argument("--equipment", type=int, default=580, help="machines (580: ~200 M readings)")
    made.add_argument("--per-file", type=int, default=20, help="machines per data file (one hour each)")
    measuring = commands.add_parser("run", help="measure both engines over the lake")
    measuring.add_argument("--rounds", type=int, default=3, help="rounds of each figure (medians)")
    measuring.add_argument("--engines", default="duckdb,trino", help="comma-separated: duckdb,trino")
    measuring.add_argument(
        "--scratch", action="store_true", help="drop and rebuild the rollups even if they exist"
    )
    measuring.add_argument(
        "--late", action="store_true", help="then append a late file and time the refresh round it makes"
    )
    measuring.add_argument("--only", default="", help="comma-separated prefixes of the figures to measure")
    commands.add_parser("explain", help="profile the raw approx series on DuckDB (EXPLAIN ANALYZE)")
    commands.add_parser("drop", help="drop the lake's tables and remove its files")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    if args.command == "build":
        build(args.namespace, args.equipment, args.per_file)
    elif args.command == "run":
        run(args.namespace, args.rounds, args.engines.split(","), args.scratch, args.late, args.only)
    elif args.command == "explain":
        explain(args.namespace)
    else:
        drop(args.namespace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
