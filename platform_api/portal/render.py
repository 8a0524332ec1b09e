"""Rendering a portal page: the Jinja2 environment, the visitor's language, and links that keep filters."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from platform_api.portal.auth import signed_in
from platform_api.portal.charts import number, quantity
from platform_api.portal.labels import Labels
from platform_api.portal.messages import LANG_COOKIE, LANGS, chosen_lang, message
from services.kit.particles import particle, with_particle
from services.kit.units import in_words

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Templates ship with the code: no stat of every template file on every render to look for changes.
TEMPLATES.env.auto_reload = False
TEMPLATES.env.filters["josa"] = with_particle
TEMPLATES.env.filters["particle"] = particle
TEMPLATES.env.filters["number"] = number


@pass_context
def _quantity(context: Context, value: float | None, unit: str | None) -> str:
    """A figure with its unit in the words of the page's language ("12개", "12 pcs")."""
    return quantity(value, in_words(unit, context.get("lang", "ko")))


TEMPLATES.env.filters["quantity"] = _quantity


@pass_context
def _written_in(context: Context, text: object) -> Markup:
    """` lang="ko"` for a free text a person wrote in Korean shown on an English page (a case's data used,
    a changelog): it has no translation, and a screen reader should read it as Korean."""
    korean = context.get("lang") != "ko" and any("가" <= ch <= "힣" for ch in str(text or ""))
    return Markup(' lang="ko"') if korean else Markup("")


TEMPLATES.env.filters["written_in"] = _written_in
ONE_YEAR_S = 365 * 24 * 3600


def compile_templates() -> int:
    """Every template compiled into the environment's cache (the process's warm-up: a first render
    compiles its template, ~0.6 s of CPU for all of them); returns how many."""
    names = TEMPLATES.env.list_templates()
    for name in names:
        TEMPLATES.env.get_template(name)
    return len(names)


def _link_params(request: Request) -> dict[str, str]:
    """The query parameters a link keeps: read once per request (a browse page makes ~170 links)."""
    kept: dict[str, str] | None = getattr(request.state, "link_params", None)
    if kept is None:
        kept = {k: v for k, v in request.query_params.items() if k not in ("lang", "page", "login")}
        request.state.link_params = kept
    return kept


def url_with(request: Request, path: str | None = None, **changes: object) -> str:
    """The current URL (or ``path``) with query parameters changed; None removes one. Pages reset to 1."""
    params = dict(_link_params(request))
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    base = path if path is not None else request.url.path
    return f"{base}?{query}" if query else base


async def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = chosen_lang(request)
    other = "en" if lang == "ko" else "ko"
    user = await signed_in(request)
    page = {
        "lang": lang,
        "L": Labels(lang),
        "_": partial(message, lang=lang),
        "user": user,
        "url_with": partial(url_with, request),
        "other_lang": other,
        "_other": partial(message, lang=other),
        **context,
    }
    return with_lang_cookie(request, TEMPLATES.TemplateResponse(request, template, page, status_code=status))


def with_lang_cookie(request: Request, response: HTMLResponse) -> HTMLResponse:
    """``response``, remembering a language the visitor chose by link (``?lang=``)."""
    lang = chosen_lang(request)
    if request.query_params.get("lang") in LANGS and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR_S, samesite="lax", path="/")
    return response
