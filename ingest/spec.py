from pathlib import Path

from ingest.endpoints import router
from ingest.lifecycle import shutdown, startup
from services.kit.spec import ServiceSpec

SPEC = ServiceSpec(
    name="ingest",
    router=router,
    migrations=Path(__file__).parent / "alembic",
    description="데이터 수집 — edge gateway uploads into the lake through the event bus",
    startup=[startup],
    shutdown=[shutdown],
)
