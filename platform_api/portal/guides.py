"""Task guides in Korean for each kind of user (docs/guides/*.md), linked from every page's footer.

The guides are Markdown files of the repository, written for people (what to do, step by step, with
screenshots of the portal from ``docs/img/``), and read the same on the code host and here.

Invariants:
- Only the guides of ``GUIDES`` and the portal's screenshots in ``docs/img`` (``guide-*.png`` and
  ``portal-*.png``) are served: a path names one of them or is a 404, never a file elsewhere.
- A guide is rendered once per process (CommonMark with tables, raw HTML off: a guide's text cannot add
  markup to the page); its image paths (``../img/…``) become the route's.
- A deployment without the guides (helm/Dockerfile copies them) answers 404 for them; every
  other page is unaffected.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from platform_api.portal.render import render

router = APIRouter(include_in_schema=False)

GUIDES = ("sme", "vendor", "agency", "evaluator", "operator")  # the order of the index
DOCS = Path(__file__).resolve().parents[2] / "docs"
DIRECTORY, IMAGES = DOCS / "guides", DOCS / "img"
_IMAGE = re.compile(r"(guide|portal)-[a-z0-9-]+\.png")


@lru_cache(maxsize=len(GUIDES))
def _guide(name: str) -> tuple[str, Markup] | None:
    """The guide's title (its first heading) and body as HTML, or None when the file is not there."""
    path = DIRECTORY / f"{name}.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), name)
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    # links to other docs pages stay as they are: the code host shows them
    return title, Markup(html.replace('src="../img/', 'src="/guides/img/'))


@router.get("/guides", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    found = [(name, guide[0]) for name in GUIDES if (guide := _guide(name)) is not None]
    return await render(request, "guides.html", {"guides": found})


@router.get("/guides/img/{name}")
async def image(request: Request, name: str) -> Response:
    path = IMAGES / name
    if not _IMAGE.fullmatch(name) or not path.is_file():
        return await render(request, "not_found.html", {}, status=404)
    return FileResponse(path, media_type="image/png")


@router.get("/guides/{name}", response_class=HTMLResponse)
async def guide(request: Request, name: str) -> Response:
    found = _guide(name) if name in GUIDES else None
    if found is None:
        return await render(request, "not_found.html", {}, status=404)
    title, body = found
    return await render(request, "guide.html", {"title": title, "body": body, "guides": GUIDES})
