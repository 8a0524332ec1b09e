"""schemathesis over the whole OpenAPI document with real Keycloak tokens: no 5xx, and every documented
response matches its schema (and content type). Runs on PostgreSQL, where over-long or odd values surface as
5xx. Each operation is exercised three ways: valid requests with generated ids (mostly 404s), valid requests
addressing the records of the two tenants (``tests/security/world.py``: the deep code paths), and invalid
requests (negative mode) addressing them, which must be refused with a 4xx.

The app is started once, by the test's client (which posts the tenants' records); schemathesis is handed the
document that client fetched and one ASGI session of its own that never enters the app: loading the document
or sending a request through a client schemathesis enters starts a second lifespan of the app (a second
database pool, lake writer and bus) that runs until the process ends, and a session per request cost a
``requests`` session's set-up ten thousand times. The session keeps no cookie, as a fresh one would not."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import select

from services.identity.directory import KEYCLOAK_DIRECTORY, KeycloakDirectory
from services.identity.models import GatewayClient, User
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from tests.security.conftest import SecurityReport, Tokens
from tests.security.world import Tenant

# Examples per operation and pass; SMARTMFG_FUZZ_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("SMARTMFG_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# Server errors found here and reported to the owning service, tolerated until fixed: (operation, a
# substring of the failure). Any other failure, or one of these elsewhere, fails the test; the run reports
# how many known failures it met, and warns about entries it did not meet (remove those once fixed).
# (Explicit nulls for required columns in patches are answered 422 by services.kit.errors; the services'
# patch schemas should refuse them first, with the field named.)


def _forget_in_keycloak(app: FastAPI) -> None:
    """Users and clients the fuzzer created live in the shared realm: delete them again."""
    directory: KeycloakDirectory = state_of(app).get(KEYCLOAK_DIRECTORY)
    with state_of(app).get(DATABASE).session() as session:
        users = session.scalars(select(User.id)).all()
        clients = session.scalars(select(GatewayClient.client_id)).all()
    for user_id in users:
        directory.admin.delete_user(user_id)
    for client_id in clients:
        uuid = directory.admin.get_client_id(client_id)
        if uuid:
            directory.admin.delete_client(uuid)


def _distinct(exc: BaseException) -> list[str]:
    """Each distinct failure of a hypothesis run (schemathesis' message has the curl line to reproduce it)."""
    if isinstance(exc, BaseExceptionGroup):
        return [text for e in exc.exceptions for text in _distinct(e)]
    return [str(exc)[:1500]]


@pytest.fixture
def fuzzed(kc_client: TestClient) -> Iterator[TestClient]:
    yield kc_client
    _forget_in_keycloak(kc_client.app)  # type: ignore[arg-type]


@pytest.mark.slow  # about 2 minutes: a run that has not timed it yet starts it first (tests/workers.py)
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_api_conforms_to_its_schema(
    fuzzed: TestClient, tenants: list[Tenant], tokens: Tokens, report: SecurityReport
) -> None:
    # The operations are walked by hand: schemathesis' pytest plugin does not run on this pytest version.
    served = fuzzed.get("/openapi.json")
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json())
    schema.app, schema.location = fuzzed.app, "/openapi.json"  # as schemathesis.openapi.from_asgi sets them
    session = ASGIClient(fuzzed.app)  # type: ignore[arg-type]
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    known = {**tenants[1].values, **tenants[0].values}
    failures: list[str] = []
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation fails the run here
        name = f"{operation.method.upper()} {operation.path}"
        counts["operations"] += 1
        ids = [p.name for p in operation.path_parameters]
        real_ids = {n: known[n] for n in ids} if ids and all(n in known for n in ids) else None
        passes: list[tuple[str, GenerationMode, dict[str, Any] | None]] = [
            ("generated ids", GenerationMode.POSITIVE, None)
        ]
        if real_ids:
            counts["operations on existing records"] += 1
            passes.append(("existing records", GenerationMode.POSITIVE, real_ids))
        passes.append(("invalid requests", GenerationMode.NEGATIVE, real_ids))
        for label, mode, path_parameters in passes:

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: the curl line is enough, and fast
            )
            def exercise(case: Any) -> None:
                response = case.call_and_validate(
                    session=session, headers=tokens.headers("admin1"), checks=CHECKS
                )
                counts["requests"] += 1
                statuses[f"{response.status_code // 100}xx"] += 1

            try:
                exercise()
            except Unsatisfiable:
                counts["operations without an invalid input"] += label == "invalid requests"
            except (Exception, BaseExceptionGroup) as exc:  # one report for all operations
                failures += [f"{name} ({label}): {failure}" for failure in _distinct(exc)]
    report.add(
        "schemathesis (test_schemathesis.py)",
        **dict(counts),
        failing=len(failures),
        answers=", ".join(f"{n} {k}" for k, n in sorted(statuses.items())),
    )
    assert counts["operations"] >= 70
    assert not failures, "\n\n".join(failures)
