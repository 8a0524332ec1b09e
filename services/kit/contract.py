"""Who may call each operation and which errors it answers, read from the route table into OpenAPI.

Two sources, each said once. What the route table implies is read from it: an operation whose
dependencies verify a token answers 401; one that requires roles answers 403 and names them; a public read
(``MaybePrincipal``) takes a token but does not need one (security ``[{}, bearer]``); every ``/api/``
operation may answer 429 (the rate limiter), every operation with parameters or a body 422, one with a
body 400 (undecodable), one with a ``cursor`` 400 (not minted by the list), one with a path parameter 404
(an unknown id), and every ``/api/`` write 409 (a duplicate a concurrent request inserted first). Every
other error an endpoint answers, it declares with :func:`answers` (the ``services.kit.errors`` classes it
raises, through its dependencies and the services it calls); every ``/api/`` endpoint declares, even when
it answers nothing more (``@answers()``), and ``tests/contract`` holds each to what it answers. Every
error response has the one error shape of ``services.kit.errors`` (the component ``Error``, also in place
of FastAPI's HTTPValidationError).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from services.kit.errors import ERROR_SCHEMA, PlatformError
from services.kit.principal import current_principal, optional_principal

ERROR_REF = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    "400": "malformed request (e.g. an undecodable cursor or body)",
    "401": "no token, or a token that is invalid or expired",
    "403": "the token does not allow this",
    "404": "no such record (or not visible to the caller)",
    "409": "conflicts with the current state",
    "412": "the record changed since it was read (If-Match)",
    "413": "the body is too large",
    "415": "unsupported content type",
    "422": "a field is invalid: fields[].loc names it",
    "429": "too many requests: retry after Retry-After seconds",
    "503": "a dependency is unavailable: retry after Retry-After seconds",
}


Declared = type[PlatformError] | tuple[type[PlatformError], str]
"""An error an endpoint answers: its class, or its class and what it means there."""

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_DECLARED = "__answers__"


def answers(*errors: Declared) -> Callable[[Endpoint], Endpoint]:
    """Declare the errors an endpoint answers beyond those its route table implies (see the module):

        @router.post("/{model_id}/versions", ...)
        @answers((Conflict, "version exists or is not newer"), ServiceUnavailable)
        def create_version(...): ...

    ``@answers()`` says it answers none. The endpoint itself is returned, marked (routing is unchanged)."""
    described: dict[int, str] = {}
    for error in errors:
        kind, description = (
            error if isinstance(error, tuple) else (error, _DESCRIPTIONS.get(str(error.status_code), "error"))
        )
        if kind.status_code in described:
            raise TypeError(f"two declarations of status {kind.status_code}")
        described[kind.status_code] = description

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _DECLARED, described)
        return endpoint

    return mark


def declared_errors(endpoint: Callable[..., Any]) -> dict[int, str] | None:
    """The status codes (with their meaning) ``endpoint`` declared with :func:`answers`; None if it did not
    declare."""
    declared: dict[int, str] | None = getattr(endpoint, _DECLARED, None)
    return declared


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


@dataclass(frozen=True)
class Operation:
    """One operation of the route table, classified by its dependencies (not by a list kept by hand)."""

    method: str
    path: str
    route: APIRoute
    protected: bool  # depends on current_principal: a token is required
    reads_token: bool  # depends on optional_principal or current_principal: a sent token is verified
    role_sets: tuple[frozenset[str], ...]  # each require_roles(...) on the way: one role of each is needed


def operations(app: FastAPI) -> list[Operation]:
    found = []
    for context in iter_route_contexts(app.routes):  # FastAPI >= 0.160 nests included routers lazily
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        calls = list(_calls(route.dependant))
        protected = current_principal in calls
        role_sets = tuple(c.roles for c in calls if hasattr(c, "roles"))  # set by principal.require_roles
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            reads_token = protected or optional_principal in calls
            found.append(Operation(method, context.path, route, protected, reads_token, role_sets))
    return found


def _error(code: str, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or _DESCRIPTIONS.get(code, "error"),
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _document(operation: dict[str, Any], access: Operation) -> None:
    roles = sorted({role for roles in access.role_sets for role in roles})
    responses: dict[str, Any] = operation.setdefault("responses", {})
    described = {str(code): text for code, text in (declared_errors(access.route.endpoint) or {}).items()}
    if access.reads_token and not access.protected:
        operation["security"] = [{}, *[s for s in operation.get("security", []) if s]]
    codes: set[int] = set()
    if access.reads_token:  # a public read refuses an invalid token it was sent
        codes.add(401)
    if roles:
        needed = f"requires role {' or '.join(roles)} (admins always)"
        described["403"] = f"{described['403']}; {needed}" if "403" in described else needed
    if "{" in access.path:
        codes.add(404)
    if access.path.startswith("/api/"):
        codes.add(429)
        if access.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.add(409)  # services.kit.errors answers a duplicate key 409
    if operation.get("parameters") or operation.get("requestBody"):
        codes.add(422)
    if operation.get("requestBody"):
        codes.add(400)  # a body that cannot be decoded at all (FastAPI's own answer)
    if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
        codes.add(400)  # services.kit.pagination refuses a cursor it did not mint
    for code, description in described.items():
        responses[code] = _error(code, description)
    for status in sorted(codes):
        responses.setdefault(str(status), _error(str(status)))
    for code, response in responses.items():
        # Every error answers the one error body, whatever FastAPI or the route declared.
        if code[0] in "45":
            response["content"] = _error(code)["content"]
    for parameter in operation.get("parameters", []):
        _absent_is_null(parameter.get("schema", {}))


def _absent_is_null(schema: dict[str, Any]) -> None:
    """A query string or a header cannot carry JSON null: an optional parameter is absent or a value. The
    ``anyOf [..., null]`` FastAPI documents for ``str | None`` reads as "send null", which arrives as the
    text ``null`` (schemathesis sent ``If-Match: null``), so the null branch is dropped."""
    branches = schema.get("anyOf", [])
    if {"type": "null"} not in branches:
        return
    rest = [branch for branch in branches if branch != {"type": "null"}]
    del schema["anyOf"]
    if len(rest) == 1:
        schema.update(rest[0])
    else:
        schema["anyOf"] = rest


_PARAMETER = re.compile(r"{(\w+)(?::path)?}")


def _created_fields(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The top-level fields of what a create operation answers (201, or 200 where it answers that)."""
    responses = operation.get("responses", {})
    answer = responses.get("201") or responses.get("200") or {}
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    return set(schema.get("properties", {}))


def _link(document: dict[str, Any]) -> None:
    """OpenAPI ``links`` from each create operation (``POST /x``) to the operations on what it created
    (``/x/{id}`` and below): the path parameters the creation named are passed on, the new ones are read
    from the answer (a field of the parameter's name, or ``id`` for the first), so a client (and
    schemathesis' stateful phase) can walk from a creation to the record's detail and sub-resources."""
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for source, item in paths.items():
        create: dict[str, Any] | None = item.get("post")
        fields = _created_fields(document, create) if create is not None else set()
        if create is None or not fields:
            continue
        known = set(_PARAMETER.findall(source))
        for target, target_item in paths.items():
            if not target.startswith(source.rstrip("/") + "/{"):
                continue
            new = [p for p in _PARAMETER.findall(target) if p not in known]
            taken = [p if p in fields else "id" for p in new[:1]] + new[1:]
            if not new or not set(taken) <= fields:
                continue
            parameters = {p: f"$request.path.{p}" for p in _PARAMETER.findall(target) if p in known}
            parameters |= {p: f"$response.body#/{field}" for p, field in zip(new, taken, strict=True)}
            for operation in target_item.values():
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                for code in ("201", "200"):
                    if code in create["responses"]:
                        links = create["responses"][code].setdefault("links", {})
                        links[operation["operationId"]] = {
                            "operationId": operation["operationId"],
                            "parameters": parameters,
                        }
                        break


def document_access(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            # FastAPI documents every 422 as its own HTTPValidationError; the handlers answer ours.
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            schemas["Error"] = ERROR_SCHEMA
            for access in operations(app):
                operation = document.get("paths", {}).get(access.path, {}).get(access.method.lower())
                if operation is not None:
                    _document(operation, access)
            _link(document)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
