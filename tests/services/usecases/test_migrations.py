"""The use-cases migrations on data stored before them, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from services.usecases.spec import SPEC
from tests.migrations import migrating
from tests.services.standards.test_migrations import empty_database

__all__ = ["empty_database"]  # a fresh database per backend, used here as a fixture


def test_cases_indexed_before_stems_and_synonyms_are_indexed_again(empty_database: str) -> None:
    with migrating(SPEC, empty_database) as (config, conn):
        command.upgrade(config, "0003")
        conn.execute(
            text(
                "INSERT INTO uc_cases (id, owner_org_id, status, title, summary, problem_type, technique, "
                "data_used, region_code, industry_code, created_at, updated_at) VALUES ('c1', 'org-v1', "
                "'published', :title, :summary, 'quality_inspection', 'anomaly_detection', :data, '48', "
                "'C30', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {
                "title": json.dumps({"ko": "용접불량 예측", "en": "Welding defects"}),
                "summary": json.dumps({"ko": "전류", "en": None}),
                "data": json.dumps(["전류"]),
            },
        )
        conn.execute(
            text(
                "INSERT INTO uc_effects (case_id, position, metric, unit, before, after, higher_is_better) "
                "VALUES ('c1', 0, :metric, '%', 3.0, 1.0, false)"
            ),
            {"metric": json.dumps({"ko": "불량률", "en": "Defect rate"})},
        )
        conn.execute(
            text(
                "INSERT INTO uc_model_refs (case_id, position, model_id, version) "
                "VALUES ('c1', 0, 'spot-welder', '1.0.0')"
            )
        )
        # as revision 0003 indexed it: words unstemmed, no synonyms
        conn.execute(
            text("INSERT INTO uc_search_terms (term, case_id, weight) VALUES ('welding', 'c1', 3.0)")
        )
        command.upgrade(config, "head")
        weights = dict(
            conn.execute(text("SELECT term, weight FROM uc_search_terms WHERE case_id = 'c1'")).all()
        )
        command.downgrade(config, "base")
    # title 3 twice (용접 and Welding), the model id "spot-welder" 1
    assert weights["weld"] == 7.0
    # title 3 twice (불량 and defects), the effect's metric 1 twice (불량률, Defect), the problem's name
    # "품질 검사 / Quality inspection" holds none
    assert weights["defect"] == 8.0
    assert weights["전류"] == 2.0 and weights["gyeongnam"] == weights["상남"] == 1.0
    assert "welding" not in weights and "용접" not in weights
