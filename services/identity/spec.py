import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError

from services.identity.demo import seed_database
from services.identity.directory import KeycloakDirectory
from services.identity.endpoints import router
from services.kit.spec import ServiceSpec

log = logging.getLogger(__name__)


async def startup(app: FastAPI) -> None:
    """Embedded: seed the development issuer's identities. Otherwise: connect to Keycloak's admin API."""
    if getattr(app.state, "dev_issuer", None) is not None:
        try:
            await run_in_threadpool(seed_database, app.state.db)
        except DBAPIError as exc:
            # The process still starts and /readyz reports the database; nobody can sign in meanwhile.
            log.warning("demo identities not seeded: %s", exc.orig)
    else:
        app.state.identity_directory = KeycloakDirectory(app.state.settings)


SPEC = ServiceSpec(
    name="identity",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="신원·접근 관리 — organisations, users and gateway clients (Keycloak), consents, audit log",
    startup=[startup],
)
