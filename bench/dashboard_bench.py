"""The SME dashboard's server time: the page and each of its lake charts, at the demo scale and with 1,000
more factories in the lake.

The platform runs in-process (embedded topology, ASGI, no TCP: what is timed is the server's work) over a
lake kept in ``--data`` between runs:

1. the demo world (``platform_api.demo_seed.seed_embedded``: companies, factories, standards, a month of
   telemetry of 24 factories, measured KPIs), rolled up;
2. then ``--factories`` more factories with one CNC lathe each and a month of readings (the analytics
   benchmark's generator, ``analytics_bench.grow``: ~104 k readings a factory), rolled up again.

At each size, ``org-sme-14`` (whose first machine is a CNC lathe, so its peers chart compares it with every
generated factory) opens ``/me/dashboard`` and each part the page fetches (``/me/dashboard/{factory}/{part}``
with ``?partial=1``), first once (cold: the process's caches empty, the first request of that kind) and
then ``--repeat`` times (warm: median; answers the process kept for the lake's version, i.e. cached), then
``--repeat`` times with the kept lake answers dropped before each (fresh: what a view costs after a commit
to the lake, in a warm process). Each part is cold once: a new app per measurement, in this one Python
process (modules stay imported and the portal's compiled templates, module-level, stay compiled after the
first app: a round's cold figures are fully a new process's in the first round only).

A process with the warm-up on (``settings.warmup``, services.kit.warmup: what ``smartmfg serve`` does) is
timed from when it reports ready, as a load balancer would send it traffic; ``ready`` is how long that took
after start-up. ``--warmup both`` (the default) alternates processes without and with it, ``--rounds``
times each, in the order off, on, on, off, ... so that a drift of the machine's load weighs on both; the
figures are the medians over the rounds. ``--demo-only`` stops after the demo scale (a new ``--data``).

    cd bench && ../.venv/bin/python dashboard_bench.py [--factories 1000] [--data DIR] [--repeat 5]
        [--warmup off|on|both] [--rounds 3] [--demo-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from analytics_bench import MODEL, grow
from benchkit import RESULTS, Result, exit_on_sigterm
from fastapi.testclient import TestClient

from catalog import rollups
from catalog.lake import Lake, LakeConfig
from catalog.query import QueryEngine
from platform_api.app import create_app, migrate
from platform_api.demo_data import build_world
from platform_api.demo_seed import seed_embedded
from platform_api.portal.telemetry import PARTS
from platform_api.registry import load_services
from services.kit import heap
from services.kit.app_state import state_of
from services.kit.db import Database
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER

ORG, FACTORY = "org-sme-14", "factory-sme-14-a"
TARGETS_MS = {"page": 300.0, "part": 500.0}
Figures = dict[str, dict[str, float]]  # part (or "process") -> kind -> ms
GROWN = "dashboard-bench-grown"
ROLLUP_MEMORY = "6GB"  # marker in the data directory: the generated factories are in the lake


def settings_for(data: Path) -> PlatformSettings:
    return PlatformSettings(
        topology="embedded",
        data_dir=data,
        public_url="http://bench",
        analytics={"rollup_refresh_seconds": 0},  # rolled up here, before timing, not while timing
        writer={"embedded": False},
    )


def seeded_demo(data: Path) -> PlatformSettings:
    """The settings of a bench platform in ``data``, migrated and holding the demo (kept between runs)."""
    settings = settings_for(data.resolve())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.sqlalchemy_url)
    migrate(db, load_services())
    db.dispose()
    seed_embedded(settings)
    return settings


def roll_up(lake: Lake) -> None:
    """Both rollups current before timing. Rolling a month of 104 M readings up in one go needs more than
    the platform's default DuckDB memory (1 GB); the platform's refresher meets them a batch at a time."""
    started = time.perf_counter()
    for done in rollups.refresh(lake, engine=QueryEngine(lake, threads=2, memory_limit=ROLLUP_MEMORY)):
        print(f"  rollup {done}", flush=True)
    print(f"  rolled up in {time.perf_counter() - started:.0f} s", flush=True)


def timed(client: TestClient, path: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one request. The CPU time is the whole process's (the app's threads and
    DuckDB's), all of it this request's work: on a machine whose other work takes the cores, it is what the
    request costs when wall time measures the neighbours too."""
    cpu, started = time.process_time(), time.perf_counter()
    answer = client.get(path)
    elapsed, used = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return elapsed, used


def ready_after(client: TestClient) -> float:
    """Milliseconds until ``/readyz`` answers 200 (the warm-up over), polled as a readiness probe would."""
    started = time.perf_counter()
    while client.get("/readyz").status_code != 200:
        time.sleep(0.02)
    return (time.perf_counter() - started) * 1000


def measure(settings: PlatformSettings, repeat: int, warmup: bool) -> Figures:
    """Cold, warm and fresh (medians) wall and CPU time (ms) of the page and of each part, in a fresh
    process, with or without the warm-up; ``ready`` under the key ``process``."""
    out: Figures = {}
    app = create_app(settings.replaced(warmup={"enabled": warmup}))
    heap.settle()  # as `smartmfg serve` does before serving (frozen objects of earlier rounds stay: a bench)
    with TestClient(app) as client:
        out["process"] = {"ready": ready_after(client)}
        issuer = state_of(app).get(DEV_ISSUER)
        token = issuer.issue(subject=f"sme-{ORG}", roles=["sme"], org_id=ORG)
        client.cookies.set("portal_session", token)
        paths = {"page": "/me/dashboard"} | {
            part: f"/me/dashboard/{FACTORY}/{part}?partial=1" for part in PARTS
        }
        answers = state_of(app).caches.answers
        for name, path in paths.items():
            cold = timed(client, path)
            warm = [timed(client, path) for _ in range(repeat)]
            fresh = []
            for _ in range(repeat):
                answers.clear()  # as after a commit to the lake: the aggregates of the new version computed
                fresh.append(timed(client, path))
            out[name] = {
                "cold": cold[0],
                "warm": statistics.median(w for w, _ in warm),
                "fresh": statistics.median(w for w, _ in fresh),
                "cold_cpu": cold[1],
                "warm_cpu": statistics.median(c for _, c in warm),
                "fresh_cpu": statistics.median(c for _, c in fresh),
            }
    return out


def alternating(settings: PlatformSettings, args: argparse.Namespace) -> dict[str, Figures]:
    """``measure`` in fresh processes, without and with the warm-up as ``--warmup`` says (off, on, on, off,
    ...); per setting, the median over the rounds of each figure."""
    order = {"off": [False], "on": [True], "both": [False, True]}[args.warmup]
    runs: dict[bool, list[Figures]] = {w: [] for w in order}
    for round_ in range(args.rounds):
        for warmup in order if round_ % 2 == 0 else order[::-1]:
            runs[warmup].append(measure(settings, args.repeat, warmup))
            print(f"  round {round_ + 1}, warm-up {'on' if warmup else 'off'} (load {_load()}):", flush=True)
            for name, times in runs[warmup][-1].items():
                print(f"    {name}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in times.items()), flush=True)
    return {
        f"warm-up {'on' if warmup else 'off'}": {
            name: {kind: statistics.median(run[name][kind] for run in done) for kind in done[0][name]}
            for name in done[0]
        }
        for warmup, done in runs.items()
    }


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=1000, help="generated factories added to the demo")
    parser.add_argument("--data", type=Path, default=RESULTS / "dashboard-data", help="kept between runs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", choices=("off", "on", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=1, help="processes of each warm-up setting")
    parser.add_argument("--demo-only", action="store_true", help="the demo scale only")
    args = parser.parse_args()
    exit_on_sigterm()
    print(f"load average {_load()} at the start", flush=True)
    settings = seeded_demo(args.data)
    lake = Lake(LakeConfig.from_settings(settings))
    sizes: dict[str, dict[str, Figures]] = {}
    marker = settings.data_dir / GROWN
    if not marker.exists():
        roll_up(lake)
        print("demo scale:", flush=True)
        sizes["demo"] = alternating(settings, args)
        if not args.demo_only:
            model = next(m for m in build_world().models if m["id"] == MODEL)
            rows, _, _ = grow(lake, 1, args.factories, model, None)
            print(f"  {rows:,} readings of {args.factories} generated factories", flush=True)
            marker.write_text(str(args.factories))
    if marker.exists():
        roll_up(lake)
        print(f"demo + {marker.read_text()} factories:", flush=True)
        sizes[f"demo + {marker.read_text()} factories"] = alternating(settings, args)

    grown = int(marker.read_text()) if marker.exists() else 0
    result = Result(
        "dashboard",
        {"generated_factories": grown, "repeat": args.repeat, "rounds": args.rounds, "warmup": args.warmup},
    )
    for size, settings_ in sizes.items():
        for setting, parts in settings_.items():
            result.add(f"{size}, {setting}: ready", [parts["process"]["ready"]], "ms", higher=False)
            for name, times in parts.items():
                if name == "process":
                    continue
                target = f"≤ {TARGETS_MS['page' if name == 'page' else 'part']:.0f} ms"
                for kind in ("cold", "warm", "fresh", "cold_cpu", "warm_cpu", "fresh_cpu"):
                    name_ = f"{size}, {setting}: {name} ({kind})"
                    result.add(name_, [times[kind]], "ms", higher=False, target=target)
    result.details = {"sizes": sizes, "org": ORG, "factory": FACTORY}
    result.conditions = f"load average {_load()} at the end (other work shares the 2 cores)"
    print(f"wrote {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
