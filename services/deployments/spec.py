"""The deployments service: one router assembled from its capabilities' routes, in the order the OpenAPI
document lists them (the records' fixed paths such as ``/facets`` come before ``/{record_id}``)."""

from pathlib import Path

from fastapi import APIRouter

from services.deployments import storage
from services.deployments.aftercare import endpoints as aftercare
from services.deployments.documents import endpoints as documents
from services.deployments.kpis import endpoints as kpis
from services.deployments.lifecycle import endpoints as lifecycle
from services.deployments.records import endpoints as records
from services.kit.spec import ServiceSpec

router = APIRouter()
for capability in (records, lifecycle, kpis, documents, aftercare):
    # The routes themselves, not include_router: the list's path is "" and FastAPI refuses to include an
    # empty path without a prefix; the service's prefix is given once, where the gateway mounts it.
    router.routes.extend(capability.router.routes)

SPEC = ServiceSpec(
    name="deployments",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="구축정보 — smart-factory deployment records, stages and KPI outcomes",
    startup=[storage.startup],
)
