"""The national-scale data set of the API benchmark, loaded in minutes: rows the services stored, cloned.

Each template (a demo company with its factory, equipment model, deployment record, use case; see
platform_api/demo_data.py) is stored once through its service's own functions, inside a transaction that
is rolled back after the rows it wrote in every table of that service have been read back. A clone is those
rows with

- every value the caller maps (company ids, business registration numbers, factory ids) replaced where a
  whole text equals it,
- ``MARK`` replaced by the clone's number inside every text (ids, names, titles, search text and terms),
- every generated id (a uuid's 32 hex digits) replaced by a fresh one, autoincrement keys left to the
  database,
- timestamps moved back by the clone's number in seconds, so list orders are not one long tie,

and is written with SQLAlchemy Core ``insert()`` of thousands of rows per statement (executemany). What the
services derive from a body (search text, index terms, process, stages) is therefore exactly what they
would have stored for the clone's body, without the unit of work's cost per object.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, insert, select, text
from sqlalchemy.orm import Session

from platform_api.demo_data import brn_with_checksum, build_world
from services.companies import service as companies
from services.companies.models import Base as CompaniesBase
from services.companies.schemas import CompanyIn, FactoryIn
from services.deployments import tallies
from services.deployments.models import Base as DeploymentsBase
from services.deployments.parties import Facts
from services.deployments.records import service as deployments
from services.deployments.schemas import DeploymentIn
from services.kit.db import Database, utcnow
from services.kit.principal import Principal
from services.standards import service as standards
from services.standards.models import Base as StandardsBase
from services.standards.schemas import ModelCreate
from services.usecases import service as usecases
from services.usecases.models import Base as UsecasesBase
from services.usecases.schemas import UseCaseIn

ADMIN = Principal(subject="bench-loader", roles=frozenset({"admin"}), org_id="org-operator")
MARK = "9999999"  # stands for the clone's number in a template's texts
_GENERATED_ID = re.compile(r"[0-9a-f]{32}")
BATCH = 5000  # rows per INSERT statement
Rows = dict[Table, list[dict[str, Any]]]


def _keys(session: Session, table: Table) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in session.execute(select(*table.primary_key.columns))}


def stored_rows(db: Database, metadata: MetaData, store: Callable[[Session], object]) -> Rows:
    """The rows ``store`` writes in the tables of ``metadata`` (rolled back: nothing stays)."""
    with db.session() as session:
        before = {table: _keys(session, table) for table in metadata.sorted_tables}
        store(session)
        session.flush()
        rows: Rows = {}
        for table in metadata.sorted_tables:
            key = [column.name for column in table.primary_key.columns]
            auto = table.autoincrement_column
            new = [
                {k: v for k, v in row.items() if auto is None or k != auto.name}
                for row in (dict(r._mapping) for r in session.execute(select(table)))
                if tuple(row[k] for k in key) not in before[table]
            ]
            if new:
                rows[table] = new
        session.rollback()
    return rows


def clone(template: Rows, number: int, ids: dict[str, str]) -> Rows:
    """The template's rows for clone ``number`` (see the module's docstring)."""
    fresh: dict[str, str] = {}
    mark = str(number)
    moved = timedelta(seconds=number)

    def value(v: Any) -> Any:
        if isinstance(v, str):
            if v in ids:
                return ids[v]
            if _GENERATED_ID.fullmatch(v):
                return fresh.setdefault(v, uuid.uuid4().hex)
            return v.replace(MARK, mark) if MARK in v else v
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, datetime):
            return v - moved
        return v

    return {
        table: [{k: value(v) for k, v in row.items()} for row in rows] for table, rows in template.items()
    }


def bulk_insert(db: Database, clones: Iterable[Rows]) -> int:
    """Writes the clones' rows, ``BATCH`` rows per statement and table, parents before children."""
    pending: dict[Table, list[dict[str, Any]]] = {}
    count = 0

    def flush(session: Session) -> None:
        for table, rows in pending.items():  # in the order of the templates' tables: parents first
            session.execute(insert(table), rows)
        session.commit()
        pending.clear()

    with db.session() as session:
        for rows in clones:
            count += 1
            for table, table_rows in rows.items():
                pending.setdefault(table, []).extend(table_rows)
            if max(len(r) for r in pending.values()) >= BATCH:
                flush(session)
        flush(session)
    return count


def _marked(text: dict[str, Any]) -> dict[str, Any]:
    return {k: f"{v} #{MARK}" if v else v for k, v in text.items()}


def generate(db: Database, sizes: dict[str, int]) -> dict[str, float]:
    """Fills the platform; returns the seconds each kind of record took."""
    world = build_world()
    vendors = [c for c in world.companies if c["kind"] == "vendor"]
    smes = [c for c in world.companies if c["kind"] == "sme"]
    factories = dict(world.factories)  # SME id -> its factory
    n_vendors = max(1, sizes["companies"] // 10)
    n_smes = sizes["companies"] - n_vendors
    took: dict[str, float] = {}

    # --- companies, an SME's factory with it -------------------------------------------------------
    started = time.monotonic()

    def company_template(body: dict[str, Any], factory: dict[str, Any] | None) -> Rows:
        kind = body["kind"]
        body = {**copy.deepcopy(body), "id": f"nat-{kind}-{MARK}", "name": _marked(body["name"])}
        if factory is not None:
            factory = {
                **copy.deepcopy(factory),
                "id": f"nat-factory-{MARK}",
                "equipment": [
                    {**e, "equipment_id": f"{e['equipment_id']}-{MARK}"} for e in factory["equipment"]
                ],
            }

        def store(session: Session) -> None:
            companies.create(session, ADMIN, CompanyIn.model_validate(body))
            if factory is not None:
                companies.add_factory(session, ADMIN, body["id"], FactoryIn.model_validate(factory))

        return stored_rows(db, CompaniesBase.metadata, store)

    def company_clones(kind: str, templates: list[dict[str, Any]], count: int) -> Iterator[Rows]:
        rows = [company_template(c, factories.get(c["id"]) if kind == "sme" else None) for c in templates]
        for i in range(count):
            n = i % len(templates)
            brn = brn_with_checksum(f"{300 + i // 10000:03d}{81 if kind == 'vendor' else 86}{i % 10000:04d}")
            yield clone(rows[n], i, {templates[n]["business_registration_number"]: brn})

    bulk_insert(db, company_clones("vendor", vendors, n_vendors))
    bulk_insert(db, company_clones("sme", smes, n_smes))
    took["companies (with a factory each)"] = time.monotonic() - started

    # --- equipment models: the demo's (the clones refer to them) and clones with many items --------
    started = time.monotonic()
    demo_items = [item for m in world.models for item in m["items"]]
    with db.session() as session:
        for body in world.models:
            standards.create_model(session, ADMIN, ModelCreate.model_validate(body))
            standards.set_status(session, ADMIN, body["id"], body["version"], "published")
        session.commit()

    def model_template(template: dict[str, Any]) -> Rows:
        body = {
            **copy.deepcopy(template),
            "id": f"nat-model-{MARK}",
            "name": _marked(template["name"]),
            # an item role (execution state, part count …) may be held once per model: clones hold none
            "items": [
                {
                    **{k: v for k, v in demo_items[n % len(demo_items)].items() if k != "role"},
                    "id": f"item_{n:03d}",
                }
                for n in range(sizes["items"])
            ],
        }

        def store(session: Session) -> None:
            standards.create_model(session, ADMIN, ModelCreate.model_validate(body))
            standards.set_status(session, ADMIN, body["id"], body["version"], "published")

        return stored_rows(db, StandardsBase.metadata, store)

    model_rows = [model_template(m) for m in world.models]
    bulk_insert(db, (clone(model_rows[m % len(model_rows)], m, {}) for m in range(sizes["models"])))
    took[f"equipment models × {sizes['items']} items"] = time.monotonic() - started

    # --- deployment records and use cases of national SMEs and vendors -----------------------------
    sme_index = {c["id"]: n for n, c in enumerate(smes)}
    vendor_index = {c["id"]: n for n, c in enumerate(vendors)}

    def national_ids(i: int) -> dict[str, str]:
        """Clone ``i`` of a demo record belongs to national clones of the same SME (same region, industry
        and factory) and vendors."""
        ids = {}
        for old, n in sme_index.items():
            k = n + len(smes) * (i % max(1, n_smes // len(smes)))
            ids[old] = f"nat-sme-{k}"
            if old in factories:
                ids[factories[old]["id"]] = f"nat-factory-{k}"
        for old, n in vendor_index.items():
            ids[old] = f"nat-vendor-{n + len(vendors) * (i % max(1, n_vendors // len(vendors)))}"
        return ids

    # The lead supplier of a demo record is designated when the record follows the short process; the
    # checks the endpoint makes against the companies service are known to pass for these clones.
    short = len(deployments.stage_codes(deployments.process_for(True)))

    def deployment_template(demo: dict[str, Any]) -> Rows:
        body = {**copy.deepcopy(demo["body"]), "title": _marked(demo["body"]["title"])}

        def store(session: Session) -> None:
            facts = Facts(designated=len(body.get("stages") or []) == short, factory_checked=True)
            record = deployments.create(session, ADMIN, DeploymentIn.model_validate(body), facts)
            if demo["state"] == "published":
                # The demo's published share goes public at once: walking each record through submit,
                # confirm, verify (evidence documents in the object store) and publish is not measured.
                record.status, record.published_at = "published", utcnow()

        return stored_rows(db, DeploymentsBase.metadata, store)

    started = time.monotonic()
    record_rows = [deployment_template(d) for d in world.deployments]
    bulk_insert(
        db,
        (clone(record_rows[i % len(record_rows)], i, national_ids(i)) for i in range(sizes["deployments"])),
    )
    with db.engine.begin() as conn:  # the clones were written around the service: their facets are counted
        tallies.rebuild(conn)
    took["deployment records"] = time.monotonic() - started

    def case_template(demo: dict[str, Any]) -> Rows:
        # The title keeps no clone number: the case's index terms would then depend on it.
        def store(session: Session) -> None:
            case = usecases.create(session, ADMIN, UseCaseIn.model_validate(demo))
            usecases.publish(session, ADMIN, case.id)

        return stored_rows(db, UsecasesBase.metadata, store)

    started = time.monotonic()
    case_rows = [case_template(c) for c in world.usecases]
    bulk_insert(
        db, (clone(case_rows[i % len(case_rows)], i, national_ids(i)) for i in range(sizes["usecases"]))
    )
    took["AI use cases (published)"] = time.monotonic() - started
    if db.engine.dialect.name == "postgresql":  # the planner's statistics, as a database in service has them
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return took
