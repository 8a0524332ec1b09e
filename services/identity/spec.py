import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError

from services.identity.demo import seed_database
from services.identity.directory import KEYCLOAK_DIRECTORY, KeycloakDirectory
from services.identity.endpoints import router
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from services.kit.spec import ServiceSpec
from services.kit.tokens import DEV_ISSUER

log = logging.getLogger(__name__)


async def startup(app: FastAPI) -> None:
    """Embedded: seed the development issuer's identities. Otherwise: connect to Keycloak's admin API."""
    state = state_of(app)
    if state.find(DEV_ISSUER) is not None:
        try:
            await run_in_threadpool(seed_database, state.get(DATABASE))
        except DBAPIError as exc:
            # The process still starts and /readyz reports the database; nobody can sign in meanwhile.
            log.warning("demo identities not seeded: %s", exc.orig)
    else:
        state.put(KEYCLOAK_DIRECTORY, KeycloakDirectory(state.settings))


SPEC = ServiceSpec(
    name="identity",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="신원·접근 관리 — organisations, users and gateway clients (Keycloak), consents, audit log",
    startup=[startup],
)
