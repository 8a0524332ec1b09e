"""The public case-sharing portal: a single page that browses the public API by region."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["portal"])
_PAGE = (Path(__file__).parent / "index.html").read_text(encoding="utf-8")


@router.get(
    "/",
    response_class=HTMLResponse,
    summary="Case-sharing portal (public)",
    responses={200: {"content": {"text/html": {"example": "<!doctype html>..."}}}},
)
async def portal() -> HTMLResponse:
    return HTMLResponse(_PAGE)
