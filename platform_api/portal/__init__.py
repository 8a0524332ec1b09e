"""The case-sharing portal (사례 공유 포털): server-rendered pages over the platform's own public APIs.

``pages`` holds the map, lists and detail pages; ``account`` the signed-in views (SME dashboard, supplier
page, use-case form); ``auth`` the OIDC sign-in. Everything is read through ``api.PortalApi``; static
files are served from this package, so ``make run`` needs no network and no build step.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse

from platform_api.portal import account, ai_runs, auth, datasets, guides, pages, workspaces
from platform_api.portal.workspaces import guard
from services.kit.errors import NotFound
from services.kit.messages import Msg

router = APIRouter(tags=["portal"])
router.include_router(pages.router)
router.include_router(auth.router)
router.include_router(account.router)
router.include_router(workspaces.router)
router.include_router(datasets.router)
router.include_router(ai_runs.router)
router.include_router(guides.router)


def install(app: FastAPI) -> None:
    """The portal's routes, and the answers to what its guards raise (sign in again; not your page)."""
    app.include_router(router)
    guard.install(app)


_STATIC = Path(__file__).parent / "static"
_FILES = {p.name: p for p in _STATIC.iterdir() if p.is_file()}
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@router.get("/portal/static/{name}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    path = _FILES.get(name)
    if path is None:
        raise NotFound(Msg("no static file {name!r}", name=name))
    return FileResponse(
        path, media_type=_TYPES.get(path.suffix), headers={"Cache-Control": "public, max-age=300"}
    )
