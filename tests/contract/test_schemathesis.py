"""schemathesis with all its checks against the running app, anonymous and with a token of each role.

The whole engine runs as ``st run --checks all`` would: the examples, coverage, fuzzing and stateful phases
(the stateful phase follows the document's ``links`` from a create operation to its sub-resources), each
check of schemathesis enabled. The contract is the document: every status answered is documented, every
body matches its schema, every request the schema allows is accepted and every request it refuses is
refused. Deterministic (a fixed seed, no example database) and bounded: ``EXAMPLES`` per operation and
phase; every caller runs the stateful phase, and the examples and fuzzing phases on the operations it
may call (the anonymous caller the public ones, a role the protected ones it passes the role checks of,
the admin all); the admin's run adds the coverage phase.

``positive_data_acceptance`` accepts, besides schemathesis' defaults (2xx, 401, 403, 404, 409, 429), only
what ``BY_PARAMETER`` and ``STATE_DEPENDENT`` list: the business rules JSON Schema cannot say, each with its
reason (docs/contributing.md lists them too): answers to schema-valid requests that depend on data the
document cannot describe (a position only the server knows, the version an ``If-Match`` names, a record
another field refers to, rules between fields). Everything else a business rule refuses must be expressed
in the schema (an enum, a pattern, a bound: a cursor's shape, an entity tag) so that generated requests
keep to it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.contract import Operation, operations
from services.kit.settings import PlatformSettings, RateLimitSettings
from services.kit.tokens import DEV_ISSUER

# Examples per operation and phase; SMARTMFG_CONTRACT_EXAMPLES raises it, SMARTMFG_CONTRACT_DEEP=1 runs
# every phase in full for every caller (a longer hunt: about ten times the suite's time).
EXAMPLES = int(os.environ.get("SMARTMFG_CONTRACT_EXAMPLES", "2"))
DEEP = os.environ.get("SMARTMFG_CONTRACT_DEEP") == "1"
DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]


@dataclass(frozen=True)
class Caller:
    name: str
    roles: tuple[str, ...] = ()
    claims: tuple[tuple[str, Any], ...] = ()

    def headers(self, app: FastAPI) -> dict[str, str]:
        if not self.roles:
            return {}
        issuer = state_of(app).get(DEV_ISSUER)
        token = issuer.issue(subject=f"contract-{self.name}", roles=list(self.roles), **dict(self.claims))
        return {"Authorization": f"Bearer {token}"}

    def fuzzes(self, operation: Operation) -> bool:
        """Whether this caller's run sends the operation its examples and fuzzed requests: the anonymous
        caller the public ones, a role the protected ones it passes the role checks of, the admin all."""
        if DEEP or "admin" in self.roles:
            return True
        if not self.roles:
            return not operation.protected
        return operation.protected and all(set(self.roles) & needed for needed in operation.role_sets)


CALLERS = [
    Caller("anonymous"),
    Caller("admin", ("admin",), (("org_id", "org-operator"),)),
    Caller("sme", ("sme",), (("org_id", "org-sme-1"),)),
    Caller("vendor", ("vendor",), (("org_id", "org-vendor-1"),)),
    Caller("agency", ("agency",), (("org_id", "org-agency"), ("regions", ["11", "48"]))),
    Caller("evaluator", ("evaluator",), (("org_id", "org-evaluators"),)),
    Caller("public", ("public",)),
    Caller("gateway", ("gateway",), (("org_id", "org-sme-1"), ("factory_id", "f-contract"))),
]

# Business rules of a parameter, wherever it is taken: its status and the rule.
BY_PARAMETER: dict[str, tuple[str, str]] = {
    "cursor": (
        "400",
        "a cursor of the documented shape names a position of this list (only the server mints them)",
    ),
    "if-match": ("412", "the entity tag names the record's current version"),
    "tz": (
        "422",
        "a name of the IANA database the server has (not an enum: the ~600 names are the installed "
        "tzdata's, and a client generator cannot tell some apart, GMT0 and GMT-0)",
    ),
}

# Business rules of one operation, that depend on data the document cannot describe: statuses and rule.
_PERIOD = (["400"], "`to` after `from`, and a period of bounded length")
_REFERENCES = "the records the body names exist (in their own service) and are visible to the caller"
_ITEMS = (["422"], "rules between a data item's fields (a numeric SAMPLE has a unit, bounds fit the type)")
STATE_DEPENDENT: dict[str, tuple[list[str], str]] = {
    **{
        f"GET /api/v1/analytics/{name}": _PERIOD
        for name in (
            "benchmarks",
            "export/kpis",
            "export/readings",
            "kpis",
            "kpis/benchmarks",
            "kpis/peers",
            "readings",
            "series",
            "uploads",
            "ai-predictions",
        )
    },
    "GET /api/v1/companies/regional-centres/{centre_id}/dashboard": _PERIOD,
    "POST /api/v1/analytics/kpis/measure": (
        ["400", "422"],
        "each period ends after it starts; the snapshot named still exists",
    ),
    "POST /api/v1/companies": (["422"], "the business registration number's check digit"),
    "POST /api/v1/companies/{company_id}/factories": (["422"], "equipment ids are unique in a factory"),
    "PATCH /api/v1/companies/{company_id}/factories/{factory_id}": (["422"], "equipment ids are unique"),
    "POST /api/v1/companies/{company_id}/designations/historical": (
        ["422"],
        "the decision date is not after valid_from, which is before valid_until",
    ),
    "POST /api/v1/companies/support-centres/{centre_id}/programmes": (
        ["422"],
        "a programme closes after it opens",
    ),
    "POST /api/v1/deployments": (["422"], _REFERENCES + "; stage dates in order"),
    "PATCH /api/v1/deployments/{record_id}": (["422"], _REFERENCES + "; stage dates in order"),
    "POST /api/v1/deployments/{record_id}/confirm": (
        ["422"],
        "the factory named is one of the SME's own, named by the SME on a record that names none",
    ),
    "POST /api/v1/identity/consents": (["422"], "the grantee is a registered vendor organisation"),
    "POST /api/v1/identity/organisations/{org_id}/gateway-clients": (
        ["422"],
        "the factory is registered to the organisation",
    ),
    "POST /api/v1/identity/organisations/{org_id}/users": (["422"], "the role suits the organisation's kind"),
    "POST /api/v1/ingest/batches": (["422"], "the factory, its equipment and their models are registered"),
    "POST /api/v1/standards": _ITEMS,
    "POST /api/v1/standards/{model_id}/versions": _ITEMS,
    "PATCH /api/v1/standards/{model_id}/versions/{version}": _ITEMS,
    "POST /api/v1/standards/{model_id}/versions/{version}/reviews": (
        ["422"],
        "a request for changes carries a comment",
    ),
    "POST /api/v1/standards/imports/{source}": (
        ["400", "422"],
        "the body is a document in the source's format (an AAS environment, an MTConnect device file)",
    ),
    "POST /api/v1/usecases": (["422"], _REFERENCES),
    "PUT /api/v1/usecases/{case_id}/model": (
        ["422"],
        "the signature part is a signature in JSON (multipart parts are text to the document) bound to a "
        "published standard's numeric items, the file an ONNX model passing the checker and a dry run",
    ),
    **{
        name: (
            ["422"],
            "the dataset part is a description in JSON, naming a published version's numeric items and "
            "factories of the caller that hold enough equipment with readings",
        )
        for name in ("POST /api/v1/datasets", "POST /api/v1/datasets/{dataset_id}/versions")
    },
    "POST /api/v1/datasets/{dataset_id}/versions/{version}/claims": (
        ["422"],
        "the value suits its metric (F1 and accuracy are shares between 0 and 1); the case carries a model",
    ),
    "PATCH /api/v1/usecases/{case_id}": (["422"], _REFERENCES),
    "POST /api/v1/usecases/{case_id}/publish": (["422"], "the stored case has its English texts"),
}


def _state_dependent(document: dict[str, Any]) -> dict[str, list[str]]:
    extra: dict[str, list[str]] = {name: list(codes) for name, (codes, _rule) in STATE_DEPENDENT.items()}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = {p["name"].lower() for p in operation.get("parameters", [])}
            codes = [code for name, (code, _rule) in BY_PARAMETER.items() if name in names]
            if codes:
                extra.setdefault(f"{method.upper()} {path}", []).extend(codes)
    return extra


def _config(app: FastAPI, caller: Caller) -> SchemathesisConfig:
    admin = "admin" in caller.roles
    # The coverage phase is not bounded by the examples: its requests go with the schema's size (every
    # enum value, every bound). The admin's run takes its negative half (the request-shape checks:
    # missing headers, unsupported methods, each keyword violated); SMARTMFG_CONTRACT_DEEP=1 all of it,
    # for every caller.
    coverage: dict[str, Any] = {
        "enabled": DEEP or admin,
        "generation": {"mode": "all" if DEEP else "negative"},
    }
    if not DEEP:  # one undeclared method per path: the 405 and its Allow header
        coverage["unexpected-methods"] = ["OPTIONS", "TRACE"]
    unfuzzed = [f"{o.method} {o.path}" for o in operations(app) if not caller.fuzzes(o)]
    return SchemathesisConfig.from_dict(
        {
            "seed": 20241024,
            "max-failures": 100_000,
            "headers": caller.headers(app),
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "no-shrink": True},
            "checks": {"enabled": True},
            "phases": {"examples": {}, "coverage": coverage, "fuzzing": {}, "stateful": {}},
            "auth": {"auto-signup": False},
            "operations": [
                {
                    "include-name": name,
                    "checks": {"positive_data_acceptance": {"expected-statuses": DEFAULT_ACCEPTED + extra}},
                }
                for name, extra in _state_dependent(app.openapi()).items()
            ]
            + [
                {
                    "include-name": unfuzzed,
                    "phases": {"examples": {"enabled": False}, "fuzzing": {"enabled": False}},
                }
            ]
            * bool(unfuzzed),
        }
    )


def _failures(app: FastAPI, config: SchemathesisConfig) -> tuple[list[str], set[str]]:
    """Each distinct (check, operation) failure with the request to reproduce it, and the operations that
    were sent requests."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    found: dict[tuple[str, str], str] = {}
    exercised: set[str] = set()
    started: dict[str, float] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            started[event.phase.name] = time.monotonic()
        if isinstance(event, events.PhaseFinished) and event.phase.name in started:
            print(f"{event.phase.name}: {time.monotonic() - started[event.phase.name]:.1f} s")
        if isinstance(event, (events.NonFatalError, events.FatalError)):
            error = getattr(event, "value", None) or getattr(event, "exception", None)
            found[("error", getattr(event, "label", ""))] = repr(error)[:1000]
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        if recorder.interactions:
            exercised.add(recorder.label)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                info = check.failure_info
                if info is None or (check.name, recorder.label) in found:
                    continue
                interaction = recorder.interactions.get(case_id)
                answer = interaction.response.content[:500] if interaction and interaction.response else b""
                found[(check.name, recorder.label)] = "\n".join(
                    (
                        f"{info.failure.title}: {info.failure.message[:400]}",
                        info.code_sample[:800],
                        f"-> {answer!r}",
                    )
                )
    return [f"{check} {operation}: {text}" for (check, operation), text in sorted(found.items())], exercised


@pytest.fixture
def app(settings: PlatformSettings) -> Iterator[FastAPI]:
    """The app with its lifespan running; rate limits lifted (hundreds of requests from one address).

    schemathesis starts the lifespan of an app it sends requests to, on the event loop it sends them on, and
    keeps it until the process ends: so the app is started there, not by a test client as well (a second
    start, database pool, lake writer and bus), and stopped when the test ends."""
    unlimited = settings.model_copy(
        update={"rate_limit": RateLimitSettings(public_per_minute=0, uploads_per_minute=0)}
    )
    app = create_app(unlimited)
    try:
        with asgi.get_client(app):  # type: ignore[arg-type]  # FastAPI is an ASGI app
            yield app
    finally:
        asgi.shutdown_lifespans()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("caller", CALLERS, ids=[c.name for c in CALLERS])
def test_api_keeps_its_contract(app: FastAPI, caller: Caller) -> None:
    failures, exercised = _failures(app, _config(app, caller))
    paths = app.openapi()["paths"]
    fuzzed = {f"{o.method} {o.path}" for o in operations(app) if o.path in paths and caller.fuzzes(o)}
    assert len(fuzzed) > 10
    assert fuzzed <= exercised, f"operations sent nothing: {sorted(fuzzed - exercised)}"
    assert not failures, f"{len(failures)} failing (check, operation):\n\n" + "\n\n".join(failures)
