"""The regional AI centre dashboard's server time (``/me/region``) on the demo data: cold (the lake's kept
answers dropped, as after a commit to the readings) and warm, with a period of days in Korea measured from
the peer table and the readings of its two edges (``catalog.kpi_endpoints._peer_inputs``) and the monthly
uploads counted per quarter hour (``catalog.upload_endpoints.monthly_counts``), and, alternately, as the
code before them did: the KPI inputs from the readings of the whole period (a Korean day is not a UTC day,
so the peer table did not answer), the uploads with a time zone conversion per reading (``_by_reading``).

The platform runs in-process (embedded topology, ASGI, no TCP: what is timed is the server's work) over the
demo world (``platform_api.demo_seed.seed_embedded``: companies, factories, a month of telemetry of 24
factories), rolled up, kept in ``--data`` between runs. ``agency1`` (staff of the 경남 and 울산 centres,
regions 48, 26, 31) opens its dashboard for the demo's month (November 2025). Cold is the first request of
a fresh app, then ``--repeat`` more each after the ``answers`` cache is cleared (median); warm is the median
of ``--repeat`` plain requests. Wall and CPU milliseconds: the CPU time is the whole process's, all of it
this request's work, and what the request costs when the machine's other work makes wall time measure the
neighbours.

    cd bench && ../.venv/bin/python region_bench.py [--data DIR] [--repeat 3] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchkit import RESULTS, Result, exit_on_sigterm
from dashboard_bench import roll_up, seeded_demo
from fastapi.testclient import TestClient

from catalog import kpi_endpoints, upload_endpoints
from catalog.lake import Lake, LakeConfig
from catalog.query import READ_OPTIONS, QueryEngine, ReadingFilter
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER

PAGE = "/me/region?from=2025-11-01&to=2025-11-30"
LABELS = {True: "now", False: "before"}
peer_inputs, monthly_counts = kpi_endpoints._peer_inputs, upload_endpoints.monthly_counts
TARGETS_MS = {"cold": 1000.0, "warm": 300.0}


def timed(client: TestClient, path: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one request."""
    cpu, started = time.process_time(), time.perf_counter()
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


async def _unanswered(*_: Any) -> None:
    return None


def _by_reading(engine: QueryEngine, start: datetime, end: datetime, tz: str) -> list[dict[str, Any]]:
    """The monthly uploads as counted before: each reading's month in ``tz``."""
    flt = ReadingFilter(start=start, end=end)
    plan = engine.plan(engine.lake.readings(), flt.iceberg(None))
    if not plan.files:
        return []
    where, params = flt.sql(None)
    sql = (
        "SELECT strftime(timezone(?, ts), '%Y-%m') AS month, org_id, factory_id, "
        "count(DISTINCT equipment_id) AS equipment, count(*) AS readings "
        f"FROM read_parquet(?, {READ_OPTIONS}) WHERE {where} GROUP BY ALL"
    )
    return engine.query(sql, [tz, plan.files, *params])


def measure(settings: PlatformSettings, repeat: int, edges: bool) -> dict[str, float]:
    """Cold and warm (medians) wall and CPU milliseconds of the page in a fresh app; ``edges`` False runs
    the code before (the whole period's readings, a month per reading)."""
    kpi_endpoints._peer_inputs = peer_inputs if edges else _unanswered  # type: ignore[assignment]
    upload_endpoints.monthly_counts = monthly_counts if edges else _by_reading
    app = create_app(settings)
    with TestClient(app) as client:
        issuer = state_of(app).get(DEV_ISSUER)
        token = issuer.issue(
            subject="bench-agency1", roles=["agency"], org_id="org-agency", username="agency1",
            regions=["48", "26", "31"],
        )  # fmt: skip
        client.cookies.set("portal_session", token)
        cold = [timed(client, PAGE)]
        for _ in range(repeat):
            state_of(app).caches.answers.clear()
            cold.append(timed(client, PAGE))
        warm = [timed(client, PAGE) for _ in range(repeat)]
    times = {
        "cold": statistics.median(w for w, _ in cold),
        "cold_cpu": statistics.median(c for _, c in cold),
        "warm": statistics.median(w for w, _ in warm),
        "warm_cpu": statistics.median(c for _, c in warm),
    }
    print(f"  {LABELS[edges]}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in times.items()), flush=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=RESULTS / "region-data", help="kept between runs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=2, help="fresh apps of each kind; medians reported")
    args = parser.parse_args()
    exit_on_sigterm()
    settings = seeded_demo(args.data)
    roll_up(Lake(LakeConfig.from_settings(settings)))
    load = [os.getloadavg()[0]]
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in LABELS.values()}
    for _ in range(args.runs):  # alternating, so that both see the same neighbours
        for edges in (True, False):
            runs[LABELS[edges]].append(measure(settings, args.repeat, edges))
            load.append(os.getloadavg()[0])
    result = Result("region", {"repeat": args.repeat, "runs": args.runs})
    for label, measured in runs.items():
        for kind in measured[0]:
            target = f"≤ {TARGETS_MS['warm' if kind.startswith('warm') else 'cold']:.0f} ms"
            values = [r[kind] for r in measured]
            result.add(f"/me/region, {label} ({kind})", values, "ms", higher=False, target=target)
    result.details = {"runs": runs, "load_average": load}
    result.conditions = f"load average {min(load):.1f}–{max(load):.1f} during the runs (2 cores, shared)"
    print(f"wrote {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
