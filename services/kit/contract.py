"""Who may call each operation and which errors it answers, read from the route table into OpenAPI.

Read from the route table, not written by hand per route: an operation whose dependencies verify a token
answers 401; one that requires roles answers 403 and names them; a public read (``MaybePrincipal``) takes
a token but does not need one (security ``[{}, bearer]``); every ``/api/`` operation may answer 429 (the
rate limiter), every operation with parameters or a body 422, one with a path parameter 404 (an unknown
id), and every ``/api/`` write 409 (a duplicate a concurrent request inserted first). Every other error
status an operation may answer is found in the code its endpoint and dependencies run
(``services.kit.raises``). Every error response has the one error shape of ``services.kit.errors`` (the
component ``Error``, also in place of FastAPI's HTTPValidationError).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from services.kit.errors import ERROR_SCHEMA
from services.kit.principal import current_principal, optional_principal
from services.kit.raises import raised_codes

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

    def raises(self) -> frozenset[int]:
        """The error status codes the code of the endpoint and of its dependencies can raise."""
        return raised_codes(self.route.endpoint, *_calls(self.route.dependant))


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
    wanted: dict[str, str | None] = {}
    if access.reads_token and not access.protected:
        operation["security"] = [{}, *[s for s in operation.get("security", []) if s]]
    codes = set(access.raises())
    if access.reads_token:  # a public read refuses an invalid token it was sent
        codes.add(401)
    if roles:
        wanted["403"] = f"requires role {' or '.join(roles)} (admins always)"
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
    for status in sorted(codes):
        wanted.setdefault(str(status), None)
    for code, description in wanted.items():
        responses.setdefault(code, _error(code, description))
    for code, response in responses.items():
        # Every error answers the one error body, whatever FastAPI or the route declared.
        if code[0] in "45":
            response["content"] = _error(code)["content"]


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
