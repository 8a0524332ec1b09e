"""The taxonomy reference completed: the plan's definitions, the 정보화솔루션 products, the KSIC mapping."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.kit import reference as ref


def test_taxonomy_carries_definitions_products_and_ksic(client: TestClient) -> None:
    areas = client.get("/api/v1/reference/taxonomy").json()
    assert [a["code"] for a in areas] == ["AUTO", "CONN", "INFO", "INTL"]
    assert all(a["definition"]["ko"] and a["definition"]["en"] for a in areas)
    subfields = {s["code"]: s for a in areas for s in a["subfields"]}
    assert len(subfields) == 14 and sum(s["strategic"] for s in subfields.values()) == 7
    assert (
        subfields["AUTO-ROBOT"]["definition"]["ko"]
        == "외부환경을 인식하고 상황을 판단하여 자율적으로 동작하는 기계"
    )
    # The plan's 참고3 gives no text for 컨설팅·사이버 보안; every other sub-field has one in both languages.
    assert subfields["INTL-SEC"]["definition"] is None
    assert all(s["definition"]["en"] for code, s in subfields.items() if code != "INTL-SEC")
    products = {s["code"]: [p["ko"] for p in s["products"]] for s in subfields.values() if s["products"]}
    assert products == {
        "INFO-MES": ["MES/POP", "FEMS", "QMS/CMMS"],
        "INFO-LOG": ["SCM/WMS"],
        "INFO-ERP": ["ERP", "PLM/PDM"],
    }
    assert subfields["CONN-NET"]["ksic"] == ["264"]


def test_special_classification_maps_every_subfield_to_known_ksic(client: TestClient) -> None:
    result = client.get("/api/v1/reference/taxonomy/ksic").json()
    known = {c["code"] for c in result["codes"]}
    assert len(result["mapping"]) == 14
    assert all(m["ksic"] and set(m["ksic"]) <= known for m in result["mapping"])
    assert set(ref.SPECIAL_CLASSIFICATION_KSIC) == set(ref.SUBFIELD_BY_CODE)
