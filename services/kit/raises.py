"""Which error status codes a route can answer, read from the code its endpoint and dependencies run.

The OpenAPI document (``services.kit.contract``) lists for every operation the errors it may answer; a
list kept by hand per route drifts from the raise sites. Instead the functions a route runs are walked:
every call to a ``PlatformError`` subclass (``raise Conflict(...)``, or an error built and returned by a
helper) adds that class's status code, and every call that names a function of the project (a name of
the function's module, ``module.function``, or a method of a project class by its name) is walked in turn.

The walk over-approximates (a method is matched by name, a branch that cannot run still counts) and can
miss code reached only through values it cannot resolve (a callable passed as an argument); both are
acceptable for documentation: a status code listed that a route never answers costs a line, and the
contract test (tests/security/test_schemathesis.py) fails on one answered but not listed.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Callable
from functools import cache
from types import FunctionType, ModuleType
from typing import Any

from httpx import AsyncClient
from sqlalchemy.orm import Session

from services.kit.errors import PlatformError

# The packages whose code is walked: the project's own, never a library's.
PROJECT = ("services", "ingest", "catalog", "platform_api")


def _ours(obj: Any) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] in PROJECT


def _unwrap(obj: Any) -> Any:
    while hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    return obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj


# Method names too common to match by name alone: those of the builtin containers and of the libraries'
# objects a function holds (a session's ``get``/``commit``, a client's ``post``) are never the project's.
_LIBRARY_NAMES = frozenset(
    name for kind in (dict, list, set, str, bytes, Session, AsyncClient) for name in dir(kind)
)


@cache
def _methods() -> dict[str, Callable[..., Any]]:
    """Methods of the project's classes by name, when one class alone defines the name (a call on a value
    of unknown type, ``client.get_json(...)``, matches it by name)."""
    found: dict[str, list[Callable[..., Any]]] = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in PROJECT:
            continue
        for cls in vars(module).values():
            if not (isinstance(cls, type) and cls.__module__ == name) or issubclass(cls, BaseException):
                continue
            for attr, member in vars(cls).items():
                member = _unwrap(member)
                if isinstance(member, FunctionType) and not attr.startswith("_"):
                    found.setdefault(attr, []).append(member)
    return {
        name: functions[0]
        for name, functions in found.items()
        if len(functions) == 1 and name not in _LIBRARY_NAMES
    }


def _resolve(node: ast.expr, scope: dict[str, Any], owner: type | None) -> Any:
    """What a called expression names: a name of the module, ``a.b`` of one, ``self.b``, or a method by
    its name; None when unknown."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if not isinstance(node, ast.Attribute):
        return None
    base = node.value.id if isinstance(node.value, ast.Name) else None
    target = owner if base in ("self", "cls") else scope.get(base) if base else None
    if isinstance(target, (ModuleType, type)) and hasattr(target, node.attr):
        return getattr(target, node.attr)
    return _methods().get(node.attr)


@cache
def _direct(function: Callable[..., Any]) -> tuple[frozenset[int], tuple[Callable[..., Any], ...]]:
    """The status codes ``function`` builds itself, and the project's functions it calls."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(), ()
    scope = vars(sys.modules[function.__module__])
    owner = scope.get(function.__qualname__.split(".")[0]) if "." in function.__qualname__ else None
    codes: set[int] = set()
    called: list[Callable[..., Any]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _unwrap(_resolve(node.func, scope, owner))
        if isinstance(target, type) and issubclass(target, PlatformError):
            codes.add(target.status_code)
        elif isinstance(target, type) and _ours(target):
            called += [_unwrap(vars(target)[m]) for m in ("__init__", "__post_init__") if m in vars(target)]
        elif isinstance(target, FunctionType) and _ours(target):
            called.append(target)
    return frozenset(codes), tuple(called)


def raised_codes(*roots: Callable[..., Any]) -> frozenset[int]:
    """The error status codes reachable from ``roots`` (an endpoint and its dependencies)."""
    codes: set[int] = set()
    seen: set[Callable[..., Any]] = set()
    todo = [_unwrap(root) for root in roots]
    while todo:
        function = todo.pop()
        if not isinstance(function, (FunctionType, type)) and callable(function):
            function = _unwrap(type(function).__call__)  # a callable instance (a dependency object)
        if function in seen or not isinstance(function, FunctionType) or not _ours(function):
            continue
        seen.add(function)
        direct, called = _direct(function)
        codes |= direct
        todo += called
    return frozenset(codes)
