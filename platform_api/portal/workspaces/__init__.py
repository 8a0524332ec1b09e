"""Role workspaces of the portal: each signed-in role's home with its pending work, and its forms.

One module per role (``agency``, with its regional AI centre dashboard in ``region``, ``sme``,
``evaluator``, ``operator``, ``vendor`` with its records in ``vendor_records``, its AI cases in
``vendor_cases``, its standards in ``vendor_standards`` and its designation in ``vendor_designation``,
and the public ``ministry`` page); ``guard`` says who may open a workspace and where each role lands,
``forms`` is the kit every workspace form uses (CSRF, one-time submit tokens, errors in words). A
workspace reads and writes with the visitor's own token: what it shows and allows is what the APIs allow
that person.
"""

from __future__ import annotations

from fastapi import APIRouter

from platform_api.portal.workspaces import (
    agency,
    evaluator,
    ministry,
    operator,
    region,
    sme,
    vendor,
    vendor_cases,
    vendor_designation,
    vendor_records,
    vendor_standards,
)
from platform_api.portal.workspaces.guard import home_of

router = APIRouter(include_in_schema=False)
for _workspace in (
    agency,
    sme,
    evaluator,
    operator,
    ministry,
    region,
    vendor,
    vendor_records,
    vendor_cases,
    vendor_standards,
    vendor_designation,
):
    router.include_router(_workspace.router)

__all__ = ["home_of", "router"]
