"""The lists of deployment records run as many SQL statements for 50 rows as for 5 (no query per row)."""

from __future__ import annotations

from tests.services.deployments.conftest import URL, World
from tests.services.statements import SMALL, assert_constant, pages


def test_public_and_workspace_lists_query_per_page_not_per_row(world: World) -> None:
    for n in range(SMALL + 1):  # published with stage documents, KPIs, suppliers and solutions
        world.published(subfield="INTL-AI" if n % 2 else "INFO-MES", title_ko=f"창원 용접 라인 AI {n}")
    for _ in range(SMALL + 1):
        world.create()  # drafts: only the workspace shows them

    for path in (URL, f"{URL}?region=48", f"{URL}?q=용접", f"{URL}?supplier=org-vendor-3"):
        assert_constant(pages(world.client, path))
    for headers in (world.sme, world.vendor, world.agency, world.admin):
        assert_constant(pages(world.client, f"{URL}/workspace", headers))
