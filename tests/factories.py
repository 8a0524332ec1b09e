"""Request bodies for tests, built with keyword-only arguments."""

from __future__ import annotations

import copy
import zlib
from typing import Any

from services.companies.brn import check_digit
from services.deployments.schemas import _EXAMPLE as DEPLOYMENT_EXAMPLE


def deployment_body(
    *,
    region: str = "48",
    industry: str = "C29",
    subfield: str = "INFO-MES",
    supplier: str = "org-vendor-3",
    level_before: str = "기초",
    level_after: str = "중간1",
    year: int = 2025,
    kpis: list[dict[str, Any]] | None = None,
    title_ko: str = "대성정밀 생산관리 시스템 구축",
    **overrides: Any,
) -> dict[str, Any]:
    body = copy.deepcopy(DEPLOYMENT_EXAMPLE)
    body["factory"].update(region_code=region, industry_code=industry)
    body["solutions"][0].update(subfield_code=subfield, supplier_company_id=supplier)
    body["supplier_company_ids"] = [supplier]
    body["level_before"], body["level_after"] = level_before, level_after
    body["title"]["ko"] = title_ko
    # No stages: the service plans those of the process that applies (the supplier's designation).
    body["contract"]["signed_on"] = f"{year}-01-01"
    if kpis is not None:
        body["kpis"] = kpis
    body.update(overrides)
    return body


def brn(first9: str = "123456789") -> str:
    return first9 + str(check_digit(first9))


def company_body(
    *,
    company_id: str = "org-vendor-3",
    kind: str = "vendor",
    brn_first9: str = "220816251",
    region: str = "41",
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": company_id,
        "kind": kind,
        "name": {"ko": "(주)한국MES", "en": "Hankook MES"},
        "business_registration_number": brn(brn_first9),
        "representative": "김민준",
        "region_code": region,
        "growth_stage": "성장",
        "expertise": ["INFO-MES"] if kind == "vendor" else [],
    }
    if kind == "sme":
        body["industry_code"] = "C29"
    body.update(overrides)
    return body


def item(
    item_id: str = "spindle_speed",
    *,
    data_type: str = "float",
    unit: str | None = "rpm",
    lo: float | None = 0,
    hi: float | None = 6000,
    category: str = "SAMPLE",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item_id,
        "name": {"ko": "주축 회전수", "en": "Spindle speed"},
        "category": category,
        "data_type": data_type,
        **extra,
    }
    if unit is not None:
        body["unit"] = unit
    if lo is not None:
        body["min"], body["max"] = lo, hi
    return body


def model_body(
    *,
    model_id: str = "cnc-lathe",
    version: str = "1.0.0",
    items: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    body = {
        "id": model_id,
        "equipment_type": "CNC_LATHE",
        "name": {"ko": "CNC 선반", "en": "CNC lathe"},
        "version": version,
        "items": items
        if items is not None
        else [
            item(),
            item("coolant_temp", unit="°C", lo=-10, hi=80),
            item("feed_rate", unit="mm/s", lo=0, hi=500),
            item("part_count", data_type="int", unit="count", lo=0, hi=1000000, category="EVENT"),
            item(
                "execution",
                data_type="string",
                unit=None,
                lo=None,
                category="EVENT",
                allowed_values=["RUNNING", "IDLE", "STOPPED"],
            ),
        ],
    }
    body.update(overrides)
    return body


def usecase_body(
    *,
    title_ko: str = "대성정밀 용접 불량 예측 AI",
    title_en: str | None = "Weld defect prediction at Daesung Precision",
    region: str = "48",
    problem_type: str = "quality_inspection",
    technique: str = "anomaly_detection",
    model_refs: list[dict[str, str]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    from services.usecases.schemas import _EXAMPLE as USECASE_EXAMPLE

    body = copy.deepcopy(USECASE_EXAMPLE)
    body["title"] = {"ko": title_ko, "en": title_en}
    body.update(region_code=region, problem_type=problem_type, technique=technique)
    body["equipment_model_refs"] = model_refs or []
    body.update(overrides)
    return body


def register_factory(
    client: Any,
    headers: dict[str, str],
    *,
    company_id: str = "org-sme-1",
    factory_id: str = "factory-sme-1-a",
    region: str = "48",
    equipment: list[dict[str, str]] | None = None,
) -> None:
    """An SME (made if new) and one of its factories: uploads name a registered factory of their org."""
    first9 = f"{zlib.crc32(company_id.encode()) % 10**9:09d}"
    made = client.post(
        "/api/v1/companies",
        json=company_body(company_id=company_id, kind="sme", brn_first9=first9, region=region),
        headers=headers,
    )
    assert made.status_code in (201, 409), made.text
    factory = {
        "id": factory_id,
        "name": f"{company_id} 공장",
        "region_code": region,
        "industry_code": "C29",
        "equipment": equipment or [],
    }
    added = client.post(f"/api/v1/companies/{company_id}/factories", json=factory, headers=headers)
    assert added.status_code == 201, added.text
