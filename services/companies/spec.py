from pathlib import Path

from services.companies.endpoints import router
from services.kit.spec import ServiceSpec

SPEC = ServiceSpec(
    name="companies",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description=(
        "스마트제조 전문기업 — SMEs and vendors, factories, specialist designation and capability diagnosis, "
        "regional AI centres, support programmes, target dashboard"
    ),
)
