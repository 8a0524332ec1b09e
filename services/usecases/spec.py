from pathlib import Path

from services.kit.spec import ServiceSpec
from services.usecases.endpoints import router

SPEC = ServiceSpec(
    name="usecases",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="AI 활용 사례 — AI use cases with measured effects, region browse and bilingual search",
)
