"""The process's DuckDB: values bound to a query do not search the import path for an absent pandas."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import subprocess
import sys
from typing import Any

import pytest

from catalog import duck

PANDAS_ABSENT = (
    subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True, check=False).returncode != 0
)


def test_binding_a_thousand_values_never_searches_for_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    if not PANDAS_ABSENT:
        importlib.import_module("pandas")  # installed: DuckDB's first try keeps it, no search after that
    searched: list[str] = []
    path_search = importlib.machinery.PathFinder.find_spec

    def counting(name: str, *args: Any, **kwargs: Any) -> Any:
        searched.append(name)
        return path_search(name, *args, **kwargs)

    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", counting)
    con = duck.connect({})
    names = [f"factory-{i}" for i in range(1000)]
    found = con.execute("SELECT count(*) FROM range(3) WHERE 'factory-999' = ANY(?)", [names]).fetchone()
    assert found == (3,)
    assert "pandas" not in searched
    if PANDAS_ABSENT:
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("pandas")
    assert importlib.util.find_spec("json") is not None  # other imports go on as before
