"""The API at national scale: 100,000 deployment records, 30,000 companies with factories, 10,000 AI use
cases, 500 equipment models × 100 data items, then ``wrk`` (its own process, loopback) against the main
read endpoints and the portal's pages, embedded (one process) and distributed (a process per service
behind the gateway's proxy), on one PostgreSQL database.

The generator clones the bodies of the demo world (platform_api/demo_data.py: valid by construction, kept
valid by the demo seed's own tests) under new ids, validates each with the service's input schema and
stores it through the service's own ``create`` functions, a thousand per transaction — the code path of
the API without one HTTP round trip per record, which would take hours at this scale.

Per-row queries are found by counting SQL statements: an endpoint whose statement count grows with the
page size (limit 5 against limit 50) issues queries per row.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
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
from sqlalchemy import event, func, select

from platform_api.app import create_app
from platform_api.demo_data import brn_with_checksum, build_world
from services.companies import service as companies
from services.companies.models import Company
from services.companies.schemas import CompanyIn, FactoryIn
from services.deployments import service as deployments
from services.deployments.models import DeploymentRecord
from services.deployments.parties import Facts
from services.deployments.schemas import DeploymentIn
from services.kit.db import Database, utcnow
from services.kit.principal import Principal
from services.kit.settings import PlatformSettings
from services.standards import service as standards
from services.standards.schemas import ModelCreate
from services.usecases import service as usecases
from services.usecases.models import UseCase
from services.usecases.schemas import UseCaseIn

SMARTMFG = [sys.executable, "-m", "platform_api.cli"]
LUA = Path(__file__).with_name("wrk_report.lua")
ADMIN = Principal(subject="bench-loader", roles=frozenset({"admin"}), org_id="org-operator")
SERVICES = ("deployments", "companies", "usecases", "standards", "identity")
FULL = {"deployments": 100_000, "companies": 30_000, "usecases": 10_000, "models": 500, "items": 100}
QUICK = {"deployments": 5_000, "companies": 1_500, "usecases": 500, "models": 50, "items": 100}


def batched(db: Database, items: Iterator[Any], store: Callable[[Any, Any], object], size: int = 1000) -> int:
    """Stores ``items`` a thousand per transaction; returns how many."""
    count = 0
    session = db.session()
    try:
        for item in items:
            store(session, item)
            count += 1
            if count % size == 0:
                session.commit()
                session.expunge_all()
        session.commit()
    finally:
        session.close()
    return count


def generate(db: Database, sizes: dict[str, int]) -> dict[str, float]:
    """Fills the platform; returns the seconds each kind of record took."""
    world = build_world()
    vendors = [c for c in world.companies if c["kind"] == "vendor"]
    smes = [c for c in world.companies if c["kind"] == "sme"]
    factories = dict(world.factories)
    n_vendors = max(1, sizes["companies"] // 10)
    n_smes = sizes["companies"] - n_vendors
    took: dict[str, float] = {}

    def company(i: int, kind: str) -> dict[str, Any]:
        body = copy.deepcopy(
            (vendors if kind == "vendor" else smes)[i % (len(vendors) if kind == "vendor" else len(smes))]
        )
        body["id"] = f"nat-{kind}-{i}"
        body["business_registration_number"] = brn_with_checksum(
            f"{300 + i // 10000:03d}{81 if kind == 'vendor' else 86}{i % 10000:04d}"
        )
        body["name"] = {"ko": f"{body['name']['ko']} {i}", "en": f"{body['name'].get('en', '')} {i}"}
        return body

    def store_company(session: Any, body: dict[str, Any]) -> None:
        companies.create(session, ADMIN, CompanyIn.model_validate(body))

    started = time.monotonic()
    batched(db, (company(i, "vendor") for i in range(n_vendors)), store_company)
    batched(db, (company(i, "sme") for i in range(n_smes)), store_company)

    def factory(i: int) -> tuple[str, dict[str, Any]]:
        template = smes[i % len(smes)]
        body = copy.deepcopy(factories[template["id"]])
        body["id"] = f"nat-factory-{i}"
        body["equipment"] = [{**e, "equipment_id": f"{e['equipment_id']}-{i}"} for e in body["equipment"]]
        return f"nat-sme-{i}", body

    batched(
        db,
        (factory(i) for i in range(n_smes)),
        lambda s, item: companies.add_factory(s, ADMIN, item[0], FactoryIn.model_validate(item[1])),
    )
    took["companies (with a factory each)"] = time.monotonic() - started

    started = time.monotonic()
    demo_items = [item for m in world.models for item in m["items"]]

    def model(m: int) -> dict[str, Any]:
        body = copy.deepcopy(world.models[m % len(world.models)])
        body["id"] = f"nat-model-{m:03d}"
        body["name"] = {"ko": f"{body['name']['ko']} {m}", "en": f"{body['name'].get('en', '')} {m}"}
        # an item role (execution state, part count …) may be held once per model: clones hold none
        body["items"] = [
            {
                **{k: v for k, v in demo_items[n % len(demo_items)].items() if k != "role"},
                "id": f"item_{n:03d}",
            }
            for n in range(sizes["items"])
        ]
        return body

    def store_model(session: Any, body: dict[str, Any]) -> None:
        standards.create_model(session, ADMIN, ModelCreate.model_validate(body))
        standards.set_status(session, ADMIN, body["id"], body["version"], "published")

    batched(db, iter(copy.deepcopy(world.models)), store_model)  # the demo models the clones refer to
    batched(db, (model(m) for m in range(sizes["models"])), store_model)
    took[f"equipment models × {sizes['items']} items"] = time.monotonic() - started

    def rename(value: Any, ids: dict[str, str]) -> Any:
        if isinstance(value, dict):
            return {k: rename(v, ids) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v, ids) for v in value]
        return ids.get(value, value) if isinstance(value, str) else value

    def cloned(template: dict[str, Any], i: int) -> dict[str, Any]:
        # the template's SME and vendors become national ones with the same region, industry and factory
        sme_index = {c["id"]: n for n, c in enumerate(smes)}
        ids = {}
        for key in ("owner_org_id", "sme_company_id", "supplier_company_id"):
            old = template.get(key)
            if isinstance(old, str) and old in sme_index:
                ids[old] = f"nat-sme-{sme_index[old] + len(smes) * (i % max(1, n_smes // len(smes)))}"
        for n, vendor in enumerate(vendors):
            ids[vendor["id"]] = f"nat-vendor-{n + len(vendors) * (i % max(1, n_vendors // len(vendors)))}"
        body = rename(copy.deepcopy(template), ids)
        body["title"] = {k: f"{v} #{i}" for k, v in body["title"].items()}
        return body

    started = time.monotonic()
    # The lead supplier of a demo record is designated when the record follows the short process; the
    # checks the endpoint makes against the companies service are known to pass for these clones.
    short = len(deployments.stage_codes(deployments.process_for(True)))

    def store_deployment(session: Any, item: tuple[dict[str, Any], str]) -> None:
        body, state = item
        facts = Facts(designated=len(body.get("stages") or []) == short, factory_checked=True)
        record = deployments.create(session, ADMIN, DeploymentIn.model_validate(body), facts)
        if state == "published":
            # The demo's published share goes public at once: walking each clone through submit, confirm,
            # verify (evidence documents in the object store) and publish is not what is measured here.
            record.status, record.published_at = "published", utcnow()

    # a demo deployment is its body plus a lifecycle state and tickets: the clones take body and state
    templates = world.deployments
    batched(
        db,
        (
            (cloned(templates[i % len(templates)]["body"], i), templates[i % len(templates)]["state"])
            for i in range(sizes["deployments"])
        ),
        store_deployment,
    )
    took["deployment records"] = time.monotonic() - started

    def store_case(session: Any, body: dict[str, Any]) -> None:
        case = usecases.create(session, ADMIN, UseCaseIn.model_validate(body))
        usecases.publish(session, ADMIN, case.id)

    started = time.monotonic()
    batched(
        db, (cloned(world.usecases[i % len(world.usecases)], i) for i in range(sizes["usecases"])), store_case
    )
    took["AI use cases (published)"] = time.monotonic() - started
    return took


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
    model_ids = [f"nat-model-{n:03d}" for n in range(0, 50)]
    word = quote("테크")
    return {
        "deployments list": ("list", ["/api/v1/deployments?limit=50"]),
        "deployments by region and industry": (
            "list",
            ["/api/v1/deployments?region=11&limit=50", "/api/v1/deployments?industry=C29&limit=50"],
        ),
        "deployments search": ("search", [f"/api/v1/deployments?q={word}&limit=50"]),
        "deployment detail": ("detail", [f"/api/v1/deployments/{i}" for i in deployment_ids]),
        "companies list": ("list", ["/api/v1/companies?limit=50"]),
        "company detail": ("detail", [f"/api/v1/companies/{i}" for i in company_ids]),
        "use cases list": ("list", ["/api/v1/usecases?limit=50"]),
        "use cases search": ("search", [f"/api/v1/usecases/search?q={quote('불량')}"]),
        "use case detail": ("detail", [f"/api/v1/usecases/{i}" for i in case_ids]),
        "standards list": ("list", ["/api/v1/standards?limit=50"]),
        "standard detail (100 items)": ("detail", [f"/api/v1/standards/{i}" for i in model_ids]),
        "portal: home": ("page", ["/"]),
        "portal: deployments": ("page", ["/deployments"]),
        "portal: cases": ("page", ["/cases"]),
        "portal: deployment page": ("page", [f"/deployments/{i}" for i in deployment_ids[:20]]),
    }


def wrk(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    script = Path(f"/tmp/wrk-{uuid.uuid4().hex[:8]}.lua")
    script.write_text(
        "paths = " + json.dumps(paths).replace("[", "{").replace("]", "}") + "\n"
        "counter = 0\nrequest = function()\n  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n" + LUA.read_text()
    )
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        script.unlink()
    report = json.loads(out.stdout.strip().splitlines()[-1])
    if report["requests"] == 0:  # not one answer within wrk's 10 s timeout: count it as 10 s
        report.update(requests=0, p50=10_000_000, p95=10_000_000, p99=10_000_000)
    return {
        "rps": report["requests"] / (report["duration_us"] / 1e6),
        "p50": report["p50"] / 1000,
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
        "SMARTMFG_BUS": "local",
        "SMARTMFG_RUN_WRITERS": "false",
        "SMARTMFG_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000",
        "SMARTMFG_ALLOW_DEV_SECRETS": "true",
    }
    with ExitStack() as stack:
        if topology == "distributed":
            env["SMARTMFG_TOPOLOGY"] = "distributed"
            env["SMARTMFG_OIDC_ISSUER"] = KEYCLOAK_ISSUER
            urls = {}
            for name in SERVICES:
                port = free_port()
                proc = start(
                    [*SMARTMFG, "serve", "--service", name, "--port", str(port)], env, work / f"{name}.log"
                )
                stack.callback(stop, proc)
                urls[name] = f"http://127.0.0.1:{port}"
                wait_ready(proc, urls[name])
            env["SMARTMFG_SERVICE_URLS"] = json.dumps(urls)
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
        engine = app.state.db.engine
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
    args = parser.parse_args()
    exit_on_sigterm()
    sizes = dict(QUICK if args.quick else FULL)
    if args.quick:
        args.seconds = 5
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
        targets = endpoints(db)
        db.dispose()
        findings = per_row_queries(
            PlatformSettings(database_url=database, data_dir=work, bus="local", run_writers=False)
        )
        for topology in args.topologies.split(","):
            with served(topology, database, work) as base:
                for name, (kind, paths) in targets.items():
                    wrk(base, paths[:1], 2, 2)  # warm-up: connections, caches, first compiled queries
                    figures = wrk(base, paths, args.seconds, args.connections)
                    table.append({"topology": topology, "name": name, "kind": kind, **figures})
                    print(topology, name, {k: round(v, 1) for k, v in figures.items()}, flush=True)
                    target = "p95 ≤ 50 ms" if kind != "page" else "-"
                    result.add(f"{topology} {name}: requests/s", [figures["rps"]], "req/s", higher=True)
                    result.add(f"{topology} {name}: p95", [figures["p95"]], "ms", higher=False, target=target)
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
