"""The dependency rules of docs/contributing.md, read from the source: who may import whom."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("platform_api", "services", "ingest", "catalog")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "alembic" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str) -> Iterator[str]:
    """Every module of the project that ``name`` imports, at any depth of its code."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from a.b import c": module a.b.c if there is one, else a name defined in a.b.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: set(_imports(name)) for name in MODULES}


def _closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _top(name: str) -> str:
    return name.split(".")[0]


def test_catalog_never_imports_ingest_and_services_never_import_the_data_plane() -> None:
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if (_top(source) == "catalog" and _top(target) in ("ingest", "platform_api"))
        or (_top(source) == "services" and _top(target) in ("ingest", "catalog", "platform_api"))
        or (_top(source) == "ingest" and _top(target) == "platform_api")
    )
    assert wrong == []


def test_no_service_reaches_into_another_services_tables() -> None:
    private = ("models", "repository", "service", "endpoints")
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if source.startswith("services.")
        and target.startswith("services.")
        and source.split(".")[1] != target.split(".")[1]
        and target.split(".")[1] != "kit"
        and target.rpartition(".")[2] in private
    )
    assert wrong == []


def test_there_is_no_import_cycle() -> None:
    cycles = sorted(name for name in MODULES if name in _closure(name))
    assert cycles == []


def test_the_upload_path_does_not_load_the_lake_writer_and_analytics_no_bus() -> None:
    assert "ingest.writer" not in _closure("ingest.endpoints")
    analytics = _closure("catalog.endpoints") | {"catalog.endpoints"}
    assert not {m for m in analytics if _top(m) == "ingest"}
    for name in analytics:
        source = MODULES[name].read_text()
        assert "import kafka" not in source and "from kafka" not in source, name


def test_the_graph_is_read_from_real_imports() -> None:
    # Guards the reader itself: a rule checked over an empty graph would pass whatever the code does.
    assert "catalog.appends" in GRAPH["ingest.writer"]
    assert "services.standards.validation" in GRAPH["ingest.service"]
    assert "ingest.writer" in _closure("ingest.lifecycle")


def test_pyiceberg_internals_are_used_in_one_module_only() -> None:
    users = sorted(
        name
        for name, path in MODULES.items()
        if name != "catalog.iceberg_internals"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("pyiceberg")
        and any(alias.name.startswith("_") for alias in node.names)
    )
    assert users == []
