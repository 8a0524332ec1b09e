"""The standards migrations on data stored before them, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.standards.spec import SPEC
from tests.conftest import BACKENDS, PG_URL
from tests.migrations import migrating

ITEMS = [
    {
        "id": "spindle_speed",
        "name": {"ko": "주축 회전수", "en": "Spindle speed"},
        "category": "SAMPLE",
        "data_type": "float",
        "unit": "rpm",
        "mappings": {"mtconnect_type": "ROTARY_VELOCITY"},
        "semantic_id": "0173-1#02-BAA120#008",
    }
]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"smartmfg_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_models_stored_before_the_search_index_are_found_after_it(empty_database: str) -> None:
    with migrating(SPEC, empty_database) as (config, conn):
        command.upgrade(config, "0002")
        conn.execute(
            text(
                "INSERT INTO std_models (id, owner_org_id, equipment_type, name, search_text, created_at, "
                "updated_at) VALUES ('old-lathe', 'org-v', 'CNC_LATHE', :name, 'old-lathe', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"name": json.dumps({"ko": "선반", "en": "Lathe"})},
        )
        conn.execute(
            text(
                "INSERT INTO std_versions (model_id, version, major, minor, patch, status, items, "
                "created_at) VALUES ('old-lathe', '1.0.0', 1, 0, 0, 'published', :items, CURRENT_TIMESTAMP)"
            ),
            {"items": json.dumps(ITEMS, ensure_ascii=False)},
        )
        command.upgrade(config, "head")
        search_text = conn.execute(text("SELECT search_text FROM std_models")).scalar_one()
        terms = conn.execute(text("SELECT kind, term FROM std_model_terms ORDER BY kind, term")).all()
        conn.execute(
            text(
                "INSERT INTO std_reviews (id, model_id, version, action, author, created_at) "
                "VALUES ('r1', 'old-lathe', '1.0.0', 'changes_requested', 'op', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(text("UPDATE std_versions SET status = 'changes_requested'"))
        command.downgrade(config, "0003")  # a version in review becomes a draft again
        status = conn.execute(text("SELECT status FROM std_versions")).scalar_one()
        command.downgrade(config, "base")
    assert status == "draft"
    assert search_text == "old-lathe cnc_lathe 선반 lathe spindle_speed 주축 회전수 spindle speed"
    assert [tuple(t) for t in terms] == [
        ("item", "rotary_velocity"),
        ("item", "spindle_speed"),
        ("semantic_id", "0173-1#02-baa120#008"),
    ]
