"""One error base class, one JSON shape: ``{"error": Name, "detail": ..., "fields": [...]}``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kit.i18n import prefers_korean

log = logging.getLogger(__name__)


class PlatformError(Exception):
    """Base of every error a request may end with; subclasses fix the status code and name."""

    status_code = 400
    error = "BadRequest"

    def __init__(
        self,
        detail: str,
        *,
        detail_ko: str | None = None,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_ko = detail_ko
        self.fields = fields or []
        self.headers = headers or {}

    def body(self, korean: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": self.error,
            "detail": self.detail_ko if korean and self.detail_ko else self.detail,
        }
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(PlatformError):
    status_code, error = 400, "BadRequest"


class Unauthorized(PlatformError):
    status_code, error = 401, "Unauthorized"

    def __init__(self, detail: str, **kw: Any) -> None:
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


def field_error(loc: str, msg: str) -> dict[str, str]:
    return {"loc": loc, "msg": msg}


def _loc(parts: Sequence[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def fields_of(errors: Iterable[Mapping[str, Any]], prefix: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Pydantic's errors as ``fields`` entries: ``loc`` spelled ``body.kpis[0].after``."""
    return [field_error(_loc((*prefix, *e.get("loc", ()))), str(e.get("msg", ""))) for e in errors]


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


def install_error_handlers(app: FastAPI) -> None:
    """One handler per kind of failure, each answering the one error shape (documented by
    ``services.kit.contract``)."""

    @app.exception_handler(PlatformError)
    async def _platform(request: Request, exc: PlatformError) -> JSONResponse:
        return JSONResponse(exc.body(prefers_korean(request)), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = fields_of(exc.errors())
        err = ValidationFailed(
            "; ".join(f"{f['loc']}: {f['msg']}" for f in fields) or "invalid request",
            detail_ko="요청 값이 올바르지 않습니다: " + ", ".join(f["loc"] for f in fields),
            fields=fields,
        )
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
            err = Conflict("conflicts with an existing record", detail_ko="이미 있는 데이터와 충돌합니다")
        else:
            err = ValidationFailed(
                "a value of the request cannot be stored (a number out of range, a NUL character, "
                "or null for a required field)",
                detail_ko="저장할 수 없는 값이 있습니다",
            )
        return JSONResponse(err.body(prefers_korean(request)), err.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
        body = {"error": names.get(exc.status_code, "HTTPError"), "detail": str(exc.detail)}
        return JSONResponse(body, exc.status_code, headers=getattr(exc, "headers", None))
