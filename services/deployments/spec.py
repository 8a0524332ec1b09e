from pathlib import Path

from services.deployments import storage
from services.deployments.endpoints import router
from services.kit.spec import ServiceSpec

SPEC = ServiceSpec(
    name="deployments",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="구축정보 — smart-factory deployment records, stages and KPI outcomes",
    startup=[storage.startup],
)
