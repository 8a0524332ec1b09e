"""The API reference in Korean and English: ``/openapi.json`` and ``/docs`` in the caller's language.

The English document is the one FastAPI builds from the code (unchanged, byte for byte). The Korean one
is that document with each human text replaced by its Korean entry of the one message catalogue, under
the gettext context ``openapi`` (``services.kit.messages.DOCUMENT_CONTEXT``): the English text is the
msgid, so a summary changed in the code simply has no Korean until the catalogue is updated, and shows in
English meanwhile. Texts translated: the title and description of the API, tag descriptions, operation
summaries and descriptions, parameter descriptions, and schema and field descriptions.

Invariants:
- Every text of the document has a Korean entry, unless it is Korean already (a field described in
  Korean, e.g. by its example): ``tests/platform_api/test_api_docs.py`` walks the built document.
- The catalogue holds no ``openapi`` entry the document does not use: ``smartmfg api-docs``
  adds the document's new texts (untranslated) and drops the unused ones, as ``services.kit.messages``
  does for the source's messages (which leaves this context alone).
- Each language's document is built once per process (the app keeps the two, never more); only the
  language is read from the request.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute

from services.kit.app_state import state_of
from services.kit.i18n import prefers_korean
from services.kit.messages import DOCUMENT_CONTEXT, korean_of, read_catalogue, write_catalogue
from services.kit.slots import Slot

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_HANGUL = re.compile(r"[가-힣]")


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in _METHODS and isinstance(operation, dict):
                yield operation


def _described(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping below a schema that carries a ``description`` (fields, nested and combined schemas)."""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            yield node
        for value in node.values():
            yield from _described(value)
    elif isinstance(node, list):
        for value in node:
            yield from _described(value)


def _slots(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(holder, key): each human text of the document."""
    info = document.get("info", {})
    for key in ("title", "description"):
        if info.get(key):
            yield info, key
    for tag in document.get("tags", []):
        if tag.get("description"):
            yield tag, "description"
    for operation in _operations(document):
        for key in ("summary", "description"):
            if operation.get(key):
                yield operation, key
        for parameter in operation.get("parameters", []):
            if parameter.get("description"):
                yield parameter, "description"
    for schema in document.get("components", {}).get("schemas", {}).values():
        for holder in _described(schema):
            yield holder, "description"


def texts(document: dict[str, Any]) -> dict[str, bool]:
    """The document's human texts, each with whether it must have a Korean entry (all but those written
    in Korean already)."""
    return {holder[key]: not _HANGUL.search(holder[key]) for holder, key in _slots(document)}


def in_korean(document: dict[str, Any]) -> dict[str, Any]:
    """A Korean copy of the document: each text by its catalogue entry, English where there is none."""
    korean = copy.deepcopy(document)
    for holder, key in _slots(korean):
        holder[key] = korean_of(holder[key], DOCUMENT_CONTEXT)
    return korean


OPENAPI_KO: Slot[dict[str, Any]] = Slot("openapi_ko")  # built once, from the one English document


def _document(app: FastAPI, korean: bool) -> dict[str, Any]:
    if not korean:
        return app.openapi()
    state = state_of(app)
    found = state.find(OPENAPI_KO)
    return found if found is not None else state.put(OPENAPI_KO, in_korean(app.openapi()))


def install(app: FastAPI) -> None:
    """Replaces FastAPI's ``/openapi.json`` and ``/docs`` with ones that answer in the caller's language
    (``?lang=ko`` or ``Accept-Language: ko``); ``/docs?lang=ko`` loads ``/openapi.json?lang=ko``, and
    ``/docs?lang=en`` the English document even from a browser that asks for Korean."""
    openapi_url, docs_url = app.openapi_url or "/openapi.json", app.docs_url or "/docs"
    replaced = {openapi_url, docs_url}
    kept: list[BaseRoute] = [r for r in app.router.routes if getattr(r, "path", None) not in replaced]
    app.router.routes[:] = kept

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(_document(app, prefers_korean(request)))

    async def swagger_ui(request: Request) -> HTMLResponse:
        korean = prefers_korean(request)
        root = request.scope.get("root_path", "").rstrip("/")
        redirect = app.swagger_ui_oauth2_redirect_url
        return get_swagger_ui_html(
            # The language said in the URL: the browser's own Accept-Language must not switch it back.
            openapi_url=f"{root}{openapi_url}?lang={'ko' if korean else 'en'}",
            title=f"{_document(app, korean)['info']['title']} - Swagger UI",
            oauth2_redirect_url=root + redirect if redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    app.add_route(openapi_url, openapi, include_in_schema=False)
    app.add_route(docs_url, swagger_ui, include_in_schema=False)


def update(document: dict[str, Any]) -> Iterator[str]:
    """Adds the document's new required texts to the catalogue (untranslated) and drops unused entries."""
    used = texts(document)
    catalog = read_catalogue()
    changes = []
    for message in list(catalog):
        if message.context == DOCUMENT_CONTEXT and message.id not in used:
            catalog.delete(message.id, context=DOCUMENT_CONTEXT)
            changes.append(f"dropped: {message.id}")
    for text, required in used.items():
        if required and catalog.get(text, context=DOCUMENT_CONTEXT) is None:
            catalog.add(text, "", context=DOCUMENT_CONTEXT)
            changes.append(f"to translate: {text}")
    if changes:  # rewriting reorders the whole file: only when there is something to write
        write_catalogue(catalog)
    yield from changes
