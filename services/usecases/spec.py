from pathlib import Path

from fastapi import FastAPI

from services.kit.spec import ServiceSpec
from services.usecases import endpoints
from services.usecases.runnable import endpoints as runnable
from services.usecases.runnable.store import open_models

router = endpoints.router
router.include_router(runnable.router)  # /{case_id}/model


def startup(app: FastAPI) -> None:
    app.state.model_store = open_models(app.state.settings)


SPEC = ServiceSpec(
    name="usecases",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="AI 활용 사례 — AI use cases with measured effects, region browse and bilingual search",
    startup=[startup],
)
