from pathlib import Path

from fastapi import FastAPI

from services.kit.app_state import state_of
from services.kit.spec import ServiceSpec
from services.usecases import endpoints
from services.usecases.runnable import endpoints as runnable
from services.usecases.runnable.store import models_of

router = endpoints.router
router.include_router(runnable.router)  # /{case_id}/model


def startup(app: FastAPI) -> None:
    models_of(state_of(app))


SPEC = ServiceSpec(
    name="usecases",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="AI 활용 사례 — AI use cases with measured effects, region browse and bilingual search",
    startup=[startup],
)
