"""How many SQL statements one request runs: a list whose count grows with its page size queries per row.

A list is fetched at ``limit=5`` and at a limit above its size, on the app's own engine
(``before_cursor_execute``); the caller asserts both pages ran the same number of statements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from services.kit.app_state import state_of
from services.kit.db import DATABASE

SMALL, LARGE = 5, 50


@contextmanager
def recorded(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements run while the block runs."""
    engine = state_of(client.app).get(DATABASE).engine
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@dataclass(frozen=True)
class Pages:
    rows: dict[int, int]  # page size -> rows on the first page
    statements: dict[int, int]  # page size -> SQL statements of that request


def pages(client: TestClient, path: str, headers: dict[str, str] | None = None, key: str = "items") -> Pages:
    """The first page of ``path`` at ``limit`` SMALL and LARGE: its rows and the statements it ran."""
    rows, statements = {}, {}
    client.get(path, headers=headers)  # what a process caches (another service's figures) is read first
    for limit in (SMALL, LARGE):
        separator = "&" if "?" in path else "?"
        with recorded(client) as seen:
            answer = client.get(f"{path}{separator}limit={limit}", headers=headers)
        assert answer.status_code == 200, answer.text
        rows[limit], statements[limit] = len(answer.json()[key]), len(seen)
    return Pages(rows, statements)


def assert_constant(page: Pages) -> None:
    """More rows on the large page than on the small one, for the same number of statements."""
    assert page.rows[SMALL] == SMALL and page.rows[LARGE] > SMALL, page
    assert page.statements[LARGE] == page.statements[SMALL], page
