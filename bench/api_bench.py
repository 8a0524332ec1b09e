"""The API at national scale: 100,000 deployment records, 30,000 companies with factories, 10,000 AI use
cases, 500 equipment models × 100 data items, then ``wrk`` (its own process, loopback) against the main
read endpoints and the portal's pages, embedded (one process) and distributed (a process per service
behind the gateway's proxy), on one PostgreSQL database.

The generator (national_data.py) stores each body of the demo world (platform_api/demo_data.py: valid by
construction, kept valid by the demo seed's own tests) once through the service's own functions and clones
the rows it wrote under new ids, thousands of rows per INSERT: the full scale loads in minutes, where one
HTTP call (or one unit of work) per record would take hours.

Per-row queries are found by counting SQL statements: an endpoint whose statement count grows with the
page size (limit 5 against limit 50) issues queries per row.

One URL driven again and again measures kept answers (every cache hits after the first request), so each
search and browse endpoint, API and portal, is driven twice: as "(cached)", a handful of URLs repeated, and
as "(distinct)", ``DISTINCT`` different queries or filter combinations (words × region, two-word phrases,
region × industry × page × sort order) whose URLs also carry the request's own number, so no answer kept
by URL serves a repeat; its p50, p90 and p99 are what visitors typing different things see.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchkit import (
    KEYCLOAK_ISSUER,
    Result,
    exit_on_sigterm,
    free_port,
    scratch_database,
    start,
    stop,
    wait_ready,
)
from fastapi.testclient import TestClient
from national_data import generate
from sqlalchemy import event, func, select

from platform_api.app import create_app
from services.companies.models import Company
from services.deployments.models import DeploymentRecord
from services.kit import reference as ref
from services.kit.app_state import state_of
from services.kit.db import DATABASE, Database
from services.kit.pagination import encode_cursor
from services.kit.settings import PlatformSettings
from services.standards.models import EquipmentModel
from services.usecases.models import UseCase

SMARTMFG = [sys.executable, "-m", "platform_api.cli"]
LUA = Path(__file__).with_name("wrk_report.lua")
SERVICES = ("deployments", "companies", "usecases", "standards", "identity")
FULL = {"deployments": 100_000, "companies": 30_000, "usecases": 10_000, "models": 500, "items": 100}
QUICK_SCALE = 0.05


def scaled(scale: float) -> dict[str, int]:
    """The national sizes times ``scale`` (each data model keeps its 100 items)."""
    return {k: v if k == "items" else max(1, round(v * scale)) for k, v in FULL.items()}


def endpoints(db: Database) -> dict[str, tuple[str, list[str]]]:
    """Name -> (kind, paths): several ids per detail endpoint, so a run is not one cached row."""
    with db.session() as session:
        deployment_ids = list(
            session.scalars(
                select(DeploymentRecord.id)
                .where(DeploymentRecord.status == "published")
                .order_by(func.random())
                .limit(50)
            )
        )
        case_ids = list(
            session.scalars(
                select(UseCase.id).where(UseCase.status == "published").order_by(func.random()).limit(50)
            )
        )
        company_ids = list(
            session.scalars(select(Company.id).where(Company.kind == "sme").order_by(func.random()).limit(50))
        )
        model_ids = list(
            session.scalars(
                select(EquipmentModel.id)
                .where(EquipmentModel.id.startswith("nat-model-"))
                .order_by(func.random())
                .limit(50)
            )
        )
    word = quote("테크")
    return {
        "deployments list": ("list", ["/api/v1/deployments?limit=50"]),
        "deployments by region and industry (cached)": (
            "list",
            ["/api/v1/deployments?region=11&limit=50", "/api/v1/deployments?industry=C29&limit=50"],
        ),
        "deployments search (cached)": ("search", [f"/api/v1/deployments?q={word}&limit=50"]),
        "deployment detail": ("detail", [f"/api/v1/deployments/{i}" for i in deployment_ids]),
        "companies list": ("list", ["/api/v1/companies?limit=50"]),
        "company detail": ("detail", [f"/api/v1/companies/{i}" for i in company_ids]),
        "use cases list": ("list", ["/api/v1/usecases?limit=50"]),
        "use cases search (cached)": ("search", [f"/api/v1/usecases/search?q={quote('불량')}"]),
        "use case detail": ("detail", [f"/api/v1/usecases/{i}" for i in case_ids]),
        "standards list": ("list", ["/api/v1/standards?limit=50"]),
        "standard detail (100 items)": ("detail", [f"/api/v1/standards/{i}" for i in model_ids]),
        "portal: home": ("page", ["/"]),
        "portal: deployments (cached)": ("page", ["/deployments"]),
        "portal: cases (cached)": ("page", ["/cases"]),
        "portal: deployment page": ("page", [f"/deployments/{i}" for i in deployment_ids[:20]]),
    }


def held_pairs(db: Database) -> list[tuple[str, str]]:
    """The (region, industry) pairs of the published deployment records."""
    with db.session() as session:
        stmt = (
            select(DeploymentRecord.region_code, DeploymentRecord.industry_code)
            .where(DeploymentRecord.status == "published")
            .distinct()
            .order_by(DeploymentRecord.region_code, DeploymentRecord.industry_code)
        )
        return [(r, i) for r, i in session.execute(stmt)]


# Words people type, for the distinct requests: Korean (bare, with a particle, inside a compound) and
# English (stems, inflections), names of suppliers and places, some found nowhere.
WORDS = (
    "불량", "용접", "로봇", "센서", "비전", "품질", "생산성", "예측", "에너지", "금형", "검사", "납기",
    "MES", "welding", "robot", "vision", "defect", "energy", "quality", "sensor", "테크", "컨트롤",
    "inspection", "모니터링", "불량을", "용접불량", "설비", "predictive", "scheduling", "사출", "도장",
    "물류", "디지털", "twin", "경기", "busan", "자동차", "전자", "컨트롤텍", "냉각수",
)  # fmt: skip
REGIONS = tuple(r.code for r in ref.REGIONS)
INDUSTRIES = tuple(i.code for i in ref.INDUSTRIES)
DISTINCT = 400
PAGE = 20  # the portal's page size and the API pages' limit in the distinct lists


def distinct(template: str, combos: list[dict[str, str]]) -> list[str]:
    """``DISTINCT`` paths of ``template`` filled with successive combinations (their values URL-quoted)."""
    return [template.format(**{k: quote(v) for k, v in combo.items()}) for combo in combos[:DISTINCT]]


def _shuffled(combos: list[dict[str, str]]) -> list[dict[str, str]]:
    """``combos`` in a fixed random order: the first ``DISTINCT`` spread over every value of each part."""
    random.Random(29).shuffle(combos)
    return combos


def distinct_endpoints(held: list[tuple[str, str]]) -> dict[str, tuple[str, list[str]]]:
    """Every search and browse endpoint, API and portal, with requests that differ: words × region,
    phrases of two words, region × industry × page × sort order; ``held``: the (region, industry) pairs of
    the published deployment records."""
    worded = _shuffled([{"q": w, "region": r} for r in REGIONS for w in WORDS])
    phrases = [{"q": w} for w in WORDS] + _shuffled(
        [{"q": f"{a} {b}"} for i, a in enumerate(WORDS) for b in WORDS[i + 1 :]]
    )
    # The region × industry pairs that hold records (the national data has 40), three pages of each in both
    # orders, then pairs that hold none (a visitor's choices often find nothing).
    grid = [(r, i) for r in REGIONS for i in INDUSTRIES if (r, i) not in held]
    filtered = _shuffled(
        [
            {"region": r, "industry": i, "page": str(p), "cursor": encode_cursor([(p - 1) * PAGE]), "sort": s}
            for p in (1, 2, 3)
            for s in ("newest", "effect")
            for r, i in held
        ]
    )
    filtered += _shuffled(
        [
            {"region": r, "industry": i, "page": "1", "cursor": encode_cursor([0]), "sort": s}
            for s in ("newest", "effect")
            for r, i in grid
        ]
    )
    by_name = [{**c, "sort": {"newest": "name", "effect": "capability"}[c["sort"]]} for c in filtered]
    cells = _shuffled([{"region": r, "industry": i} for r in REGIONS for i in INDUSTRIES])  # each pair once
    by_title = [{**c, "sort": {"newest": "newest", "effect": "title"}[c["sort"]]} for c in filtered]
    listed = "region={region}&industry={industry}&sort={sort}&cursor={cursor}&limit=" + str(PAGE)
    browsed = "region={region}&industry={industry}&sort={sort}&page={page}"
    return {
        "deployments search (distinct)": (
            "search-distinct",
            distinct("/api/v1/deployments?q={q}&region={region}&limit=50", worded),
        ),
        "deployments by region and industry (distinct)": (
            "list-distinct",
            distinct("/api/v1/deployments?" + listed, filtered),
        ),
        "deployments facets (distinct)": (
            "list-distinct",
            distinct("/api/v1/deployments/facets?q={q}&region={region}", worded),
        ),
        "deployments facets by region and industry (distinct)": (
            "list-distinct",
            distinct("/api/v1/deployments/facets?region={region}&industry={industry}", cells),
        ),
        "use cases search (distinct)": (
            "search-distinct",
            distinct("/api/v1/usecases/search?q={q}", phrases),
        ),
        "use cases by region and industry (distinct)": (
            "list-distinct",
            distinct("/api/v1/usecases?" + listed, by_title),
        ),
        "companies search (distinct)": (
            "search-distinct",
            distinct("/api/v1/companies?q={q}&region={region}&limit=50", worded),
        ),
        "companies by region and industry (distinct)": (
            "list-distinct",
            distinct("/api/v1/companies?kind=sme&" + listed, by_name),
        ),
        "portal: deployments (distinct)": ("page-distinct", distinct("/deployments?" + browsed, filtered)),
        "portal: deployments search (distinct)": (
            "page-distinct",
            distinct("/deployments?q={q}&region={region}", worded),
        ),
        "portal: cases (distinct)": ("page-distinct", distinct("/cases?q={q}&region={region}", worded)),
        "portal: cases by region and industry (distinct)": (
            "page-distinct",
            distinct("/cases?" + browsed, by_title),
        ),
        "portal: companies (distinct)": (
            "page-distinct",
            distinct("/companies?q={q}&region={region}", worded),
        ),
    }


def wrk(
    base: str, paths: list[str], seconds: int, connections: int, unique: bool = False
) -> dict[str, float]:
    """Figures of ``paths`` driven round-robin; ``unique``: each request carries its own number (``&n=``),
    so no answer kept by URL (a rendered page, a response cache) serves a repeated path."""
    script = Path(f"/tmp/wrk-{uuid.uuid4().hex[:8]}.lua")
    numbered = "'&n=' .. counter .. '-' .. math.random(1000000000)" if unique else "''"
    script.write_text(
        "paths = " + json.dumps(paths).replace("[", "{").replace("]", "}") + "\n"
        "counter = 0\nrequest = function()\n  counter = counter + 1\n"
        f"  return wrk.format('GET', paths[(counter % #paths) + 1] .. {numbered})\nend\n" + LUA.read_text()
    )
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        script.unlink()
    report = json.loads(out.stdout.strip().splitlines()[-1])
    if report["requests"] == 0:  # not one answer within wrk's 10 s timeout: count it as 10 s
        report.update(requests=0, p50=10_000_000, p90=10_000_000, p95=10_000_000, p99=10_000_000)
    return {
        "rps": report["requests"] / (report["duration_us"] / 1e6),
        "p50": report["p50"] / 1000,
        "p90": report["p90"] / 1000,
        "p95": report["p95"] / 1000,
        "p99": report["p99"] / 1000,
        "errors": report["errors"],
    }


@contextmanager
def served(topology: str, database: str, work: Path) -> Iterator[str]:
    """The platform on loopback: one process (embedded), or a process per service behind the gateway."""
    env = {
        "SMARTMFG_DATABASE_URL": database,
        "SMARTMFG_DATA_DIR": str(work),
        "SMARTMFG_BUS_KIND": "local",
        "SMARTMFG_WRITER_EMBEDDED": "false",
        "SMARTMFG_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000",
        "SMARTMFG_RATE_LIMIT_PORTAL_PER_MINUTE": "100000000",
        "SMARTMFG_ALLOW_DEV_SECRETS": "true",
    }
    with ExitStack() as stack:
        if topology == "distributed":
            env["SMARTMFG_TOPOLOGY"] = "distributed"
            env["SMARTMFG_OIDC_ISSUER"] = KEYCLOAK_ISSUER
            # Every process gets the whole map, as the chart's pods do: services call their siblings there.
            urls = {name: f"http://127.0.0.1:{free_port()}" for name in SERVICES}
            env["SMARTMFG_SERVICE_URLS"] = json.dumps(urls)
            for name, url in urls.items():
                port = url.rsplit(":", 1)[1]
                command = [*SMARTMFG, "serve", "--service", name, "--port", port]
                proc = start(command, env, work / f"{name}.log")
                stack.callback(stop, proc)
                wait_ready(proc, url)
        port = free_port()
        gateway = start([*SMARTMFG, "serve", "--port", str(port)], env, work / f"gateway-{topology}.log")
        stack.callback(stop, gateway)
        wait_ready(gateway, f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"


def per_row_queries(settings: PlatformSettings) -> list[str]:
    """Endpoints whose number of SQL statements grows with the page size, in-process on the same data."""
    app = create_app(settings)
    findings = []
    with TestClient(app) as client:
        engine = state_of(app).get(DATABASE).engine
        count = [0]

        def counted(*_: Any) -> None:
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counted)
        for path in (
            "/api/v1/deployments",
            "/api/v1/companies",
            "/api/v1/usecases",
            "/api/v1/standards",
            f"/api/v1/usecases/search?q={quote('불량')}",
        ):
            statements = {}
            for limit in (5, 50):
                count[0] = 0
                sep = "&" if "?" in path else "?"
                answer = client.get(f"{path}{sep}limit={limit}")
                if answer.status_code != 200:
                    findings.append(f"GET {path}: answered {answer.status_code} {answer.text[:200]}")
                statements[limit] = count[0]
            if statements[50] > statements[5] + 2:
                findings.append(
                    f"GET {path}: {statements[5]} SQL statements for 5 rows, {statements[50]} for 50"
                )
        event.remove(engine, "before_cursor_execute", counted)
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--topologies", default="embedded,distributed")
    parser.add_argument("--conditions", default="")
    parser.add_argument("--reuse-database", help="a database an earlier run filled (and kept): no load")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the filled database")
    parser.add_argument("--quick", action="store_true", help="a twentieth of the records, 5 s per endpoint")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national sizes to load")
    parser.add_argument("--only", default="", help="comma-separated endpoint names (default: all)")
    parser.add_argument(
        "--load-only", action="store_true", help="fill a database, keep it and stop (for --reuse-database)"
    )
    args = parser.parse_args()
    exit_on_sigterm()
    sizes = scaled(QUICK_SCALE if args.quick else args.scale)
    if args.quick:
        args.seconds = 5
    if args.load_only:
        args.keep_database = True
    result = Result(
        "api",
        sizes={**sizes, "seconds_per_endpoint": args.seconds, "connections": args.connections},
        conditions=args.conditions,
    )
    table = []
    with ExitStack() as stack:
        database = args.reuse_database or stack.enter_context(
            scratch_database("smartmfg_bench_api", keep=args.keep_database)
        )
        work = Path(f"/tmp/apibench-{uuid.uuid4().hex[:8]}")
        db = Database(database)
        took: dict[str, float] = {}
        if not args.reuse_database:
            env = {**os.environ, "SMARTMFG_DATABASE_URL": database, "SMARTMFG_DATA_DIR": str(work)}
            migrated = subprocess.run(
                [*SMARTMFG, "migrate"], env=env, capture_output=True, text=True, timeout=600
            )
            if migrated.returncode != 0:
                raise RuntimeError(migrated.stderr[-2000:])
            took = generate(db, sizes)
        for kind, seconds in took.items():
            print(f"loaded {kind} in {seconds:.0f} s", flush=True)
        if args.load_only:
            db.dispose()
            return 0
        targets = endpoints(db) | distinct_endpoints(held_pairs(db))
        if args.only:
            targets = {name: target for name, target in targets.items() if name in args.only.split(",")}
        db.dispose()
        findings = per_row_queries(
            PlatformSettings(
                database={"url": database}, data_dir=work, bus={"kind": "local"}, writer={"embedded": False}
            )
        )
        for topology in args.topologies.split(","):
            with served(topology, database, work) as base:
                for name, (kind, paths) in targets.items():
                    unique = kind.endswith("-distinct")
                    wrk(base, paths[:1], 2, 2)  # warm-up: connections, caches, first compiled queries
                    figures = wrk(base, paths, args.seconds, args.connections, unique)
                    # One client: the latency of a request, without waiting behind the other connections'.
                    alone = wrk(base, paths, max(3, args.seconds // 3), 1, unique)
                    figures |= {"p50_1": alone["p50"], "p95_1": alone["p95"]}
                    table.append({"topology": topology, "name": name, "kind": kind, **figures})
                    print(topology, name, {k: round(v, 1) for k, v in figures.items()}, flush=True)
                    target = "p95 ≤ 100 ms" if kind.startswith("page") else "p95 ≤ 50 ms"
                    result.add(f"{topology} {name}: requests/s", [figures["rps"]], "req/s", higher=True)
                    result.add(f"{topology} {name}: p50", [figures["p50"]], "ms", higher=False)
                    result.add(f"{topology} {name}: p90", [figures["p90"]], "ms", higher=False)
                    result.add(f"{topology} {name}: p95", [figures["p95"]], "ms", higher=False, target=target)
                    result.add(f"{topology} {name}: p99", [figures["p99"]], "ms", higher=False)
                    one = f"{topology} {name}: p95 one client"
                    result.add(one, [alone["p95"]], "ms", higher=False, target=target)
    result.details = {"table": table, "load_seconds": took, "findings": findings}
    result.details["load"] = {
        "companies (with a factory each)": sizes["companies"],
        f"equipment models × {sizes['items']} items": sizes["models"],
        "deployment records": sizes["deployments"],
        "AI use cases (published)": sizes["usecases"],
    }
    print(f"wrote {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
