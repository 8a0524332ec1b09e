"""The deployments migrations on data stored before them, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from services.deployments.spec import SPEC
from tests.migrations import migrating
from tests.services.standards.test_migrations import empty_database

__all__ = ["empty_database"]  # a fresh database per backend, used here as a fixture


def test_records_stored_before_search_terms_are_found_by_them(empty_database: str) -> None:
    with migrating(SPEC, empty_database) as (config, conn):
        command.upgrade(config, "0004")
        conn.execute(
            text(
                "INSERT INTO dep_records (id, owner_org_id, title, search_text, sme_company_id, sme_name, "
                "factory_name, region_code, industry_code, level_before, level_after, stages, "
                "after_service_months, support_amount_krw, year, created_at, updated_at, process, "
                "supplier_designated, company_share_krw, status, drafted_by, factory_checked, revision, "
                "version) VALUES ('r1', 'org-sme-1', :title, 'old', 'org-sme-1', '대성테크(주)', "
                "'대성테크 제1공장', '48', 'C30', '기초', '중간1', '[]', 6, 0, 2024, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 'standard', false, 0, 'published', 'sme', true, 1, 1)"
            ),
            {"title": json.dumps({"ko": "대성테크 용접 구축", "en": "Daesung Tech welding deployment"})},
        )
        conn.execute(
            text(
                "INSERT INTO dep_solutions (record_id, position, subfield_code, name) "
                "VALUES ('r1', 0, 'AUTO-ROBOT', :name)"
            ),
            {"name": json.dumps({"ko": "로봇 솔루션", "en": "Robots solution"})},
        )
        conn.execute(
            text(
                "INSERT INTO dep_kpis (record_id, kind, baseline, after, unit, source) "
                "VALUES ('r1', 'defect_rate', 3.0, 1.0, '%', 'self_reported')"
            )
        )
        command.upgrade(config, "head")
        stored = conn.execute(text("SELECT search_text FROM dep_records")).scalar_one()
        command.downgrade(config, "0004")
        before = conn.execute(text("SELECT search_text FROM dep_records")).scalar_one()
        command.downgrade(config, "base")
    # words split at digits ("제", "1", "공장"); "로봇" is "robot"; 경상남도 drops its particle-like 도
    assert stored == (
        " 대성 성테 테크 크용 weld 접구 구축 daesung tech deployment 크주 주 크제 제 1 공장 robot 봇솔 "
        "솔루 루션 solut defect rat 경상 상남 gyeongnam 자동 동차 차및 및 및트 트레 레일 일러 러제 제조 "
        "조업 motor vehicl and trail "
    )
    assert before == "대성테크 용접 구축 daesung tech welding deployment 대성테크(주)"
