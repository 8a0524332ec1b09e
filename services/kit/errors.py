"""One error base class, one JSON shape: ``{"error": Name, "detail": ..., "fields": [...]}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypedDict

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from services.kit.i18n import prefers_korean
from services.kit.messages import N_, Msg, Text, korean_of
from services.kit.validation_messages import message_of

log = logging.getLogger(__name__)


class FieldError(TypedDict):
    """One refused field: where (``body.kpis[0].after``) and why, in the caller's language when shown."""

    loc: str
    msg: Text


class PlatformError(Exception):
    """Base of every error a request may end with; subclasses fix the status code and name.

    The detail and the field messages are catalogue entries (``services.kit.messages``) rendered in the
    caller's language only when the answer is written; ``str(error)`` is the English text.
    """

    status_code = 400
    error = "BadRequest"

    def __init__(
        self,
        detail: Text,
        *,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail.render(False))
        self.detail = detail
        self.fields = fields or []
        self.headers = headers or {}

    def body(self, korean: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "detail": self.detail.render(korean)}
        if self.fields:
            body["fields"] = [{"loc": f["loc"], "msg": f["msg"].render(korean)} for f in self.fields]
        return body


class BadRequest(PlatformError):
    status_code, error = 400, "BadRequest"


class Unauthorized(PlatformError):
    status_code, error = 401, "Unauthorized"

    def __init__(self, detail: Text, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(PlatformError):
    status_code, error = 403, "Forbidden"


class NotFound(PlatformError):
    status_code, error = 404, "NotFound"


class Conflict(PlatformError):
    status_code, error = 409, "Conflict"


class PreconditionFailed(PlatformError):
    """An ``If-Match`` naming a version that is no longer the current one: someone else changed it first."""

    status_code, error = 412, "PreconditionFailed"


class PayloadTooLarge(PlatformError):
    status_code, error = 413, "PayloadTooLarge"


class UnsupportedMediaType(PlatformError):
    status_code, error = 415, "UnsupportedMediaType"


class ValidationFailed(PlatformError):
    status_code, error = 422, "ValidationFailed"


class RateLimited(PlatformError):
    status_code, error = 429, "RateLimited"


class ServiceUnavailable(PlatformError):
    status_code, error = 503, "ServiceUnavailable"


def field_error(loc: str, msg: Text) -> FieldError:
    return {"loc": loc, "msg": msg}


class Problems:
    """Field errors listed as one text, ``loc: msg; loc: msg``, each message in the caller's language."""

    __slots__ = ("fields",)

    def __init__(self, fields: Iterable[FieldError]) -> None:
        self.fields = list(fields)

    def render(self, korean: bool) -> str:
        return "; ".join(f"{f['loc']}: {f['msg'].render(korean)}" for f in self.fields)


def _loc(parts: Sequence[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def fields_of(errors: Iterable[Mapping[str, Any]], prefix: tuple[str, ...] = ()) -> list[FieldError]:
    """Pydantic's errors as ``fields`` entries: ``loc`` spelled ``body.kpis[0].after``, the message from
    the catalogue for the common error types (``services.kit.validation_messages``)."""
    return [field_error(_loc((*prefix, *e.get("loc", ()))), message_of(e)) for e in errors]


# The texts Starlette answers with for a route or method that does not exist.
STARLETTE_TEXTS = frozenset({N_("Not Found"), N_("Method Not Allowed")})

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "examples": ["ValidationFailed"]},
        "detail": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {"loc": {"type": "string"}, "msg": {"type": "string"}},
            },
        },
    },
}


def _is_duplicate(exc: IntegrityError) -> bool:
    """A unique or primary-key violation (PostgreSQL's SQLSTATE 23505, SQLite's message)."""
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(exc.orig)


@cache
def _path_pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def _allowed_methods(request: Request) -> str:
    """Every method of the path the request names (the first template that matches it, as routing picks).
    Starlette's 405 names only those of the first route that matched, but each method is a route here."""
    contexts = [c for c in iter_route_contexts(request.app.routes) if c.path is not None]
    path = next((c.path for c in contexts if _path_pattern(c.path).match(request.url.path)), None)
    routes = [c.original_route for c in contexts if c.path == path]
    methods = {method for route in routes for method in getattr(route, "methods", None) or ()}
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    """One handler per kind of failure, each answering the one error shape (documented by
    ``services.kit.contract``)."""

    @app.exception_handler(PlatformError)
    async def _platform(request: Request, exc: PlatformError) -> JSONResponse:
        return JSONResponse(exc.body(prefers_korean(request)), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = fields_of(exc.errors())
        err = ValidationFailed(Msg("invalid request: {problems}", problems=Problems(fields)), fields=fields)
        return JSONResponse(err.body(prefers_korean(request)), err.status_code)

    @app.exception_handler(DataError)
    @app.exception_handler(IntegrityError)
    async def _refused_by_the_database(request: Request, exc: DataError | IntegrityError) -> JSONResponse:
        # A value validation let through and the database refused: a NUL character in PostgreSQL text, a
        # number beyond the column's range, a null for a required column (422); or a duplicate that a
        # concurrent request inserted first (409). The request is at fault, not the server. The database's
        # own message names tables and values: it goes to the log, not to the caller.
        log.warning("%s %s refused by the database: %s", request.method, request.url.path, exc.orig)
        err: PlatformError
        if isinstance(exc, IntegrityError) and _is_duplicate(exc):
            err = Conflict(Msg("conflicts with an existing record"))
        else:
            err = ValidationFailed(
                Msg(
                    "a value of the request cannot be stored (a number out of range, a NUL character, "
                    "or null for a required field)"
                )
            )
        return JSONResponse(err.body(prefers_korean(request)), err.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}
        names[405] = "MethodNotAllowed"
        # Starlette's own texts ("Not Found", "Method Not Allowed") are catalogue entries (STARLETTE_TEXTS).
        detail = str(exc.detail)
        body = {
            "error": names.get(exc.status_code, "HTTPError"),
            "detail": korean_of(detail) if prefers_korean(request) and detail in STARLETTE_TEXTS else detail,
        }
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return JSONResponse(body, exc.status_code, headers=headers)
