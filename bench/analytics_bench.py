"""Analytics benchmark: the three target queries over a generated lake, and the same on PostgreSQL.

Generates N readings (factories x one CNC lathe each x 30 days at one-minute resolution: state changes,
part/reject/energy counters and the spindle speed, by ``platform_api.demo_telemetry``) into an Iceberg lake
(local directory, or MinIO with ``--minio``), rolls it up (``catalog.rollups``), copies the same rows into a
plain PostgreSQL table with the obvious indexes, then times, best of ``--repeat``:

  Q1 hourly averages across all factories of one model and item over the month
     (lake raw with integer bucketing, lake via the hourly rollup, PostgreSQL);
  Q2 one equipment's raw series for one day (the engine's /readings path, PostgreSQL);
  Q3 OEE of one factory for the month (the KPI engine on raw readings and on the daily rollup, PostgreSQL
     with the same definitions in SQL).

  python bench/analytics_bench.py --factories 60            # ~10 M readings
  python bench/analytics_bench.py --factories 600 --minio   # ~100 M readings (long, ~5 GB of scratch)
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from benchkit import Result, scratch_database
from sqlalchemy.engine import make_url

from catalog import kpis, rollups
from catalog.lake import Lake, LakeConfig, ensure_bucket
from catalog.query import QueryEngine, ReadingFilter
from platform_api import demo_telemetry
from platform_api.demo_data import DemoWorld, build_world
from services.kit.settings import PlatformSettings

START, DAYS = demo_telemetry.START, demo_telemetry.DAYS
END = START + timedelta(days=DAYS)
MODEL, ITEM = "cnc-lathe", "spindle_speed"
PG_COLUMNS = ("factory_id", "equipment_id", "model_id", "item_id", "ts", "value_num", "value_text")


def world_of(factories: int) -> DemoWorld:
    demo = build_world()
    world = DemoWorld(models=demo.models)
    for n in range(1, factories + 1):
        equipment = [{"equipment_id": f"eq-{n}-01", "model_id": MODEL, "model_version": "1.0.0"}]
        world.factories.append((f"org-bench-{n}", {"id": f"factory-bench-{n}", "equipment": equipment}))
    return world


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def load_postgres(url: str, world: DemoWorld, factories: int) -> float:
    """The same rows into a plain table (COPY), then the obvious indexes; returns seconds."""
    started = time.perf_counter()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE readings (factory_id text, equipment_id text, model_id text, item_id text, "
            "ts timestamptz, value_num double precision, value_text text)"
        )
        for _, table in demo_telemetry.readings_by_model(world, factories):
            plain = pa.table(
                [
                    table[c].cast(pa.string()) if c != "ts" and c != "value_num" else table[c]
                    for c in PG_COLUMNS
                ],
                names=list(PG_COLUMNS),
            )
            for batch in plain.to_batches(max_chunksize=500_000):
                buffer = io.BytesIO()
                pacsv.write_csv(
                    pa.Table.from_batches([batch]), buffer, pacsv.WriteOptions(include_header=False)
                )
                with conn.cursor().copy("COPY readings FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
        conn.execute("CREATE INDEX ON readings (model_id, item_id, ts)")
        conn.execute("CREATE INDEX ON readings (factory_id, equipment_id, ts)")
        conn.execute("ANALYZE readings")
    return time.perf_counter() - started


PG_Q1 = """SELECT date_trunc('hour', ts) AS hour, avg(value_num) FROM readings
WHERE model_id = %s AND item_id = %s AND ts >= %s AND ts < %s GROUP BY 1 ORDER BY 1"""
PG_Q2 = """SELECT * FROM readings WHERE factory_id = %s AND equipment_id = %s AND ts >= %s AND ts < %s
ORDER BY ts, item_id"""
# The KPI engine's definitions for one factory and period, in PostgreSQL (states hold to the next reading;
# counters' increases with resets): availability x performance x quality.
PG_Q3 = """
WITH r AS (SELECT * FROM readings WHERE factory_id = %(f)s AND ts >= %(s)s::timestamptz - interval '1 day'
           AND ts < %(e)s),
st AS (SELECT ts, coalesce(lead(ts) OVER (PARTITION BY equipment_id ORDER BY ts), %(e)s) AS t1,
              value_text AS v FROM r WHERE item_id = 'execution'),
secs AS (SELECT v, sum(extract(epoch FROM least(t1, %(e)s) - greatest(ts, %(s)s))) AS s FROM st
         WHERE t1 > %(s)s GROUP BY v),
c AS (SELECT item_id, ts, value_num,
             value_num - lag(value_num) OVER (PARTITION BY equipment_id, item_id ORDER BY ts) AS d
      FROM r WHERE item_id IN ('part_count', 'reject_count')),
inc AS (SELECT item_id, sum(CASE WHEN d IS NULL THEN 0 WHEN d >= 0 THEN d ELSE value_num END) AS n FROM c
        WHERE ts >= %(s)s GROUP BY item_id)
SELECT 100 * (SELECT s FROM secs WHERE v = 'RUNNING') / (SELECT sum(s) FROM secs)
     * 90 * (SELECT n FROM inc WHERE item_id = 'part_count') / (SELECT s FROM secs WHERE v = 'RUNNING')
     * (1 - (SELECT n FROM inc WHERE item_id = 'reject_count')
           / (SELECT n FROM inc WHERE item_id = 'part_count'))
"""


def _fetch(conn: psycopg.Connection[Any], sql: str, params: Any) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--minio", action="store_true", help="lake on MinIO (default: a local directory)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    world = world_of(args.factories)
    result = Result("analytics", {"factories": args.factories, "days": DAYS})
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bench_analytics") as url:
        overrides: dict[str, Any] = {"data_dir": Path(tmp), "lake_catalog_url": url}
        if args.minio:
            overrides["lake_warehouse"] = f"s3://smartmfg-lake/bench-analytics-{int(time.time())}"
        settings = PlatformSettings(**overrides)
        ensure_bucket(settings)
        lake = Lake(LakeConfig.from_settings(settings))
        started = time.perf_counter()
        readings = demo_telemetry.load(lake, world, args.factories)
        generated = time.perf_counter() - started
        print(f"lake: {readings:,} readings written in {generated:.1f}s", flush=True)
        engine = QueryEngine(lake)
        started = time.perf_counter()
        rollups.refresh(lake, engine=engine, progress=True)
        rolled = time.perf_counter() - started
        models = [kpis.ModelRoles.from_version({**m, "model_id": m["id"]}) for m in world.models]
        factory, equipment = "factory-bench-1", "eq-1-01"
        one_day = (START + timedelta(days=10), START + timedelta(days=11))

        def q1_raw() -> int:
            flt = ReadingFilter(model_id=MODEL, item_ids=(ITEM,), start=START, end=END, numeric=True)
            plan = engine.plan(lake.readings(), flt.iceberg(None))
            where, params = flt.sql(None)
            sql = (
                "SELECT epoch_us(ts) // 3600000000 AS hour, avg(value_num) FROM read_parquet(?) "
                f"WHERE {where} GROUP BY 1 ORDER BY 1"
            )
            return len(engine.query(sql, [plan.files, *params]))

        def q1_rollup() -> int:
            table = rollups.current_rollup(lake, rollups.HOURS)
            assert table is not None
            flt = ReadingFilter(model_id=MODEL, item_ids=(ITEM,))
            plan = engine.plan(table, flt.iceberg(None))
            where, params = flt.sql(None)
            sql = (
                "SELECT hour, sum(sum) / sum(readings) AS mean FROM read_parquet(?) "
                f"WHERE {where} AND hour >= ? AND hour < ? GROUP BY 1 ORDER BY 1"
            )
            return len(engine.query(sql, [plan.files, *params, START, END]))

        def q2() -> int:
            flt = ReadingFilter(
                factory_ids=(factory,), equipment_id=equipment, start=one_day[0], end=one_day[1]
            )
            return len(engine.readings(flt, None, 100_000)[0])

        def q3(daily: bool) -> float | None:
            if daily:
                table = rollups.current_rollup(lake, rollups.DAILY)
                assert table is not None
                flt = ReadingFilter(factory_ids=(factory,))
                plan = engine.plan(table, flt.iceberg(None))
                measured = kpis.measure_daily(engine, plan, flt, None, models, [(START, END)])
            else:
                flt = kpis.role_filter([factory], START, END, None)
                plan = engine.plan(lake.readings(), flt.iceberg(None))
                measured = kpis.measure(engine, plan, flt, None, models, [(START, END)])
            (inputs,) = kpis.inputs_by(measured, models).values()
            return inputs.kpi("oee", DAYS * 24)

        timings: dict[str, float] = {}
        for name, fn in (
            ("q1_lake_raw", q1_raw),
            ("q1_lake_rollup", q1_rollup),
            ("q2_lake", q2),
            ("q3_lake_raw", lambda: q3(False)),
            ("q3_lake_rollup", lambda: q3(True)),
        ):
            timings[name], out = best(fn, args.repeat)
            print(f"{name}: {timings[name] * 1000:.0f} ms ({out})", flush=True)
        if not args.no_postgres:
            loaded = load_postgres(url, world, args.factories)
            print(f"postgres: loaded and indexed in {loaded:.1f}s", flush=True)
            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(dsn) as conn:
                for name, sql, params in (
                    ("q1_postgres", PG_Q1, (MODEL, ITEM, START, END)),
                    ("q2_postgres", PG_Q2, (factory, equipment, *one_day)),
                    ("q3_postgres", PG_Q3, {"f": factory, "s": START, "e": END}),
                ):
                    timings[name], out = best(partial(_fetch, conn, sql, params), args.repeat)
                    print(
                        f"{name}: {timings[name] * 1000:.0f} ms ({len(out)} rows, first {out[0]})", flush=True
                    )
        for name, seconds in timings.items():
            result.add(name, [seconds * 1000], "ms", higher=False)
        result.details = {"readings": readings, "generate_s": generated, "rollup_s": rolled}
        print(f"saved {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
