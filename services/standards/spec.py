from pathlib import Path

from services.kit.spec import ServiceSpec
from services.standards.endpoints import router

SPEC = ServiceSpec(
    name="standards",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="제조데이터 표준 — equipment data models, versions, validation, JSON Schema and AAS exports",
)
