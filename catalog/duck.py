"""DuckDB for the lake: one in-memory database per process, reading Parquet locally or from S3 (MinIO).

DuckDB cannot download extensions here (and a server should not fetch code at run time anyway): httpfs is
loaded from the ``duckdb-extension-httpfs`` wheel installed beside duckdb. Connections are blocking; callers
run them in a worker thread, one cursor per query.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from urllib.parse import urlparse

import duckdb


class _Absent(importlib.abc.MetaPathFinder):
    """Fails the import of a package that is not installed before the path is searched for it.

    DuckDB's Python client tries ``import pandas`` twice for every value it binds (to recognise pandas'
    types), and Python does not remember a failed import: with pandas absent, each try searched
    ``sys.path`` (~75 µs), so the 730 file names of a lake query, or a tenancy filter of 1,000 factories,
    cost 100-150 ms before DuckDB started. Failing here first costs ~12 µs a try (docs/analytics.md).
    """

    def __init__(self, names: frozenset[str]) -> None:
        self._names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in self._names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
    sys.meta_path.insert(0, _Absent(frozenset({"pandas"})))


def extension_file(name: str) -> Path:
    """The ``<name>.duckdb_extension`` shipped by the ``duckdb_extension_<name>`` wheel for this duckdb."""
    import importlib

    package = importlib.import_module(f"duckdb_extension_{name}")
    root = Path(package.__file__ or "").parent / "extensions"
    path = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if path.exists():
        return path
    found = sorted(root.glob(f"*/{name}.duckdb_extension"))
    if not found:
        raise RuntimeError(f"no {name}.duckdb_extension under {root}; install duckdb-extension-{name}")
    return found[-1]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(
    s3: dict[str, str], *, threads: int | None = None, memory_limit: str = "1GB", keep_blocks: bool = True
) -> duckdb.DuckDBPyConnection:
    """An in-memory database able to read the warehouse; its configuration is locked once set up.

    ``s3`` is the pyiceberg FileIO configuration of the lake (empty for a local warehouse). ``keep_blocks``:
    whether the blocks read from data files stay in memory for the next query. DuckDB keeps them outside its
    ``memory_limit``; a rollup round reads each file once, so there they only grow the process (about 500 MiB
    over a 200 M-reading day, docs/benchmarks-rollups.md).
    """
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": threads or min(4, os.cpu_count() or 1),
            "memory_limit": memory_limit,
        },
    )
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    if s3:
        con.execute(f"LOAD {_quote(str(extension_file('httpfs')))}")
        endpoint = urlparse(s3.get("s3.endpoint", ""))
        options = [
            "TYPE S3",
            f"KEY_ID {_quote(s3.get('s3.access-key-id', ''))}",
            f"SECRET {_quote(s3.get('s3.secret-access-key', ''))}",
            f"REGION {_quote(s3.get('s3.region', 'us-east-1'))}",
        ]
        if endpoint.netloc:  # MinIO or another S3-compatible store: path-style URLs on its own endpoint
            options += [
                f"ENDPOINT {_quote(endpoint.netloc)}",
                "URL_STYLE 'path'",
                f"USE_SSL {'true' if endpoint.scheme == 'https' else 'false'}",
            ]
        con.execute(f"CREATE SECRET lake ({', '.join(options)})")
    # Iceberg data files are immutable (a new name for every write): their footers and blocks can be kept
    # in memory and reused without asking the store whether they changed (a round trip per file and query).
    con.execute("SET GLOBAL parquet_metadata_cache = true")
    con.execute("SET GLOBAL validate_external_file_cache = 'NO_VALIDATION'")
    if not keep_blocks:
        con.execute("SET GLOBAL enable_external_file_cache = false")
    if s3:
        con.execute("SET GLOBAL enable_http_metadata_cache = true")
    # Queries only take parameters, never SQL text from callers; locking is the second fence.
    con.execute("SET lock_configuration = true")
    return con


def readable_path(file_path: str) -> str:
    """A data file location of the Iceberg metadata as DuckDB reads it (``file://`` URIs as plain paths)."""
    return file_path.removeprefix("file://")
