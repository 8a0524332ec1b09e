"""Public reference data: regions, KSIC industries, technology taxonomy, levels, project stages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.kit import reference as ref
from services.kit.contract import answers

router = APIRouter(prefix="/api/v1/reference", tags=["reference"])


@router.get("/regions", summary="The 17 시·도 with administrative codes (public)")
@answers()
async def regions() -> list[dict[str, str]]:
    return [{"code": r.code, "ko": r.ko, "en": r.en} for r in ref.REGIONS]


@router.get("/industries", summary="KSIC manufacturing divisions C10-C34 (public)")
@answers()
async def industries() -> list[dict[str, str]]:
    return [{"code": i.code, "ko": i.ko, "en": i.en} for i in ref.INDUSTRIES]


def _definition(pair: tuple[str, str] | None) -> dict[str, str] | None:
    return {"ko": pair[0], "en": pair[1]} if pair else None


def _products(subfield: str) -> list[dict[str, Any]]:
    return [
        {
            "code": p.code,
            "ko": p.ko,
            "en": p.en,
            "definition": _definition((p.definition_ko, p.definition_en)),
        }
        for p in ref.INFO_PRODUCTS
        if p.subfield == subfield
    ]


@router.get(
    "/taxonomy",
    summary="4 areas x 14 sub-fields (7 strategic) with the plan's definitions and products (public)",
)
@answers()
async def taxonomy() -> list[dict[str, Any]]:
    return [
        {
            "code": a.code,
            "ko": a.ko,
            "en": a.en,
            "definition": _definition(ref.AREA_DEFINITIONS.get(a.code)),
            "subfields": [
                {
                    "code": s.code,
                    "ko": s.ko,
                    "en": s.en,
                    "strategic": s.strategic,
                    "definition": _definition(ref.SUBFIELD_DEFINITIONS.get(s.code)),
                    "products": _products(s.code),
                    "ksic": list(ref.SPECIAL_CLASSIFICATION_KSIC[s.code]),
                }
                for s in ref.SUBFIELDS
                if s.area == a.code
            ],
        }
        for a in ref.AREAS
    ]


@router.get(
    "/taxonomy/ksic",
    summary="The 4 areas as a special classification (특수분류) over KSIC: sub-field -> KSIC codes (public)",
)
@answers()
async def taxonomy_ksic() -> dict[str, Any]:
    return {
        "ksic_revision": 10,
        "codes": [{"code": c, "ko": ko, "en": en} for c, (ko, en) in ref.KSIC_CODES.items()],
        "mapping": [
            {"area": s.area, "subfield": s.code, "ksic": list(ref.SPECIAL_CLASSIFICATION_KSIC[s.code])}
            for s in ref.SUBFIELDS
        ],
    }


@router.get("/levels", summary="Smart-factory system levels and KS X 9001 capability levels (public)")
@answers()
async def levels() -> dict[str, Any]:
    return {
        "system_levels": [
            {"code": lv.value, "en": ref.SYSTEM_LEVEL_EN[lv], "rank": i}
            for i, lv in enumerate(ref.SystemLevel)
        ],
        "capability_levels": list(ref.CAPABILITY_LEVELS),
    }


@router.get("/stages", summary="The 8 project stages (target 14 months, 6-month after-service)")
@answers()
async def stages() -> dict[str, Any]:
    return {
        "stages": [{"code": c, "ko": ko, "en": en} for c, ko, en in ref.PROJECT_STAGES],
        "target_months": ref.TARGET_PROJECT_MONTHS,
        "after_service_months": ref.AFTER_SERVICE_MONTHS,
    }
