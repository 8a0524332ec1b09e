"""The companies migrations on data stored before them, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from services.companies.spec import SPEC
from tests.migrations import migrating
from tests.services.standards.test_migrations import empty_database

__all__ = ["empty_database"]  # a fresh database per backend, used here as a fixture

EQUIPMENT = [
    {"equipment_id": "eq-1", "name": "선반 1", "model_id": "cnc-lathe", "model_version": "1.0.0"},
    {"equipment_id": "eq-2", "name": "선반 2", "model_id": "cnc-lathe", "model_version": "1.0.0"},
]


def test_factories_registered_before_adoption_counting_are_counted(empty_database: str) -> None:
    with migrating(SPEC, empty_database) as (config, conn):
        command.upgrade(config, "0003")
        conn.execute(
            text(
                "INSERT INTO co_companies (id, kind, name, search_text, business_registration_number, "
                "region_code, growth_stage, expertise, expertise_codes, created_at, updated_at) VALUES "
                "('org-sme-1', 'sme', :name, 'x', '1234567890', '48', '성장', '[]', ',', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            ),
            {"name": json.dumps({"ko": "가", "en": "A"})},
        )
        for factory_id, equipment in (("factory-a", EQUIPMENT), ("factory-b", [])):
            conn.execute(
                text(
                    "INSERT INTO co_factories (id, company_id, name, region_code, industry_code, "
                    "equipment, created_at) "
                    "VALUES (:id, 'org-sme-1', '공장', '48', 'C29', :equipment, CURRENT_TIMESTAMP)"
                ),
                {"id": factory_id, "equipment": json.dumps(equipment, ensure_ascii=False)},
            )
        command.upgrade(config, "head")
        rows = conn.execute(
            text(
                "SELECT factory_id, equipment_id, model_id, model_version "
                "FROM co_factory_equipment ORDER BY equipment_id"
            )
        ).all()
        command.downgrade(config, "base")
    assert [tuple(r) for r in rows] == [
        ("factory-a", "eq-1", "cnc-lathe", "1.0.0"),
        ("factory-a", "eq-2", "cnc-lathe", "1.0.0"),
    ]


def test_companies_stored_before_search_terms_are_found_by_them(empty_database: str) -> None:
    with migrating(SPEC, empty_database) as (config, conn):
        command.upgrade(config, "0004")
        conn.execute(
            text(
                "INSERT INTO co_companies (id, kind, name, search_text, business_registration_number, "
                "region_code, growth_stage, expertise, expertise_codes, created_at, updated_at) VALUES "
                "('org-vendor-12', 'vendor', :name, '(주)컨트롤텍', '1234567890', '41', '성장', "
                ":expertise, ',INTL-XR,', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {
                "name": json.dumps({"ko": "(주)컨트롤텍", "en": "Control Tech Co., Ltd."}),
                "expertise": json.dumps(["INTL-XR"]),
            },
        )
        command.upgrade(config, "head")
        stored = conn.execute(text("SELECT search_text FROM co_companies")).scalar_one()
        command.downgrade(config, "0004")
        before = conn.execute(text("SELECT search_text FROM co_companies")).scalar_one()
        command.downgrade(config, "base")
    assert stored == (" org vendor 12 주 주컨 컨트 트롤 롤텍 control tech co ltd ar vr mr 경기 gyeonggi ")
    assert before == "org-vendor-12 (주)컨트롤텍 control tech co., ltd."
